// Report state saved per policy (issue 14 finding 10): a policy whose report cannot be saved no longer
// stops every other policy's save, and an unreadable one no longer empties every report at load.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { comparePair } from '../../../control-plane/src/compare/index.js';
import type { PolicySpec } from '../../../control-plane/src/domain/types.js';
import { ReportBook } from '../../../control-plane/src/reports/aggregate.js';
import { RunBook } from '../../../control-plane/src/reports/runs.js';
import { ReportState } from '../../../control-plane/src/store/report-state.js';
import { SqliteStore } from '../../../control-plane/src/store/sqlite.js';
import { orderBody, pairOf } from '../../fixtures/halves.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const log = pino({ level: 'silent' });
const spec: PolicySpec = { services: ['shop'] };

function fill(book: ReportBook, policy: string, n: number): void {
  for (let i = 0; i < n; i++)
    book.add(
      comparePair(pairOf({ shared: { path: `/orders/${i}` }, live: { json: orderBody() } }), policy, spec),
      spec,
    );
}

describe('report state in the store', () => {
  it('saves each policy under its own key: one that fails to save does not stop the others', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-rs-'));
    dirs.push(dir);
    const store = new SqliteStore({ dataDir: dir });
    const failing = {
      saveState: (key: string, v: unknown) =>
        key === 'report-book:huge' ? Promise.reject(new RangeError('Invalid string length')) : store.saveState(key, v),
      loadState: (key: string) => store.loadState(key),
    };
    const { state } = await ReportState.load(failing, log);
    const book = new ReportBook();
    fill(book, 'huge', 3);
    fill(book, 'orders', 4);
    fill(book, 'users', 2);
    await state.save(book, new RunBook());

    const again = await ReportState.load(store, log);
    expect(again.reports.policies()).toEqual(['orders', 'users']);
    expect(again.reports.summary('orders')?.pairs).toBe(4);

    // an unreadable saved policy starts empty; the others load
    await store.saveState('report-book:orders', { config: 'garbage' });
    const third = await ReportState.load(store, log);
    expect(third.reports.policies()).toEqual(['users']);
    expect(third.reports.summary('users')?.pairs).toBe(2);
    await store.close();
  });

  it('reads the legacy single report blob once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-rs-'));
    dirs.push(dir);
    const store = new SqliteStore({ dataDir: dir });
    const old = new ReportBook();
    fill(old, 'orders', 5);
    await store.saveState('report-book', old.toJSON());
    const { reports } = await ReportState.load(store, log);
    expect(reports.summary('orders')?.pairs).toBe(5);
    await store.close();
  });
});
