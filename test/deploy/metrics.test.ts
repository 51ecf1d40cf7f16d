// /metrics of a real control plane behind the sandbox mesh: the exposition is clean for Prometheus's
// own checker (promtool check metrics), and the per-endpoint, egress and latency series move with the
// traffic sent through the edge (docs/metrics.md).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import YAML from 'yaml';
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

/** Envoy's tag extraction (TagExtractorImpl): per regex on the full name, group 1 is cut from the name, group 2 is the value. */
function extractTags(name: string, rules: Array<{ tag_name: string; regex: string }>) {
  const tags: Record<string, string> = {};
  let extracted = name;
  for (const r of rules) {
    const m = new RegExp(r.regex).exec(name);
    if (!m) continue;
    tags[r.tag_name] = m[2];
    extracted = extracted.replace(m[1], '');
  }
  return { name: extracted, tags };
}

it("the filter's own Envoy stats carry decision and rule in a form Envoy's tag extraction turns into tags", async () => {
  const rules = YAML.parse(fs.readFileSync('envoy/stats-tags.yaml', 'utf8')).stats_config.stats_tags;
  const stat = (n: string) => demo.mesh.host.stats.value(n) ?? 0;
  const allowed0 = stat('shadowguard.egress.decision.allowed.rule.catalog-read');
  await sendAll(demo, [req.product(3), req.product(4)]);
  await waitFor(
    async () => (stat('shadowguard.egress.decision.allowed.rule.catalog-read') >= allowed0 + 4 ? true : undefined),
    10_000,
    'four more tagged catalog-read stats (candidate and secondary, two reads each)',
  );
  expect(stat('shadowguard.egress.decision.allowed.rule.catalog-read')).toBe(allowed0 + 4);
  const tagged = [...demo.mesh.host.stats.snapshot().keys()].filter((n) =>
    n.startsWith('shadowguard.egress.decision.'),
  );
  expect(tagged.length).toBeGreaterThan(0);
  for (const n of tagged) {
    const { name, tags } = extractTags(`wasmcustom.${n}`, rules);
    expect(name).toBe('wasmcustom.shadowguard.egress.decision.rule');
    expect(['allowed', 'mocked', 'denied', 'rate_limited']).toContain(tags.shadowguard_decision);
    expect(n.endsWith(`.rule.${tags.shadowguard_rule}`)).toBe(true);
  }
  expect(extractTags('wasmcustom.shadowguard.egress.decision.rate_limited.rule.catalog-read', rules)).toEqual({
    name: 'wasmcustom.shadowguard.egress.decision.rule',
    tags: { shadowguard_decision: 'rate_limited', shadowguard_rule: 'catalog-read' },
  });
});
