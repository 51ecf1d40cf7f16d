// /metrics of a real control plane behind the sandbox mesh: the exposition is clean for Prometheus's
// own checker (promtool check metrics), and the per-endpoint, egress and latency series move with the
// traffic sent through the edge (docs/metrics.md).
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDemo, type Demo } from '../../sandbox/demo/index.js';
import { demoPolicy } from '../../sandbox/demo/policy.js';
import { req, sendAll, waitFor } from '../e2e/support.js';
import { sample } from './prom-text.js';

let demo: Demo;
beforeAll(async () => {
  demo = await startDemo({
    policy: { ...demoPolicy({ catalogRatePerSecond: 100_000 }), inboundRateLimit: { requestsPerSecond: 100_000 } },
  });
});
afterAll(async () => {
  await demo?.close();
});

async function scrape(): Promise<string> {
  const res = await fetch(`${demo.controlPlane.httpUrl}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

it('promtool check metrics finds nothing to complain about', async () => {
  await sendAll(demo, [req.product(1), req.user(2)]);
  const text = await waitFor(
    async () => {
      const t = await scrape();
      const done = ['GET /products/{id}', 'GET /users/{id}'].every(
        (endpoint) => sample(t, 'shadowguard_pairs_compared_total', { policy: 'shop', endpoint }) === 1,
      );
      return done ? t : undefined;
    },
    10_000,
    'the first two pairs on /metrics',
  );
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  expect(r.stderr + r.stdout).toBe('');
  expect(r.status).toBe(0);
  // The old stat-label gauges are gone.
  expect(text).not.toMatch(/^shadowguard_(pairer|ingest)\{stat=/m);
});

it('per-endpoint pairs, latency and egress decisions move with traffic through the mesh', async () => {
  const ep = { policy: 'shop', endpoint: 'GET /products/{id}' };
  const before = await scrape();
  const pairs0 = sample(before, 'shadowguard_pairs_compared_total', ep) ?? 0;
  const live0 = sample(before, 'shadowguard_pair_latency_seconds_count', { ...ep, side: 'live' }) ?? 0;
  const egress = { policy: 'shop', destination: 'catalog:8080', decision: 'allowed', rule: 'catalog-read' };
  const allowed0 = sample(before, 'shadowguard_egress_decisions_total', egress) ?? 0;

  const results = await sendAll(
    demo,
    Array.from({ length: 20 }, (_, i) => req.product(10 + i)),
  );
  expect(results.map((r) => r.status)).toEqual(results.map(() => 200));

  const after = await waitFor(
    async () => {
      const t = await scrape();
      return (sample(t, 'shadowguard_pairs_compared_total', ep) ?? 0) >= pairs0 + 20 ? t : undefined;
    },
    15_000,
    '20 more GET /products/{id} pairs on /metrics',
  );
  expect(sample(after, 'shadowguard_pairs_compared_total', ep)).toBe(pairs0 + 20);
  expect(sample(after, 'shadowguard_pair_latency_seconds_count', { ...ep, side: 'live' })).toBe(live0 + 20);
  expect(sample(after, 'shadowguard_pair_latency_seconds_count', { ...ep, side: 'shadow' })).toBe(live0 + 20);
  expect(sample(after, 'shadowguard_pair_latency_seconds_bucket', { ...ep, side: 'shadow', le: '+Inf' })).toBe(
    live0 + 20,
  );
  // Another endpoint did not move.
  expect(sample(after, 'shadowguard_pairs_compared_total', { policy: 'shop', endpoint: 'GET /users/{id}' })).toBe(
    sample(before, 'shadowguard_pairs_compared_total', { policy: 'shop', endpoint: 'GET /users/{id}' }),
  );
  // Each product read makes the candidate and the secondary call the catalog once: allowed by catalog-read.
  const allowed = await waitFor(
    async () => {
      const v = sample(await scrape(), 'shadowguard_egress_decisions_total', egress) ?? 0;
      return v >= allowed0 + 40 ? v : undefined;
    },
    10_000,
    '40 more allowed catalog calls',
  );
  expect(allowed).toBe(allowed0 + 40);
  expect(sample(after, 'shadowguard_filters', { role: 'edge', state: 'connected' })).toBeGreaterThan(0);
  expect(sample(after, 'shadowguard_filter_config_responses_total', { response: 'ack' })).toBeGreaterThan(0);
  expect(sample(after, 'shadowguard_filter_config_nacked', { role: 'shadow' })).toBe(0);
});
