// Story 6: a client forges x-shadow-pair, x-shadow and a baggage shadow member. The edge strips them
// (Envoy's internal_only_headers for the two headers, the edge filter for all three), so nothing is
// mirrored and nothing downstream believes the request is a shadow. Also with the internal-only
// header defence removed (a test-local bootstrap), the filter alone keeps the promise.
import { afterEach, expect, it } from 'vitest';
import { startDemo, type Demo } from '../../sandbox/demo/index.js';
import { demoPolicy } from '../../sandbox/demo/policy.js';
import { envoyVariant, hcmOf, metric, req, sendAll, waitFor } from './support.js';

const FORGED = { 'x-shadow-pair': 'forged-pair-1', 'x-shadow': 'candidate', baggage: 'tenant=acme,shadow=candidate' };
// Sampling off: any mirror would have to come from the forged markers.
const policy = { ...demoPolicy(), sampling: { defaultPercent: 0 } };

let demo: Demo | undefined;
afterEach(async () => {
  await demo?.close();
  demo = undefined;
});

async function forgedTraffic(d: Demo): Promise<void> {
  const plan = [req.order(1, 2), req.user(5), req.product(9), req.order(3, 4), req.refund(77, 10)];
  const results = await sendAll(d, plan, { headers: FORGED });
  expect(results.map((r) => r.status)).toEqual([201, 200, 200, 201, 200]);
  // Positive barrier: every live dependency call has arrived (e-mails are sent after the response). A mirror
  // would have been dispatched by the router with its live request, and a half only follows a sampling
  // decision, which is counted synchronously: once this holds, what did not happen will not.
  await waitFor(
    () => {
      const n = d.counts();
      return n.email.total >= 2 && n.payments.total >= 3 && n.catalog.total >= 3 ? true : undefined;
    },
    5000,
    'the live path to reach every provider',
  );
  const c = d.counts();
  // Only the live path ran: two orders → two e-mails, two charges + one refund; nothing tagged.
  expect(c.email).toMatchObject({ total: 2, shadowTagged: 0 });
  expect(c.payments).toMatchObject({ total: 3, shadowTagged: 0 });
  expect(c.catalog).toMatchObject({ total: 3, shadowTagged: 0 });
  // The live app propagated baggage: the client's other members survive, the shadow member does not.
  expect(d.providers.payments.requests().map((r) => r.baggage)).toEqual(['tenant=acme', 'tenant=acme', 'tenant=acme']);
  expect(metric(d, 'shadowguard_shadow_requests')).toBe(0);
  expect(metric(d, 'shadowguard_requests_sampled')).toBe(0);
  expect(metric(d, 'shadowguard_halves_reported')).toBe(0);
  expect(await d.client.reports('shop')).toEqual([]);
}

it('forged shadow markers from a client are stripped at the edge and mirror nothing', async () => {
  const shadows: string[] = [];
  demo = await startDemo({ policy, onShadow: (cluster) => shadows.push(cluster) });
  await forgedTraffic(demo);
  expect(shadows).toEqual([]);
  // Envoy removed the two internal-only headers before any filter; the filter stripped the baggage member.
  expect(metric(demo, 'shadowguard_markers_stripped')).toBe(5);
});

it('without internal_only_headers the edge filter alone strips every forged marker', async () => {
  const envoyYaml = envoyVariant((b) => {
    delete hcmOf(b, 'edge_ingress').route_config.internal_only_headers;
  });
  const shadows: string[] = [];
  demo = await startDemo({ policy, envoyYaml, onShadow: (cluster) => shadows.push(cluster) });
  await forgedTraffic(demo);
  expect(shadows).toEqual([]);
  expect(metric(demo, 'shadowguard_markers_stripped')).toBe(5);
});
