// The Connect stream as a filter sees it: registration, snapshot pushes, acks, reports, shutdown.
import { describe, expect, it } from 'vitest';
import { decodeControlMessage, encodeFilterMessage } from '../../../control-plane/src/stream/codec.js';
import { inSync } from '../../../control-plane/src/snapshot/ack.js';
import { FakeFilter, RawFilter, hello, policy, startServer, waitFor, type Harness, tracker } from './fixtures.js';

const track = tracker();

const checkout = policy('checkout-policy', { services: ['checkout'], sampling: { defaultPercent: 10 } });
const start = async (opts: Parameters<typeof startServer>[0] = {}): Promise<Harness> => track(await startServer(opts));

describe('Connect stream', () => {
  it('registers the node from its Hello and pushes its current snapshot at once', async () => {
    const h = await start({ policies: [checkout] });
    const f = track(await FakeFilter.connect(h.port, hello({ nodeId: 'edge-a', worker: 1 })));

    const snap = await f.snapshot(1);
    expect(JSON.parse(snap.configJson)).toEqual({
      role: 'edge',
      service: 'checkout',
      sampling: { defaultPercent: 10 },
      egress: { defaultAction: 'deny' },
    });
    expect(h.hellos.map((n) => n.nodeId)).toEqual(['edge-a']);
    const node = h.registry.get('edge-a/shadowguard#1');
    expect(node).toMatchObject({
      connected: true,
      service: 'checkout',
      role: 'edge',
      worker: 1,
      workload: 'checkout-v1',
      filterVersion: '0.1.0',
      config: { sent: snap.version },
    });
    expect(node?.peer).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('records an Ack, and a Nack with its reason while the last acked version stays current', async () => {
    const h = await start({ policies: [checkout] });
    const f = track(await FakeFilter.connect(h.port, hello()));
    const v1 = (await f.snapshot(1)).version;
    await f.ack(v1);
    await waitFor(() => h.registry.get('node-1/shadowguard#0')?.config.acked === v1, 3000, 'ack');

    h.cache.setPolicies([policy('checkout-policy', { services: ['checkout'], sampling: { defaultPercent: 50 } }, 2)]);
    const v2 = (await f.snapshot(2)).version;
    expect(v2).not.toBe(v1);
    await f.nack(v2, 'sampling.defaultPercent: too high for this node');
    await waitFor(() => h.registry.get('node-1/shadowguard#0')?.config.nacked !== undefined, 3000, 'nack');
    expect(h.registry.get('node-1/shadowguard#0')?.config).toMatchObject({
      sent: v2,
      acked: v1,
      nacked: { version: v2, reason: 'sampling.defaultPercent: too high for this node' },
    });
    expect(
      h.logs.some(
        (l) => l.msg === 'configuration rejected' && l.reason === 'sampling.defaultPercent: too high for this node',
      ),
    ).toBe(true);
  });

  it('keeps two plugins of one proxy apart: same node id and worker, different plugin → two nodes, own ack state', async () => {
    const h = await start({ policies: [checkout] });
    // One Envoy running an inbound and an egress filter whose vm_ids differ: both count worker 0.
    const inbound = track(
      await FakeFilter.connect(
        h.port,
        hello({ nodeId: 'envoy-1', plugin: 'shadowguard-inbound', role: 'shadow', variant: 'candidate' }),
      ),
    );
    const egress = track(
      await FakeFilter.connect(
        h.port,
        hello({ nodeId: 'envoy-1', plugin: 'shadowguard-egress', role: 'shadow', variant: 'candidate' }),
      ),
    );
    const v1 = (await inbound.snapshot(1)).version;
    expect((await egress.snapshot(1)).version).toBe(v1);
    await inbound.ack(v1);
    await egress.nack(v1, 'egress.rules[0].host: must not be empty');
    const inKey = 'envoy-1/shadowguard-inbound#0';
    const egKey = 'envoy-1/shadowguard-egress#0';
    await waitFor(
      () => h.registry.get(inKey)?.config.acked === v1 && h.registry.get(egKey)?.config.nacked !== undefined,
      3000,
      'ack + nack',
    );
    expect(h.registry.list().filter((n) => n.nodeId === 'envoy-1')).toHaveLength(2);
    expect(h.registry.get(inKey)).toMatchObject({
      plugin: 'shadowguard-inbound',
      worker: 0,
      connected: true,
      config: { sent: v1, acked: v1 },
    });
    expect(h.registry.get(inKey)?.config.nacked).toBeUndefined();
    expect(h.registry.get(egKey)).toMatchObject({
      plugin: 'shadowguard-egress',
      worker: 0,
      connected: true,
      config: { sent: v1, nacked: { version: v1, reason: 'egress.rules[0].host: must not be empty' } },
    });
    expect(h.registry.get(egKey)?.config.acked).toBeUndefined();
    // One plugin's stream ending leaves the other's entry connected.
    egress.close();
    await waitFor(() => h.registry.get(egKey)?.connected === false, 3000, 'egress disconnect');
    expect(h.registry.get(inKey)?.connected).toBe(true);
  });

  it('pushes a policy change to the covered nodes only', async () => {
    const h = await start({ policies: [checkout] });
    const a = track(await FakeFilter.connect(h.port, hello({ nodeId: 'a', service: 'checkout' })));
    const b = track(await FakeFilter.connect(h.port, hello({ nodeId: 'b', service: 'payments' })));
    await a.snapshot(1);
    const bFirst = await b.snapshot(1);
    expect(JSON.parse(bFirst.configJson)).toMatchObject({ service: 'payments', sampling: { defaultPercent: 0 } });

    const payments = policy('payments-policy', { services: ['payments'], sampling: { defaultPercent: 1 } });
    h.cache.setPolicies([
      policy('checkout-policy', { services: ['checkout'], sampling: { defaultPercent: 20 } }, 2),
      payments,
    ]);
    expect(JSON.parse((await a.snapshot(2)).configJson).sampling).toEqual({ defaultPercent: 20 });
    expect(JSON.parse((await b.snapshot(2)).configJson).sampling).toEqual({ defaultPercent: 1 });

    // Only checkout changes now. Streams are ordered, so if b had been sent anything for it, that
    // would arrive before the payments change that follows.
    h.cache.setPolicies([
      policy('checkout-policy', { services: ['checkout'], sampling: { defaultPercent: 30 } }, 3),
      payments,
    ]);
    await a.snapshot(3);
    h.cache.setPolicies([
      policy('checkout-policy', { services: ['checkout'], sampling: { defaultPercent: 30 } }, 3),
      policy('payments-policy', { services: ['payments'], sampling: { defaultPercent: 2 } }, 2),
    ]);
    expect(JSON.parse((await b.snapshot(3)).configJson).sampling).toEqual({ defaultPercent: 2 });
    await a.ack(a.snapshots[2].version); // a round trip on a's stream: a got nothing for payments
    await waitFor(() => h.registry.get('a/shadowguard#0')?.config.acked === a.snapshots[2].version);
    expect(a.snapshots).toHaveLength(3);
    expect(b.snapshots).toHaveLength(3);
  });

  it('gives a reconnecting node the current snapshot at once, unless it already runs it', async () => {
    const h = await start({ policies: [checkout] });
    const first = await FakeFilter.connect(h.port, hello());
    const current = await first.snapshot(1);
    first.close();
    await waitFor(() => h.registry.get('node-1/shadowguard#0')?.connected === false, 3000, 'disconnect');
    expect(h.registry.get('node-1/shadowguard#0')?.disconnectedAt).toBeTypeOf('number');

    const again = track(await FakeFilter.connect(h.port, hello()));
    expect(await again.snapshot(1)).toEqual(current);
    expect(h.registry.get('node-1/shadowguard#0')?.connected).toBe(true);

    const upToDate = track(
      await FakeFilter.connect(h.port, hello({ nodeId: 'node-2', configVersion: current.version })),
    );
    await waitFor(() => h.registry.get('node-2/shadowguard#0') !== undefined);
    expect(h.registry.get('node-2/shadowguard#0')?.config.acked).toBe(current.version);
    expect(inSync(h.registry.get('node-2/shadowguard#0')!.config)).toBe(true); // nothing to send: in sync
    h.cache.setPolicies([policy('checkout-policy', { services: ['checkout'], sampling: { defaultPercent: 11 } }, 2)]);
    expect(JSON.parse((await upToDate.snapshot(1)).configJson).sampling).toEqual({ defaultPercent: 11 });
    expect(upToDate.snapshots).toHaveLength(1);
  });

  it('hands halves and egress events to the handlers, decoded into domain types', async () => {
    const h = await start();
    const node = hello({ nodeId: 'shadow-1', role: 'shadow', variant: 'candidate' });
    const f = track(await FakeFilter.connect(h.port, node));
    // Fields the decoder passes through as they are; side and headers are converted.
    const unchanged = {
      pairId: 'p1',
      service: 'checkout',
      method: 'POST',
      host: 'shop',
      path: '/orders',
      query: 'a=1',
      status: 201,
      body: Buffer.from('{"id":7}'),
      truncated: true,
      bodySize: 2 ** 40,
      startUnixMs: 1_700_000_000_123,
      latencyUs: 1500,
      requestId: 'r1',
      nodeId: 'shadow-1',
    };
    await f.send({
      half: {
        ...unchanged,
        side: 'SIDE_CANDIDATE',
        headers: [
          { name: 'content-type', value: Buffer.from('application/json') },
          { name: 'x-bin', value: Buffer.from([0xe9, 0xff]) },
        ],
      },
    });
    const egressUnchanged = {
      pairId: 'p1',
      service: 'checkout',
      destination: 'smtp.mail:25',
      method: 'POST',
      path: '/send',
      rule: 'default',
      unixMs: 1_700_000_000_200,
      nodeId: 'shadow-1',
    };
    await f.send({ egress: { ...egressUnchanged, variant: 'SIDE_CANDIDATE', decision: 'DECISION_DENIED' } });
    await waitFor(() => h.halves.length === 1 && h.events.length === 1, 3000, 'half and event');

    expect(h.halves[0].node).toEqual(node);
    expect(h.halves[0].half).toEqual({
      ...unchanged,
      side: 'candidate',
      headers: [
        ['content-type', 'application/json'],
        ['x-bin', 'éÿ'],
      ],
    });
    expect(h.events[0].event).toEqual({ ...egressUnchanged, variant: 'candidate', decision: 'denied' });
    expect(h.registry.get('shadow-1/shadowguard#0')).toMatchObject({
      halvesReceived: 1,
      eventsReceived: 1,
      variant: 'candidate',
    });
  });

  it('records the drops a filter reports in Stats', async () => {
    const h = await start();
    const f = track(await FakeFilter.connect(h.port, hello()));
    await f.send({ stats: { halvesSent: 100, halvesDropped: 7, eventsSent: 40, eventsDropped: 2, reconnects: 3 } });
    await waitFor(() => h.registry.get('node-1/shadowguard#0')?.stats !== undefined, 3000, 'stats');
    expect(h.registry.get('node-1/shadowguard#0')).toMatchObject({
      dropsReported: 9,
      stats: { halvesSent: 100, halvesDropped: 7, eventsSent: 40, eventsDropped: 2, reconnects: 3 },
    });
  });

  it('keeps the stream when a handler throws, dropping only that message', async () => {
    let calls = 0;
    const h = await start({
      handlers: {
        onHalf: () => {
          calls++;
          if (calls === 1) throw new Error('boom');
        },
        onEgress: () => {},
      },
    });
    const f = track(await FakeFilter.connect(h.port, hello()));
    const half = { pairId: 'p', side: 'SIDE_LIVE' };
    await f.send({ half });
    await f.send({ half });
    await waitFor(() => calls === 2, 3000, 'second half');
    expect(h.registry.get('node-1/shadowguard#0')?.connected).toBe(true);
    expect(h.logs.some((l) => l.msg === 'onHalf handler failed; message dropped')).toBe(true);
  });

  it('coalesces snapshots for a node that does not read, so it gets the newest without a backlog', async () => {
    const h = await start();
    const slow = track(new RawFilter(h.port, { paused: true }));
    slow.send(encodeFilterMessage({ kind: 'hello', hello: hello() }));
    await waitFor(() => h.registry.get('node-1/shadowguard#0') !== undefined, 3000, 'hello');
    // ~600 KB per document: a few fill the stream's buffers and the HTTP/2 window.
    const big = (i: number) =>
      policy(
        'p',
        {
          services: ['checkout'],
          sampling: { defaultPercent: i % 100 },
          egress: {
            rules: Array.from({ length: 10 }, (_, r) => ({
              name: `r${r}`,
              action: 'mock' as const,
              mock: { body: 'x'.repeat(60_000) },
            })),
          },
        },
        i,
      );
    for (let i = 1; i <= 60; i++) h.cache.setPolicies([big(i)]);
    const current = h.cache.snapshotFor(hello()).version;

    slow.resume();
    await waitFor(
      () => slow.received.length > 0 && h.registry.get('node-1/shadowguard#0')?.config.sent === current,
      5000,
      'newest sent',
    );
    await waitFor(
      () => {
        const last = decodeControlMessage(slow.received[slow.received.length - 1]);
        return last.ok && last.value.version === current;
      },
      5000,
      'newest received',
    );
    expect(slow.received.length).toBeLessThan(40);
  });

  it('close() handles what was sent, ends streams with UNAVAILABLE and resolves', async () => {
    const h = await startServer({ policies: [checkout] });
    const f = track(await FakeFilter.connect(h.port, hello()));
    await f.snapshot(1);
    await Promise.all(Array.from({ length: 50 }, (_, i) => f.send({ half: { pairId: `p${i}`, side: 'SIDE_LIVE' } })));

    const t0 = Date.now();
    await h.server.close(2000);
    expect(h.halves).toHaveLength(50);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(await f.status).toMatchObject({ code: 14, details: 'control plane shutting down' });
    expect(h.registry.get('node-1/shadowguard#0')?.connected).toBe(false);
    expect(h.server.sessionCount()).toBe(0);
    expect(h.cache.watchCount()).toBe(0);
    const late = track(await FakeFilter.connect(h.port, hello({ nodeId: 'late' })));
    expect((await late.status).code).toBe(14); // nothing listens any more
  });
});
