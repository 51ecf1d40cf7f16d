// Story 5: the control plane is stopped and started again in the middle of live traffic. Live
// requests all succeed with unchanged answers; the shadows keep enforcing the last pushed config
// (e-mail and payments mocked, not the static deny-by-default); the filters reconnect by themselves;
// reports resume on top of the persisted ones; the policy is still there, same version.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDemo, type Demo } from '../../sandbox/demo/index.js';
import { demoPolicy } from '../../sandbox/demo/policy.js';
import { catalogItem } from '../../sandbox/demo/providers.js';
import { userRecord } from '../../sandbox/demo/shop.js';
import { runTraffic, type TrafficResult } from '../../sandbox/demo/traffic.js';
import { metric, totalPairs, waitFor } from './support.js';

let demo: Demo;
// Faster reconnect backoff than the 30 s default cap, so the story fits in a few seconds.
const fastReconnect = (cfg: { controlPlane?: Record<string, unknown> }) => ({
  ...cfg,
  controlPlane: { ...cfg.controlPlane, reconnectMaxMs: 300 },
});
beforeAll(async () => {
  demo = await startDemo({
    pluginConfig: Object.fromEntries(
      ['edge', 'candidate-inbound', 'candidate-egress', 'secondary-inbound', 'secondary-egress'].map((n) => [
        `shadowguard-${n}`,
        fastReconnect,
      ]),
    ),
  });
});
afterAll(async () => {
  await demo?.close();
});

/** What v1 must answer, whatever the control plane is doing. */
function expectLiveAnswer(r: TrafficResult): void {
  expect(r.status, `${r.method} ${r.path} ${r.error ?? ''}`).toBeGreaterThanOrEqual(200);
  expect(r.status, `${r.method} ${r.path}`).toBeLessThan(300);
  const id = Number(r.path.split('/')[2]);
  const body = r.body as Record<string, Record<string, unknown>>;
  if (r.endpoint === 'GET /users/{id}') expect(body.user).toEqual(userRecord(id));
  if (r.endpoint === 'GET /products/{id}') expect(body.product).toEqual({ ...catalogItem(id), available: true });
  if (r.endpoint === 'POST /refunds/{id}') expect(body.refund).toMatchObject({ orderId: id, status: 'refunded' });
  if (r.endpoint === 'POST /orders')
    expect(body.order).toMatchObject({ status: 'confirmed', payment: 'succeeded', confirmationQueued: true });
}

async function sessions(): Promise<number> {
  const res = await fetch(`${demo.controlPlane.httpUrl}/metrics`);
  const m = /^shadowguard_stream_sessions (\d+)/m.exec(await res.text());
  return m ? Number(m[1]) : 0;
}

it('live traffic is untouched, shadows keep the last config, filters reconnect, reports resume, no policy is lost', async () => {
  const before = await demo.client.getPolicy('shop');
  const results: TrafficResult[] = [];
  const traffic = runTraffic({
    target: demo.urls.edge,
    requests: 240,
    ratePerSecond: 60,
    concurrency: 6,
    seed: 5,
    onResponse: (r) => results.push(r),
  });

  await waitFor(async () => ((await totalPairs(demo)) >= 20 ? true : undefined), 5000, 'pairs before the outage');
  await demo.controlPlane.persist();
  const pairsBefore = await totalPairs(demo);
  const mockedBefore = metric(demo, 'shadowguard_egress_mocked');
  const liveBefore = results.length;
  await demo.stopControlPlane();

  // Outage: traffic continues; the shadows still mock e-mail and payments (the pushed config), they
  // do not fall back to the static allowlist (which denies payments).
  await waitFor(() => (results.length >= liveBefore + 40 ? true : undefined), 5000, 'live traffic during the outage');
  expect(metric(demo, 'shadowguard_egress_mocked')).toBeGreaterThan(mockedBefore);
  expect(metric(demo, 'shadowguard_egress_denied')).toBe(0);

  await demo.restartControlPlane();
  await waitFor(async () => ((await sessions()) === 5 ? true : undefined), 10_000, 'the five filters to reconnect');
  expect(metric(demo, 'shadowguard_stream_reconnects')).toBeGreaterThan(0);
  // Reports were persisted and resume growing.
  expect(await totalPairs(demo)).toBeGreaterThanOrEqual(pairsBefore);
  const summary = await traffic;
  await waitFor(
    async () => ((await totalPairs(demo)) > pairsBefore + 20 ? true : undefined),
    10_000,
    'reports to resume',
  );

  // Live: every request answered as v1 answers, before, during and after the outage.
  expect(summary.sent).toBe(240);
  results.forEach(expectLiveAnswer);
  // No shadow side effect reached a provider at any point.
  const c = demo.counts();
  expect(c.email.shadowTagged + c.payments.shadowTagged).toBe(0);
  expect(c.email.total).toBe(results.filter((r) => r.endpoint === 'POST /orders').length);
  // The policy survived the restart untouched.
  const after = await demo.client.getPolicy('shop');
  expect(after.version).toBe(before.version);
  expect(after.spec).toEqual(before.spec);
  expect(after.spec).toEqual(demoPolicy());
});
