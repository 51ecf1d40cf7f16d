import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../control-plane/src/store/sqlite.js';
import { specChanges } from '../../../control-plane/src/store/spec-diff.js';
import { spec } from './helpers.js';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-store-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('SqliteStore', () => {
  it('creates the data dir and a WAL-mode database file, and keeps everything across reopen', async () => {
    const dir = path.join(tmp(), 'nested', 'data');
    const a = new SqliteStore({ dataDir: dir });
    await a.putPolicy('p', spec(), 'alice');
    await a.putPolicy('p', spec({ description: 'v2' }), 'bob');
    await a.saveState('report-book', { endpoints: { 'GET /x': { pairs: 3 } } });
    const alert = await a.addAlert({ at: 5, policy: 'p', endpoint: 'GET /x', rate: 50, pairs: 20, message: 'm' });
    await a.markAlertDelivered(alert.id, true);
    await a.close();
    expect(fs.existsSync(path.join(dir, 'shadowguard.db'))).toBe(true);

    const b = new SqliteStore({ dataDir: dir });
    expect(await b.getPolicy('p')).toMatchObject({ version: 2, updatedBy: 'bob', spec: spec({ description: 'v2' }) });
    expect((await b.history('p'))!.versions.map((v) => v.createdBy)).toEqual(['alice', 'bob']);
    expect(await b.loadState('report-book')).toEqual({ endpoints: { 'GET /x': { pairs: 3 } } });
    expect(await b.loadState('nothing')).toBeUndefined();
    expect((await b.listAlerts())[0]).toMatchObject({ id: alert.id, delivered: true });
    await b.close();

    const raw = new Database(path.join(dir, 'shadowguard.db'));
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('refuses a database written by a newer schema version with a clear error', async () => {
    const dir = tmp();
    const raw = new Database(path.join(dir, 'shadowguard.db'));
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => new SqliteStore({ dataDir: dir })).toThrow(/schema version 99 is newer than this control plane/);
  });

  it('reports a data dir that cannot be used', () => {
    const file = path.join(tmp(), 'a-file');
    fs.writeFileSync(file, 'x');
    expect(() => new SqliteStore({ dataDir: file })).toThrow(/EEXIST|ENOTDIR|cannot open database/);
  });

  it('the audit summary lists changed paths, walking objects and treating arrays as leaves', () => {
    expect(
      specChanges(
        { services: ['a'], egress: { defaultAction: 'deny', rules: [{ name: 'x', action: 'deny' }] } },
        {
          services: ['a'],
          egress: { defaultAction: 'allow', rules: [{ name: 'x', action: 'allow' }] },
          secondary: true,
        },
      ),
    ).toEqual([
      { path: 'egress.defaultAction', op: 'changed' },
      { path: 'egress.rules', op: 'changed' },
      { path: 'secondary', op: 'added' },
    ]);
    expect(specChanges({ a: { b: 1 } }, {})).toEqual([{ path: 'a', op: 'removed' }]);
  });
});
