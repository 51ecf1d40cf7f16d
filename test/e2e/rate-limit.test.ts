// Story 7: the catalog can take 12 shadow requests per second. The policy's egress rule lets each
// shadow read it at 4/s (burst 2): whatever the mirrored load, the catalog never sees more shadow
// requests in a second than it can take, and every live request is served as usual.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PolicySpec } from '../../control-plane/src/domain/types.js';
import { startDemo, type Demo } from '../../sandbox/demo/index.js';
import { demoPolicy } from '../../sandbox/demo/policy.js';
import { catalogItem } from '../../sandbox/demo/providers.js';
import { metric, req, sendAll, waitFor } from './support.js';

const CAPACITY = 12;
function policy(): PolicySpec {
  const p = demoPolicy();
  const catalog = p.egress!.rules!.find((r) => r.name === 'catalog-read')!;
  catalog.rateLimit = { requestsPerSecond: 4, burst: 2 };
  p.capacity = p.capacity!.map((c) => (c.host === 'catalog' ? { ...c, requestsPerSecond: CAPACITY } : c));
  return p;
}

let demo: Demo;
beforeAll(async () => {
  demo = await startDemo({ policy: policy() });
});
afterAll(async () => {
  await demo?.close();
});

it('a shadow rate limit holds the catalog under its capacity while live reads are unaffected', async () => {
  const ids = Array.from({ length: 150 }, (_, i) => 1 + (i % 60));
  const started = Date.now();
  const results = await sendAll(
    demo,
    ids.map((id) => req.product(id)),
    { concurrency: 8 },
  );
  const seconds = (Date.now() - started) / 1000;

  // Live: every read served, with the catalog's data.
  expect(results.map((r) => r.status)).toEqual(ids.map(() => 200));
  results.forEach((r, i) =>
    expect((r.body as { product: unknown }).product).toEqual({ ...catalogItem(ids[i]), available: true }),
  );

  const c = demo.counts().catalog;
  expect(c.total - c.shadowTagged).toBe(150); // every live read reached the catalog
  // Shadows: two token buckets (candidate and secondary each have their own proxy), 4/s + burst 2 each.
  expect(c.shadowTagged).toBeGreaterThan(0);
  expect(c.shadowTagged).toBeLessThanOrEqual(2 * Math.ceil(2 + 4 * (seconds + 1)));
  expect(c.shadowPeakPerSecond).toBeLessThanOrEqual(CAPACITY);
  expect(metric(demo, 'shadowguard_egress_rate_limited')).toBe(300 - c.shadowTagged);

  const dest = await waitFor(
    async () => {
      const map = await demo.client.blastRadius('shop');
      const d = map.services[0]?.destinations.find((x) => x.destination === 'catalog:8080');
      return d && d.total === 300 ? d : undefined;
    },
    10_000,
    'all 300 shadow catalog calls in the blast-radius map',
  );
  expect(dest.decisions.allowed).toBe(c.shadowTagged);
  expect(dest.decisions.rate_limited).toBe(300 - c.shadowTagged);
  expect(dest).toMatchObject({ capacity: CAPACITY, flagged: false });
  expect(dest.peakAllowedPerSecond).toBeLessThanOrEqual(CAPACITY);
});
