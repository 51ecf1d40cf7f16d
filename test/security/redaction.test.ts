// Issue 14 finding 5: JSON values under secret key names are redacted by default before anything is
// stored or served (configurable), and examples stored before that are redacted when state loads.
import { afterEach, describe, expect, it } from 'vitest';
import type { Policy, PolicySpec } from '../../control-plane/src/domain/types.js';
import { ReportBook } from '../../control-plane/src/reports/aggregate.js';
import { SqliteStore } from '../../control-plane/src/store/sqlite.js';
import { half, ingestFor } from '../control-plane/api/engine-fixtures.js';
import { EDITOR, testApp } from '../control-plane/api/helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const SECRETS = ['sess-live-8f3a9c', 'sess-cand-77b1d2', 'hunter2-live', 'hunter2-cand', '4111111111111111', '123'];

function feed(normalize: PolicySpec['normalize'], reports = new ReportBook()): ReportBook {
  const p: Policy = {
    name: 'checkout',
    version: 1,
    spec: { services: ['checkout'], normalize },
    updatedAt: '',
    updatedBy: 't',
  };
  const store = new SqliteStore({ dataDir: ':memory:' });
  cleanups.push(() => store.close());
  const ingest = ingestFor([p], { reports, store });
  const body = (side: string, amount: number) => ({
    amount,
    session_token: `sess-${side}-${side === 'live' ? '8f3a9c' : '77b1d2'}`,
    user: { Password: `hunter2-${side}`, payment: { card_number: '4111111111111111', cvv: '123' } },
  });
  for (let i = 0; i < 3; i++) {
    ingest.half(half(`p${i}`, 'live', body('live', 1)));
    ingest.half(half(`p${i}`, 'candidate', body('cand', 2)));
  }
  return reports;
}

async function served(reports: ReportBook): Promise<string> {
  const t = await testApp({ reports });
  cleanups.push(() => t.app.close());
  const list = await t.as(EDITOR, { method: 'GET', url: '/api/v1/reports/checkout' });
  const ep = list.json().endpoints[0].endpoint as string;
  const detail = await t.as(EDITOR, {
    method: 'GET',
    url: `/api/v1/reports/checkout/endpoints/${encodeURIComponent(ep)}`,
  });
  expect(detail.statusCode).toBe(200);
  return list.body + detail.body;
}

describe('JSON secret keys (finding 5)', () => {
  it('are redacted by default in differences, field examples and samples', async () => {
    const reports = feed(undefined);
    const text = await served(reports);
    expect(text).toContain('session_token'); // the field is reported…
    expect(text).toContain('[REDACTED]');
    for (const s of SECRETS) expect(text).not.toContain(s); // …its value never
    expect(JSON.stringify(reports.toJSON())).not.toContain('sess-live-8f3a9c'); // nor stored
  });

  it('can be turned off per policy (normalize.redactSecretKeys: false)', async () => {
    const text = await served(feed({ redactSecretKeys: false }));
    expect(text).toContain('sess-live-8f3a9c');
  });

  it('examples stored before the upgrade are redacted when state loads', async () => {
    const old = JSON.parse(JSON.stringify(feed({ redactSecretKeys: false }).toJSON()));
    expect(JSON.stringify(old)).toContain('sess-live-8f3a9c');
    const text = await served(ReportBook.fromJSON(old));
    for (const s of SECRETS) expect(text).not.toContain(s);
  });
});
