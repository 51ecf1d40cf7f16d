// The Store contract, run against both stores: the embedded SQLite file and a real PostgreSQL 15
// (a throwaway server, one fresh database per test). Same calls, same answers: versions and
// tombstones, preconditions, the one-policy-per-service rule, history and audit, engine state,
// alerts and their states. PostgreSQL also races two replicas' writes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PolicySpec } from '../../../control-plane/src/domain/types.js';
import { PostgresStore } from '../../../control-plane/src/store/postgres.js';
import { SqliteStore } from '../../../control-plane/src/store/sqlite.js';
import { StoreError, type Store } from '../../../control-plane/src/store/types.js';
import { asAdmin, freshDatabase as fixtureDatabase, throwawayPostgres } from '../../fixtures/postgres.js';

const postgres = throwawayPostgres();

const freshDatabase = () => fixtureDatabase(postgres(), 'sg_contract');

const opened: Store[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const kinds: Array<[string, () => Promise<Store>]> = [
  [
    'SqliteStore',
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-contract-'));
      dirs.push(dir);
      const s = new SqliteStore({ dataDir: dir });
      opened.push(s);
      return s;
    },
  ],
  [
    'PostgresStore',
    async () => {
      const s = await PostgresStore.open({ url: await freshDatabase() });
      opened.push(s);
      return s;
    },
  ],
];

const spec = (over: Partial<PolicySpec> = {}): PolicySpec => ({
  services: ['checkout'],
  sampling: { defaultPercent: 5 },
  ...over,
});

const refused = async (p: Promise<unknown>, kind: StoreError['kind']): Promise<string> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  expect((err as StoreError).kind).toBe(kind);
  return (err as StoreError).message;
};

describe.each(kinds)('%s', (_name, open) => {
  it('versions every change, keeps key order, and treats an identical spec as a no-op', async () => {
    const s = await open();
    const a = await s.putPolicy('shop', spec({ sampling: { defaultPercent: 5 } }), 'ann');
    expect(a).toMatchObject({ created: true, changed: true, policy: { name: 'shop', version: 1, updatedBy: 'ann' } });
    expect(Date.parse(a.policy.updatedAt)).toBeGreaterThan(0);
    const same = await s.putPolicy('shop', spec({ sampling: { defaultPercent: 5 } }), 'bob');
    expect(same).toMatchObject({ created: false, changed: false, policy: { version: 1 } });
    const b = await s.putPolicy('shop', { sampling: { defaultPercent: 10 }, services: ['checkout'] }, 'bob');
    expect(b).toMatchObject({ created: false, changed: true, policy: { version: 2 } });
    // served exactly as written: key order too (a JSONB column would reorder it)
    expect(Object.keys((await s.getPolicy('shop'))!.spec)).toEqual(['sampling', 'services']);
    expect((await s.listPolicies()).map((p) => [p.name, p.version])).toEqual([['shop', 2]]);
  });

  it('checks If-Match / If-None-Match preconditions and the one-policy-per-service rule', async () => {
    const s = await open();
    await s.putPolicy('shop', spec(), 'ann', { ifAbsent: true });
    expect(await refused(s.putPolicy('shop', spec(), 'ann', { ifAbsent: true }), 'precondition_failed')).toMatch(
      /already exists \(version 1\)/,
    );
    expect(
      await refused(
        s.putPolicy('shop', spec({ sampling: { defaultPercent: 9 } }), 'ann', { ifVersion: 7 }),
        'precondition_failed',
      ),
    ).toMatch(/is at version 1, not 7/);
    expect(await refused(s.putPolicy('other', spec(), 'ann'), 'conflict')).toMatch(
      /service 'checkout' is already covered by policy 'shop'/,
    );
    expect(await s.getPolicy('other')).toBeUndefined();
  });

  it('deletes with a tombstone, restores by rollback, refuses a rollback to a tombstone', async () => {
    const s = await open();
    await s.putPolicy('shop', spec(), 'ann');
    await s.putPolicy('shop', spec({ sampling: { defaultPercent: 50 } }), 'ann');
    expect(await s.deletePolicy('shop', 'bob')).toEqual({ version: 3 });
    expect(await s.getPolicy('shop')).toBeUndefined();
    await refused(s.deletePolicy('shop', 'bob'), 'not_found');
    expect(await refused(s.rollbackPolicy('shop', 3, 'bob'), 'conflict')).toMatch(/is a deletion/);
    await refused(s.rollbackPolicy('shop', 9, 'bob'), 'not_found');
    const back = await s.rollbackPolicy('shop', 1, 'cy');
    expect(back).toMatchObject({ version: 4, spec: spec() });
    const h = (await s.history('shop'))!;
    expect(h.version).toBe(4);
    expect(h.versions.map((v) => [v.version, v.deleted, v.createdBy])).toEqual([
      [1, false, 'ann'],
      [2, false, 'ann'],
      [3, true, 'bob'],
      [4, false, 'cy'],
    ]);
    expect(h.versions[2].spec).toBeUndefined();
    expect(h.audit.map((a) => [a.action, a.fromVersion, a.toVersion])).toEqual([
      ['create', null, 1],
      ['update', 1, 2],
      ['delete', 2, 3],
      ['rollback', 3, 4],
    ]);
    expect(h.audit[1].changes).toEqual([{ path: 'sampling.defaultPercent', op: 'changed' }]);
    expect(await s.history('never')).toBeUndefined();
  });

  it('lists the audit newest first, by policy and limited, and records ramp commands', async () => {
    const s = await open();
    await s.putPolicy('a', spec({ services: ['a'] }), 'ann');
    await s.putPolicy('b', spec({ services: ['b'] }), 'ann');
    const r = await s.recordAudit('a', 'ops', 'ramp-pause', [{ path: 'ramp.status', op: 'changed' }]);
    expect(r).toMatchObject({ action: 'ramp-pause', policy: 'a', fromVersion: 1, toVersion: 1, who: 'ops' });
    await refused(s.recordAudit('zzz', 'ops', 'ramp-start', []), 'not_found');
    expect((await s.listAudit()).map((e) => [e.policy, e.action])).toEqual([
      ['a', 'ramp-pause'],
      ['b', 'create'],
      ['a', 'create'],
    ]);
    expect((await s.listAudit({ policy: 'a', limit: 1 })).map((e) => e.action)).toEqual(['ramp-pause']);
  });

  it('keeps engine state blobs by key', async () => {
    const s = await open();
    expect(await s.loadState('report-book:shop')).toBeUndefined();
    await s.saveState('report-book:shop', { version: 1, endpoints: [{ pairs: 3 }] });
    await s.saveState('report-book:shop', { version: 1, endpoints: [{ pairs: 4 }] });
    expect(await s.loadState('report-book:shop')).toEqual({ version: 1, endpoints: [{ pairs: 4 }] });
  });

  it('stores alerts, their delivery and their states', async () => {
    const s = await open();
    const a1 = await s.addAlert({ at: 1000, policy: 'a', endpoint: 'GET /x', rate: 12.5, pairs: 40, message: 'x' });
    const a2 = await s.addAlert({ at: 2000, policy: 'a', endpoint: 'GET /x', rate: 15, pairs: 50, message: 'x again' });
    await s.addAlert({ at: 3000, policy: 'b', endpoint: 'GET /y', rate: 7.25, pairs: 20, message: 'y' });
    expect(a1).toMatchObject({ id: expect.any(Number), delivery: 'pending', state: 'open', stateAt: null });
    await s.markAlertDelivery(a1.id, 'no webhook');
    await s.markAlertDelivered(a2.id, true);
    const listed = await s.listAlerts({ policy: 'a' });
    expect(listed.map((a) => [a.message, a.delivery, a.delivered, a.at, a.rate])).toEqual([
      ['x again', 'delivered', true, 2000, 15],
      ['x', 'no webhook', false, 1000, 12.5],
    ]);
    expect((await s.listAlerts({ limit: 1 })).map((a) => a.message)).toEqual(['y']);
    const ack = await s.setAlertState(a1.id, 'acknowledged', 'ops', 5000);
    expect(ack).toMatchObject({ state: 'acknowledged', stateBy: 'ops', stateAt: 5000 });
    await refused(s.setAlertState(999_999, 'resolved', 'ops', 5000), 'not_found');
    const resolved = await s.resolveAlerts('a', 'GET /x', 'shadowguard', 6000);
    expect(resolved.map((a) => [a.id, a.state, a.stateBy])).toEqual([
      [a1.id, 'resolved', 'shadowguard'],
      [a2.id, 'resolved', 'shadowguard'],
    ]);
    expect((await s.listAlerts({ state: 'open' })).map((a) => a.policy)).toEqual(['b']);
    await s.ping();
  });
});

describe('PostgresStore, several replicas on one database', () => {
  it('lets exactly one of two racing writers win the same If-Match, and never writes a version twice', async () => {
    const url = await freshDatabase();
    const [a, b] = await Promise.all([PostgresStore.open({ url }), PostgresStore.open({ url })]);
    opened.push(a, b);
    await a.putPolicy('shop', spec(), 'ann');
    for (let round = 0; round < 10; round++) {
      const version = (await a.getPolicy('shop'))!.version;
      const results = await Promise.allSettled([
        a.putPolicy('shop', spec({ sampling: { defaultPercent: 2 * round + 10 } }), 'a', { ifVersion: version }),
        b.putPolicy('shop', spec({ sampling: { defaultPercent: 2 * round + 11 } }), 'b', { ifVersion: version }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect((lost.reason as StoreError).kind).toBe('precondition_failed');
    }
    const h = (await b.history('shop'))!;
    expect(h.versions.map((v) => v.version)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    expect(h.audit).toHaveLength(11);
  });

  it('tells every replica of a change another one committed (LISTEN/NOTIFY), and to resync after losing it', async () => {
    const url = await freshDatabase();
    const [a, b] = await Promise.all([PostgresStore.open({ url }), PostgresStore.open({ url })]);
    opened.push(a, b);
    const heard: string[] = [];
    const stop = b.watch((c) => heard.push(c));
    // the LISTEN connection is up once a notification round-trips
    await expect
      .poll(async () => {
        await a.notify('ping');
        return heard.includes('ping');
      })
      .toBe(true);
    await a.putPolicy('shop', spec(), 'ann');
    await a.recordAudit('shop', 'ops', 'ramp-start', []);
    await expect.poll(() => heard.filter((h) => h !== 'ping')).toEqual(['policy:shop', 'ramp:shop']);
    // a no-op write announces nothing
    await a.putPolicy('shop', spec(), 'ann');
    // the listening session is killed: b reconnects and says 'resync' (what it missed is unknown)
    await asAdmin(
      url,
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()",
    );
    await expect.poll(() => heard.includes('resync'), { timeout: 5000 }).toBe(true);
    await a.putPolicy('shop', spec({ sampling: { defaultPercent: 1 } }), 'ann');
    await expect.poll(() => heard.filter((h) => h === 'policy:shop').length, { timeout: 5000 }).toBe(2);
    stop();
  });

  it('refuses a database migrated by a newer control plane, naming the URL without its password', async () => {
    const url = await freshDatabase();
    const s = await PostgresStore.open({ url });
    await s.close();
    await asAdmin(url, 'UPDATE shadowguard_schema SET version = 99');
    const withPassword = url.replace('postgres@', 'postgres:s3cret@');
    const err = await PostgresStore.open({ url: withPassword }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/schema version 99 is newer than this control plane/);
    expect((err as Error).message).not.toContain('s3cret');
  });
});
