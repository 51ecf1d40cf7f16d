// Two control-plane replicas on a real PostgreSQL 15 and a real Redis 7, the edge filter streaming to
// one and the shadow filter to the other: every pair meets in Redis and is compared exactly once (by
// whichever replica completed it), both replicas' reports show all of them (the observation log),
// each half is acknowledged only once stored, and when Redis goes away the stream ends UNAVAILABLE
// (the filter resends after reconnecting) instead of acknowledging a half nobody holds.
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { start, type RunningControlPlane } from '../../../control-plane/src/main.js';
import { loopbackConfig } from '../../fixtures/control-plane-config.js';
import { freshDatabase, throwawayPostgres } from '../../fixtures/postgres.js';
import { throwawayRedis } from '../../fixtures/redis.js';
import { halfMessage, tempDir } from '../ramp/fixtures.js';
import { FakeFilter, hello } from '../stream/fixtures.js';

const postgres = throwawayPostgres();
const redis = throwawayRedis();
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function replica(storeUrl: string): Promise<RunningControlPlane> {
  const base = loopbackConfig(tempDir(cleanups), { store: { url: storeUrl } });
  const cp = await start(
    { ...base, pairing: { ...base.pairing, redisUrl: redis.url() } },
    { logger: pino({ level: process.env.SG_LOG ?? 'silent' }) },
  );
  cleanups.push(() => cp.close());
  return cp;
}

/** Writes the checkout policy through `cp`'s API. */
async function putCheckout(cp: RunningControlPlane): Promise<void> {
  const put = await fetch(`${cp.httpUrl}/api/v1/policies/checkout`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ services: ['checkout'] }),
  });
  expect(put.status).toBe(201);
}

/** An edge filter streaming to `edgePort` and a candidate shadow to `shadowPort` (edge-<id>, shadow-<id>). */
async function filters(edgePort: number, shadowPort: number, id: string, epochs: [number, number]) {
  const edge = await FakeFilter.connect(edgePort, hello({ nodeId: `edge-${id}`, role: 'edge', epoch: epochs[0] }));
  const shadow = await FakeFilter.connect(
    shadowPort,
    hello({ nodeId: `shadow-${id}`, role: 'shadow', variant: 'candidate', workload: 'checkout-v2', epoch: epochs[1] }),
  );
  cleanups.push(
    () => edge.close(),
    () => shadow.close(),
  );
  return { edge, shadow };
}

/** Pairs this replica compared itself (its latency histogram counts the pairs its engine compared). */
const comparedBy = async (cp: RunningControlPlane): Promise<number> => {
  const text = await (await fetch(`${cp.httpUrl}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(/^shadowguard_pair_latency_seconds_count\{.*side="live".*\} (\d+)$/gm))
    sum += Number(m[1]);
  return sum;
};

const pairsIn = async (cp: RunningControlPlane): Promise<number> => {
  const r = await fetch(`${cp.httpUrl}/api/v1/reports/checkout`);
  const body = (await r.json()) as { endpoints: Array<{ pairs: number }> };
  return body.endpoints.reduce((n, e) => n + e.pairs, 0);
};

it('pairs halves that reached different replicas exactly once, acknowledging each once stored', async () => {
  const url = await freshDatabase(postgres(), 'sg_shared_pairing');
  const a = await replica(url);
  const b = await replica(url);
  await putCheckout(a);

  const { edge, shadow } = await filters(a.grpcPort, b.grpcPort, '1', [7, 9]);
  const n = 120;
  for (let i = 1; i <= n; i++) {
    await edge.send({ seq: i, ...halfMessage(`p${i}`, 'LIVE', 'GET', `/users/${i}`, { name: 'Ada', i }) });
    await shadow.send({
      seq: i,
      ...halfMessage(`p${i}`, 'CANDIDATE', 'GET', `/users/${i}`, { name: i % 10 ? 'Ada' : 'Eve', i }),
    });
  }
  // One report, the same on both replicas: every pair, once.
  await expect.poll(async () => [await pairsIn(a), await pairsIn(b)], { timeout: 10_000 }).toEqual([n, n]);
  await new Promise((r) => setTimeout(r, 300));
  expect([await pairsIn(a), await pairsIn(b)]).toEqual([n, n]);
  // …compared once in all: the replicas' own compare counts add up to n (the one that received a
  // pair's last half compared it; here the candidates arrive last, on B).
  const compared = await Promise.all([a, b].map(comparedBy));
  expect(compared[0] + compared[1]).toBe(n);
  const mismatches = async (cp: RunningControlPlane) => {
    const r = await fetch(`${cp.httpUrl}/api/v1/reports/checkout`);
    return ((await r.json()) as { endpoints: Array<{ matching: number; pairs: number }> }).endpoints.map(
      (e) => e.pairs - e.matching,
    );
  };
  expect(await mismatches(a)).toEqual(await mismatches(b));
  expect((await mismatches(a)).reduce((x, y) => x + y, 0)).toBe(n / 10);
  // The mismatched pairs' side-by-side samples travel with the log too (each example a field of its
  // entry, parsed by a replica only when its report keeps it): both replicas show the same ones.
  const samples = async (cp: RunningControlPlane) => {
    const ep = encodeURIComponent('GET /users/{id}');
    const r = await fetch(`${cp.httpUrl}/api/v1/reports/checkout/endpoints/${ep}`);
    return (
      (await r.json()) as {
        report: { samples: Array<{ pairId: string; live: { body: unknown }; candidate: { body: unknown } }> };
      }
    ).report.samples;
  };
  const [sa, sb] = [await samples(a), await samples(b)];
  expect(sa.length).toBeGreaterThan(0);
  expect(sb).toEqual(sa);
  for (const x of sa) {
    const i = Number(x.pairId.slice(1));
    expect(x.live.body).toEqual({ name: 'Ada', i });
    expect(x.candidate.body).toEqual({ name: 'Eve', i });
  }
  // Both filters acknowledged up to their last half, and only after it was stored.
  await expect.poll(() => Math.max(0, ...edge.delivered)).toBe(n);
  await expect.poll(() => Math.max(0, ...shadow.delivered)).toBe(n);
  // Nothing left in Redis once every comparison is committed (the shared counters are read once a second).
  const metrics = () => fetch(`${a.httpUrl}/metrics`).then((r) => r.text());
  await expect.poll(metrics, { timeout: 5000 }).toMatch(/^shadowguard_pairing_pending_pairs 0$/m);
  await expect.poll(metrics, { timeout: 5000 }).toMatch(/^shadowguard_pairing_pending_bytes 0$/m);

  // Redis goes away: the next half cannot be stored, so it is not acknowledged and the stream ends
  // UNAVAILABLE (the filter reconnects and resends it); nothing crashes.
  await redis.stop();
  await edge.send({ seq: n + 1, ...halfMessage('late-1', 'LIVE', 'GET', '/users/1', { name: 'Ada' }) });
  const status = await edge.status;
  expect(status.code).toBe(14); // UNAVAILABLE
  expect(Math.max(...edge.delivered)).toBe(n);
  expect((await fetch(`${b.httpUrl}/healthz`)).status).toBe(200);
  await redis.start(); // a new, empty one for the next test
}, 60_000);

it('a replica that restarts loads the saved reports and replays only what the others compared after the save', async () => {
  const url = await freshDatabase(postgres(), 'sg_replay');
  const a = await replica(url); // first up: the leader, which saves the shared reports
  await putCheckout(a);
  const { edge, shadow } = await filters(a.grpcPort, a.grpcPort, 'r', [1, 1]);
  let seq = 0;
  const pairs = async (count: number) => {
    for (let i = 0; i < count; i++) {
      seq++;
      await edge.send({ seq, ...halfMessage(`r${seq}`, 'LIVE', 'GET', `/users/${seq}`, { name: 'Ada' }) });
      await shadow.send({ seq, ...halfMessage(`r${seq}`, 'CANDIDATE', 'GET', `/users/${seq}`, { name: 'Ada' }) });
    }
    await expect.poll(() => pairsIn(a), { timeout: 10_000 }).toBe(seq);
  };
  await pairs(50);
  await a.persist(); // the leader's save: 50 pairs, at the log position it had applied
  await pairs(30); // compared after the save: in the log, not in the saved reports
  const c = await replica(url); // a replica (re)starting now
  await expect.poll(() => pairsIn(c), { timeout: 10_000 }).toBe(80);
  await pairs(20);
  await expect.poll(() => pairsIn(c), { timeout: 10_000 }).toBe(100);
  await new Promise((r) => setTimeout(r, 300));
  expect([await pairsIn(a), await pairsIn(c)]).toEqual([100, 100]); // nothing counted twice
}, 60_000);

it('sends a mismatched pair’s example through the log only when a report will keep it', async () => {
  const url = await freshDatabase(postgres(), 'sg_examples');
  const a = await replica(url);
  const b = await replica(url);
  await putCheckout(a);
  const { edge, shadow } = await filters(a.grpcPort, b.grpcPort, 'x', [1, 1]);
  const n = 80;
  for (let i = 1; i <= n; i++) {
    await edge.send({ seq: i, ...halfMessage(`x${i}`, 'LIVE', 'GET', `/users/${i}`, { name: 'Ada', i }) });
    await shadow.send({ seq: i, ...halfMessage(`x${i}`, 'CANDIDATE', 'GET', `/users/${i}`, { name: 'Eve', i }) });
    // one pair at a time, so the comparing replica's report is current when it decides
    await expect.poll(() => pairsIn(b), { timeout: 10_000 }).toBe(i);
  }
  await expect.poll(() => pairsIn(a), { timeout: 10_000 }).toBe(n);
  // Every pair mismatches, but an example (two redacted bodies) reaches the log only for the first
  // five and about one pair in ten after them: the ones a report keeps.
  const log = new Redis(redis.url());
  cleanups.push(() => log.quit());
  const entries = await log.xrange('sg:observations', '-', '+');
  // (this file's earlier tests left their entries: only this test's pairs, ids x1…x80, count)
  const pairs = entries.filter(([, f]) => {
    const o = JSON.parse(f[f.indexOf('o') + 1]) as { kind: string; pair?: { pairId: string } };
    return o.kind === 'pair' && o.pair?.pairId.startsWith('x');
  });
  const withExample = pairs.filter(([, f]) => f.includes('x')).length;
  expect(pairs).toHaveLength(n);
  expect(withExample).toBeGreaterThan(5);
  expect(withExample).toBeLessThan(n / 4);
  // …and both replicas show the same recent samples, each with its bodies (none lost on the way).
  const samples = async (cp: RunningControlPlane) => {
    const ep = encodeURIComponent('GET /users/{id}');
    const r = await fetch(`${cp.httpUrl}/api/v1/reports/checkout/endpoints/${ep}`);
    return ((await r.json()) as { report: { samples: Array<{ pairId: string; candidate: { body: unknown } }> } }).report
      .samples;
  };
  const [sa, sb] = [await samples(a), await samples(b)];
  expect(sa).toHaveLength(5);
  expect(sb).toEqual(sa);
  expect(Math.max(...sa.map((s) => Number(s.pairId.slice(1))))).toBeGreaterThan(5); // replaced by later pairs
  for (const s of sa) expect(s.candidate.body).toEqual({ name: 'Eve', i: Number(s.pairId.slice(1)) });
}, 60_000);
