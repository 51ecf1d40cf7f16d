// What `npm start` seeds and starts (sandbox/demo/start.ts): the showcase policy through the real REST
// API, the candidate's new analytics call, and the ramp started by the demo. Within seconds of traffic
// the control plane shows a deny (rule analytics-deny), rate-limited catalog reads and a running ramp,
// and an alert reads as one human line.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDemo, type Demo } from '../../sandbox/demo/index.js';
import { showcasePolicy } from '../../sandbox/demo/policy.js';
import { alertLine } from '../../sandbox/demo/start-lines.js';
import { req, sendAll, waitFor } from '../e2e/support.js';

let demo: Demo;
beforeAll(async () => {
  demo = await startDemo({ policy: showcasePolicy(), showcase: true });
});
afterAll(async () => {
  await demo?.close();
});

it('shows a deny, a rate limit and a running ramp after the first requests', async () => {
  const ramp = await demo.client.request<{ status: string; percent: number }>('POST', '/policies/shop/ramp/start');
  expect(ramp).toMatchObject({ status: 'running', percent: 25 });
  // At 25 % sampling, enough traffic that some orders and product reads are mirrored.
  const plan = Array.from({ length: 120 }, (_, i) =>
    i % 2 ? req.order(1 + (i % 9), 1 + (i % 7)) : req.product(1 + (i % 30)),
  );
  const results = await sendAll(demo, plan, { concurrency: 16 });
  expect(results.filter((r) => r.status < 200 || r.status >= 300)).toEqual([]); // live is never affected
  const map = await waitFor(
    async () => {
      const m = await demo.client.blastRadius('shop');
      const dests = Object.fromEntries((m.services[0]?.destinations ?? []).map((d) => [d.destination, d]));
      return dests['analytics:8080']?.decisions.denied > 0 && dests['catalog:8080']?.decisions.rate_limited > 0
        ? dests
        : undefined;
    },
    25_000, // under a loaded CI machine the first events can take over 15 s (seen once)
    'a denied analytics call and a rate-limited catalog read in the blast-radius map',
  );
  expect(map['analytics:8080'].decisions).toMatchObject({ allowed: 0, mocked: 0 });
  expect(demo.mesh.host.stats.value('shadowguard.egress.decision.denied.rule.analytics-deny')).toBeGreaterThan(0);
  expect(demo.counts().catalog.shadowPeakPerSecond).toBeLessThanOrEqual(2 * (3 + 3)); // two shadows, 3/s + burst 3
});

it('an alert reads as one human line with a link to the endpoint', () => {
  const line = alertLine(
    {
      id: 1,
      at: Date.UTC(2026, 0, 1, 12, 30, 5),
      endpoint: 'POST /refunds/{id}',
      rate: 100,
      pairs: 10,
      message: 'shop: POST /refunds/{id} mismatches on 100.0 % of 10 pairs (threshold 5 %)',
    },
    'http://127.0.0.1:8080/api/v1/reports/shop',
  );
  expect(line).toBe(
    'ALERT 12:30:05  shop: POST /refunds/{id} mismatches on 100.0 % of 10 pairs (threshold 5 %)  → http://127.0.0.1:8080/api/v1/reports/shop/endpoints/POST%20%2Frefunds%2F%7Bid%7D\n',
  );
});
