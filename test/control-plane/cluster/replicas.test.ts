// Control-plane replicas on one real PostgreSQL 15: the leader lease (one holder; a lost session hands
// it over within a poll; every acquisition fences), and two start()ed control planes sharing
// policies — a write on one reaches the filters connected to the other within a second, a ramp
// command on either is seen by both, and exactly one of them is the leader.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { PgLease } from '../../../control-plane/src/cluster/lease.js';
import { start, type RunningControlPlane } from '../../../control-plane/src/main.js';
import { asAdmin, freshDatabase as fixtureDatabase, throwawayPostgres } from '../../fixtures/postgres.js';
import { loopbackConfig } from '../../fixtures/control-plane-config.js';
import { AckingFilter, tempDir } from '../ramp/fixtures.js';

const postgres = throwawayPostgres();
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const freshDatabase = () => fixtureDatabase(postgres(), 'sg_replicas');
/** What a SIGKILLed leader does to its lease: its session ends and the server frees the lock. */
const killLeaseHolder = (url: string) =>
  asAdmin(
    url,
    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = $1",
    [0x5347_0003],
  );

async function replica(url: string): Promise<RunningControlPlane> {
  const cp = await start(loopbackConfig(tempDir(cleanups), { store: { url } }), {
    logger: pino({ level: 'silent' }),
  });
  cleanups.push(() => cp.close());
  return cp;
}

const api = async (cp: RunningControlPlane, p: string, init: RequestInit = {}) => {
  const r = await fetch(`${cp.httpUrl}${p}`, {
    ...init,
    headers: init.body ? { 'content-type': 'application/json' } : {},
  });
  return { status: r.status, body: (await r.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
};

describe('the leader lease', () => {
  it('has one holder; a lost session hands it over within a poll, with a higher fence', async () => {
    const url = await freshDatabase();
    const { PostgresStore } = await import('../../../control-plane/src/store/postgres.js');
    await (await PostgresStore.open({ url })).close(); // the leases table
    const changes: string[] = [];
    const a = await PgLease.start({ url, holder: 'a', pollMs: 100, onChange: (l) => changes.push(`a:${l}`) });
    const b = await PgLease.start({ url, holder: 'b', pollMs: 100, onChange: (l) => changes.push(`b:${l}`) });
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    const firstFence = a.fence;
    expect(firstFence).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(b.isLeader()).toBe(false); // polling does not steal it

    // The leader dies (a SIGKILLed replica): its session ends, the server frees the lock, and it never
    // polls again (close() after the kill: its unlock finds no session).
    await killLeaseHolder(url);
    await a.close();
    const t0 = Date.now();
    await expect.poll(() => b.isLeader(), { timeout: 3000, interval: 20 }).toBe(true);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(b.fence).toBeGreaterThan(firstFence);
    expect(a.isLeader()).toBe(false);
    expect(await a.ok()).toBe(false);
    expect(changes.filter((c) => c.endsWith(':true'))[0]).toBe('a:true');
    expect(changes.at(-1)).toBe('b:true');
  });

  it('is kept by a leader whose session survives, and taken back by whoever polls first after a cut', async () => {
    const url = await freshDatabase();
    const { PostgresStore } = await import('../../../control-plane/src/store/postgres.js');
    await (await PostgresStore.open({ url })).close();
    const a = await PgLease.start({ url, holder: 'a', pollMs: 50 });
    const b = await PgLease.start({ url, holder: 'b', pollMs: 50 });
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    await killLeaseHolder(url);
    // both alive: one of them holds it again within a few polls, never both
    await expect.poll(() => a.isLeader() !== b.isLeader(), { timeout: 3000, interval: 10 }).toBe(true);
    for (let i = 0; i < 20; i++) {
      expect(a.isLeader() && b.isLeader()).toBe(false);
      await new Promise((r) => setTimeout(r, 10));
    }
  });
});

describe('two control-plane replicas on one PostgreSQL', () => {
  it('share policies: a write on A reaches a filter connected to B within a second; one leader; ramp commands seen by both', async () => {
    const url = await freshDatabase();
    const a = await replica(url);
    const b = await replica(url);
    const ready = await Promise.all([api(a, '/readyz'), api(b, '/readyz')]);
    expect(ready.map((r) => r.body.leader).sort()).toEqual([false, true]);

    const filter = await AckingFilter.edge(b.grpcPort, cleanups);
    await expect.poll(() => filter.count).toBe(1); // the static-config snapshot, no policy yet

    const t0 = Date.now();
    const put = await api(a, '/api/v1/policies/checkout', {
      method: 'PUT',
      body: JSON.stringify({ services: ['checkout'], sampling: { defaultPercent: 7 } }),
    });
    expect(put.status).toBe(201);
    await expect.poll(() => filter.count, { timeout: 2000, interval: 10 }).toBe(2);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect((await filter.sampling(2)).defaultPercent).toBe(7);
    expect((await api(b, '/api/v1/policies/checkout')).body).toMatchObject({ name: 'checkout', version: 1 });

    // A ramp: started through B, seen running on A (the leader runs it, the other reloads it).
    await api(b, '/api/v1/policies/checkout', {
      method: 'PUT',
      body: JSON.stringify({ services: ['checkout'], sampling: { defaultPercent: 7 }, ramp: { stages: [5, 50] } }),
    });
    await expect.poll(async () => (await api(a, '/api/v1/policies/checkout/ramp')).status).toBe(200);
    expect((await api(b, '/api/v1/policies/checkout/ramp/start', { method: 'POST' })).body.status).toBe('running');
    await expect.poll(async () => (await api(a, '/api/v1/policies/checkout/ramp')).body.status).toBe('running');
    // and the ramp's cap reaches the filter on B: 5 % while the first stage runs
    await expect.poll(async () => (await filter.sampling(filter.count)).defaultPercent).toBe(5);
  });
});
