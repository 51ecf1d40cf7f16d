// Streams the control plane refuses or tolerates — each ends only itself, with a status and a log line.
import http2 from 'node:http2';
import { describe, expect, it } from 'vitest';
import { encodeFilterMessage } from '../../../control-plane/src/stream/codec.js';
import {
  FakeFilter,
  RawFilter,
  hello,
  helloMessage,
  policy,
  startServer,
  waitFor,
  type Harness,
  tracker,
} from './fixtures.js';

const track = tracker();
const start = async (opts: Parameters<typeof startServer>[0] = {}): Promise<Harness> => track(await startServer(opts));

const UNAUTHENTICATED = 16;
const INVALID_ARGUMENT = 3;
const RESOURCE_EXHAUSTED = 8;
/** A length-delimited field 1 claiming ~4 GiB: protobufjs cannot read it. */
const GARBAGE = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]);
const refusals = (h: Harness) => h.logs.filter((l) => l.msg === 'stream refused');

describe('Connect stream refusals', () => {
  it('refuses a stream without the right bearer token and leaves other streams working', async () => {
    const h = await start({ token: 's3cret', policies: [policy('p', { services: ['checkout'] })] });
    const good = track(await FakeFilter.connect(h.port, hello({ nodeId: 'good' }), { token: 's3cret' }));
    await good.snapshot(1);

    const none = track(await FakeFilter.connect(h.port, hello({ nodeId: 'none' })));
    const wrong = track(await FakeFilter.connect(h.port, hello({ nodeId: 'wrong' }), { token: 's3cret-not' }));
    expect(await none.status).toMatchObject({ code: UNAUTHENTICATED, details: 'missing or wrong bearer token' });
    expect((await wrong.status).code).toBe(UNAUTHENTICATED);
    expect(h.registry.list().map((n) => n.nodeId)).toEqual(['good']);
    expect(refusals(h)).toHaveLength(2);

    await good.send({ half: { pairId: 'after', side: 'SIDE_LIVE' } });
    h.cache.setPolicies([policy('p', { services: ['checkout'], sampling: { defaultPercent: 3 } }, 2)]);
    await good.snapshot(2);
    await waitFor(() => h.halves.length === 1, 3000, 'half after refusals');
    expect(h.registry.get('good/shadowguard#0')?.connected).toBe(true);
  });

  it('accepts any stream when no token is configured', async () => {
    const h = await start();
    const f = track(await FakeFilter.connect(h.port, hello(), { token: 'whatever' }));
    await f.snapshot(1);
    expect(h.registry.get('node-1/shadowguard#0')?.connected).toBe(true);
  });

  it('refuses bytes that are not protobuf with INVALID_ARGUMENT and keeps serving', async () => {
    const h = await start();
    const raw = track(new RawFilter(h.port));
    raw.send(GARBAGE);
    const st = await raw.status;
    expect(st.code).toBe(INVALID_ARGUMENT);
    expect(st.details).toMatch(/^first message: not a FilterMessage/);
    expect(refusals(h)[0]).toMatchObject({ code: 'INVALID_ARGUMENT' });

    const f = track(await FakeFilter.connect(h.port, hello()));
    await f.snapshot(1);
  });

  it('refuses a stream whose first message is not a Hello', async () => {
    const h = await start();
    const f = track(new FakeFilter(h.port));
    await f.send({ half: { pairId: 'p', side: 'SIDE_LIVE' } });
    expect(await f.status).toMatchObject({ code: INVALID_ARGUMENT, details: 'first message must be Hello, got half' });
    expect(h.halves).toHaveLength(0);
    expect(h.registry.list()).toHaveLength(0);
  });

  it('refuses a Hello it cannot build a configuration for, naming the field', async () => {
    const h = await start();
    const shadow = track(await FakeFilter.connect(h.port, hello({ role: 'shadow' })));
    expect(await shadow.status).toMatchObject({
      code: INVALID_ARGUMENT,
      details: 'hello.variant must be candidate or secondary for role shadow',
    });
    const badService = track(await FakeFilter.connect(h.port, hello({ service: 'has space' })));
    expect((await badService.status).details).toMatch(/^hello.service 'has space' must match/);
    const noRole = track(new FakeFilter(h.port));
    await noRole.send({ hello: { ...helloMessage(hello()).hello, role: 'ROLE_UNSPECIFIED' } });
    expect((await noRole.status).details).toBe('first message: hello.role 0 is not edge, shadow or live');
  });

  it('refuses a stream that sends no Hello in time', async () => {
    const h = await start({ helloTimeoutMs: 100 });
    const f = track(new FakeFilter(h.port));
    expect(await f.status).toMatchObject({ code: INVALID_ARGUMENT, details: 'no Hello within 100 ms' });
  });

  it('refuses a second Hello on the same stream', async () => {
    const h = await start();
    const f = track(await FakeFilter.connect(h.port, hello()));
    await f.send(helloMessage(hello()));
    expect(await f.status).toMatchObject({ code: INVALID_ARGUMENT, details: 'Hello sent twice on one stream' });
    await waitFor(() => h.registry.get('node-1/shadowguard#0')?.connected === false, 3000, 'disconnect');
  });

  it('skips and counts a malformed message after Hello without ending the stream', async () => {
    const h = await start();
    const raw = track(new RawFilter(h.port));
    raw.send(encodeFilterMessage({ kind: 'hello', hello: hello() }));
    raw.send(GARBAGE);
    raw.send(Buffer.alloc(0)); // a FilterMessage with nothing set
    raw.send(encodeFilterMessage({ kind: 'ack', version: 'v9' }));
    await waitFor(() => h.registry.get('node-1/shadowguard#0')?.config.acked === 'v9', 3000, 'ack after garbage');
    expect(h.registry.get('node-1/shadowguard#0')).toMatchObject({ connected: true, malformed: 2 });
    expect(h.logs.filter((l) => l.msg === 'skipped a malformed message' && l.level === 40)).toHaveLength(1);
  });

  it('skips and counts a message over the size bound, keeps the stream; past the hard ceiling only that stream ends', async () => {
    const h = await start({ maxMessageBytes: 64 * 1024 });
    const ok = track(await FakeFilter.connect(h.port, hello({ nodeId: 'ok' })));
    await ok.snapshot(1);
    const big = track(await FakeFilter.connect(h.port, hello({ nodeId: 'big' })));
    await big.snapshot(1);
    await big.send({ half: { pairId: 'p', side: 'SIDE_LIVE', body: Buffer.alloc(100 * 1024) } });
    await big.send({ half: { pairId: 'q', side: 'SIDE_LIVE', body: Buffer.alloc(1024) } });
    await waitFor(() => h.halves.length === 1, 3000, 'small half after the big one');
    expect(h.halves[0].half.pairId).toBe('q');
    expect(h.registry.get('big/shadowguard#0')).toMatchObject({ connected: true, malformedReasons: { oversized: 1 } });
    // gRPC's own limit (4 × maxMessageBytes) still ends the stream that passes it, and only that one
    void big.send({ half: { pairId: 'r', side: 'SIDE_LIVE', body: Buffer.alloc(300 * 1024) } }).catch(() => {});
    expect((await big.status).code).toBe(RESOURCE_EXHAUSTED);
    await ok.send({ half: { pairId: 's', side: 'SIDE_LIVE', body: Buffer.alloc(1024) } });
    await waitFor(() => h.halves.length === 2, 3000, 'half on the other stream');
  });

  it('does not wait out the grace period for a peer that keeps its connection after its stream ended', async () => {
    const h = await startServer({ helloTimeoutMs: 60_000 });
    // A raw HTTP/2 peer that opens a stream and never reads its status nor ends its side.
    const session = http2.connect(`http://127.0.0.1:${h.port}`);
    session.on('error', () => {});
    const req = session.request({
      ':method': 'POST',
      ':path': '/shadow.v1.ShadowGuard/Connect',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    req.on('error', () => {});
    req.pause();
    await waitFor(() => h.server.sessionCount() === 1, 3000, 'raw stream');
    const t0 = Date.now();
    await h.server.close(3000);
    const took = Date.now() - t0;
    expect(took).toBeLessThan(1500); // the stream is ended after its quiet period, then the connection is forced
    expect(h.logs.some((l) => l.msg === 'forcing stream shutdown')).toBe(true);
    expect(h.logs.some((l) => l.msg === 'grace period over; forcing stream shutdown')).toBe(false);
    session.destroy();
  });
});
