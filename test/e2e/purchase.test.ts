// Story 1: a purchase is mirrored to the candidate and the secondary, and the customer still gets
// exactly one confirmation e-mail and one charge. The shadows' calls to the e-mail and payment APIs
// show up as mocked in the blast-radius map; their catalog reads were allowed.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDemo, streamingFilters, type Demo } from '../../sandbox/demo/index.js';
import { metric, reportsWithPairs, req, sendAll, waitFor } from './support.js';

let demo: Demo;
beforeAll(async () => {
  demo = await startDemo();
});
afterAll(async () => {
  await demo?.close();
});

it("a mirrored purchase sends one e-mail and one charge; the shadows' calls are mocked in the blast-radius map", async () => {
  const [res] = await sendAll(demo, [req.order(9, 4, 2)]);
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({
    order: { status: 'confirmed', payment: 'succeeded', confirmationQueued: true, quantity: 2 },
  });

  // Both shadows ran the purchase: their calls reached the blast-radius map.
  const map = await waitFor(
    async () => {
      const m = await demo.client.blastRadius('shop');
      const dests = m.services.find((s) => s.service === 'shop')?.destinations ?? [];
      const by = Object.fromEntries(dests.map((d) => [d.destination, d]));
      return by['payments:8080']?.total === 2 && by['email:8080']?.total === 2 && by['catalog:8080']?.total === 2
        ? by
        : undefined;
    },
    10_000,
    "the shadows' egress in the blast-radius map",
  );
  expect(map['payments:8080'].decisions).toEqual({ allowed: 0, mocked: 2, denied: 0, rate_limited: 0 });
  expect(map['payments:8080'].variants).toEqual({ candidate: 1, secondary: 1 });
  expect(map['payments:8080'].routes.map((r) => r.route)).toEqual(['POST /charges']);
  expect(map['email:8080'].decisions).toEqual({ allowed: 0, mocked: 2, denied: 0, rate_limited: 0 });
  expect(map['catalog:8080'].decisions).toEqual({ allowed: 2, mocked: 0, denied: 0, rate_limited: 0 });

  // The customer: exactly one confirmation e-mail and one charge, none of them from a shadow.
  const c = demo.counts();
  expect(c.email).toMatchObject({ total: 1, effects: 1, shadowTagged: 0, byRoute: { 'POST /send': 1 } });
  expect(c.payments).toMatchObject({ total: 1, effects: 1, shadowTagged: 0, byRoute: { 'POST /charges': 1 } });
  // Reads are allowed: live + candidate + secondary each read the catalog once, the shadows tagged.
  expect(c.catalog).toMatchObject({ total: 3, shadowTagged: 2 });
  // The edge gave the live charge an idempotency key (the shadows got the same one, so an allowed
  // shadow charge would have been a replay).
  expect(demo.providers.payments.requests()[0].idempotencyKey).toMatch(/.+/);
  expect(metric(demo, 'shadowguard_egress_mocked')).toBe(4);
  expect(metric(demo, 'shadowguard_egress_denied')).toBe(0);

  // And the pair itself compared clean: the mocks answered what the shop needed.
  const reports = await reportsWithPairs(demo, 1);
  expect(reports['POST /orders']).toMatchObject({ pairs: 1, mismatchRate: 0 });
});

it("the control plane lists each of the demo Envoy's five filters as its own node, each in sync", async () => {
  // One Envoy (one node id) runs five Shadowguard plugins; worker numbers repeat across their vm_ids,
  // so only the plugin name tells them apart.
  const nodeId = demo.mesh.bootstrap.node.id;
  const expected = streamingFilters(demo.mesh).sort();
  expect(expected).toHaveLength(5);
  const nodes = await waitFor(
    async () => {
      const ns = (await demo.client.nodes()).filter((n) => n.nodeId === nodeId && n.connected);
      return ns.length === 5 ? ns : undefined;
    },
    10_000,
    'five connected filters',
  );
  expect(nodes.map((n) => n.plugin).sort()).toEqual(expected);
  expect(new Set(nodes.map((n) => n.key)).size).toBe(5);
  // Each keeps its own config state: every filter acks what it was sent (its Ack may still be in flight).
  type Config = { sent?: string; acked?: string; nacked?: unknown };
  const synced = await waitFor(
    async () => {
      const ns = (await demo.client.nodes()).filter((n) => n.nodeId === nodeId && n.connected);
      return ns.every(
        (n) => (n.config as Config).sent !== undefined && (n.config as Config).acked === (n.config as Config).sent,
      )
        ? ns
        : undefined;
    },
    10_000,
    'every filter in sync',
  );
  expect(synced).toHaveLength(5);
  for (const n of synced) expect((n.config as Config).nacked, String(n.plugin)).toBeUndefined();
});
