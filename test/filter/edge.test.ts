// role=edge through the real module: marker stripping at the trust boundary, shadow-of-shadow
// prevention in the mesh, deterministic sampling with the most specific rule, x-shadow-pair and the
// idempotency key, and the captured LIVE half reported to a real gRPC control plane.
import { describe, expect, it } from 'vitest';
import type { Host } from '../../sandbox/host/index.js';
import type { TestControlPlane } from './support/control-plane.js';
import { cp, edgeConfig, header, load, prng, request } from './support/fixtures.js';
import { eachTestWithHost, eachTestWithPlane } from './support/hooks.js';

/** A pair id: the request id, a dot, and 16 hex digits unique to the request. */
const PAIR_OF = (requestId: string): RegExp => new RegExp(`^${requestId}\\.[0-9a-f]{16}$`); // ids here are [a-z0-9-]

let host: Host;

describe('edge at the trust boundary', () => {
  eachTestWithHost((h) => {
    host = h;
  });

  it('removes x-shadow, x-shadow-pair and the shadow baggage member a client sent', async () => {
    const plugin = await load(host, edgeConfig({ sampling: { defaultPercent: 0 } }));
    const s = plugin.newStream();
    s.sendRequestHeaders(
      request('GET', '/a', [
        ['x-shadow', 'candidate'],
        ['x-shadow-pair', 'forged'],
        ['baggage', 'user=1, shadow=candidate;p=1,tenant=x'],
        ['x-request-id', 'r1'],
      ]),
    );
    expect(header(s.requestHeaders, 'x-shadow')).toBeUndefined();
    expect(header(s.requestHeaders, 'x-shadow-pair')).toBeUndefined();
    expect(header(s.requestHeaders, 'baggage')).toBe('user=1,tenant=x');
    expect(plugin.metric('shadowguard_markers_stripped')).toBe(1);
  });

  it('leaves an unmarked, unsampled request exactly as it came', async () => {
    const plugin = await load(host, edgeConfig({ sampling: { defaultPercent: 0 } }));
    const s = plugin.newStream();
    const req = request('POST', '/orders?x=1', [
      ['x-request-id', 'r2'],
      ['baggage', 'a=1'],
      ['content-type', 'application/json'],
    ]);
    expect(s.sendRequestHeaders(req)).toBe('continue');
    expect(s.requestHeaders).toEqual(req);
    expect(plugin.metric('shadowguard_requests_sampled')).toBe(0);
  });

  it('sets x-shadow-pair to a pair id that starts with the request id and adds it as idempotency key on mutating methods', async () => {
    const plugin = await load(host, edgeConfig());
    const post = plugin.newStream();
    post.sendRequestHeaders(request('POST', '/orders', [['x-request-id', 'req-1']]));
    expect(header(post.requestHeaders, 'x-shadow-pair')).toMatch(PAIR_OF('req-1'));
    expect(header(post.requestHeaders, 'idempotency-key')).toBe(header(post.requestHeaders, 'x-shadow-pair'));

    const get = plugin.newStream();
    get.sendRequestHeaders(request('GET', '/orders', [['x-request-id', 'req-2']]));
    expect(header(get.requestHeaders, 'x-shadow-pair')).toMatch(PAIR_OF('req-2'));
    expect(header(get.requestHeaders, 'idempotency-key')).toBeUndefined();

    const keyed = plugin.newStream();
    keyed.sendRequestHeaders(
      request('PUT', '/orders/1', [
        ['x-request-id', 'req-3'],
        ['idempotency-key', 'client-key'],
      ]),
    );
    expect(keyed.requestHeaders.filter(([k]) => k === 'idempotency-key')).toEqual([['idempotency-key', 'client-key']]);
    expect(plugin.metric('shadowguard_requests_sampled')).toBe(3);
  });

  it('gives every sampled request its own pair id and idempotency key, even when a client repeats its request id', async () => {
    // Envoy regenerates x-request-id at the edge (use_remote_address), but an operator may keep external
    // ids: a client replaying one id must neither collide pairs nor share an idempotency key.
    const plugin = await load(host, edgeConfig());
    const ids = new Set<string | undefined>();
    const keys = new Set<string | undefined>();
    for (let i = 0; i < 50; i++) {
      const s = plugin.newStream();
      s.sendRequestHeaders(request('POST', '/charges', [['x-request-id', 'same-id']]));
      ids.add(header(s.requestHeaders, 'x-shadow-pair'));
      keys.add(header(s.requestHeaders, 'idempotency-key'));
    }
    expect(ids.size).toBe(50);
    expect(keys.size).toBe(50);
    for (const id of ids) expect(id).toMatch(PAIR_OF('same-id'));
    // a second filter VM (another worker, another proxy) draws its own random prefix
    const other = await load(host, edgeConfig(), { rootId: 'other' });
    const s = other.newStream();
    s.sendRequestHeaders(request('POST', '/charges', [['x-request-id', 'same-id']]));
    expect(ids.has(header(s.requestHeaders, 'x-shadow-pair'))).toBe(false);
  });

  it('uses the configured idempotency header, or none when disabled', async () => {
    const custom = await load(host, edgeConfig({ idempotency: { header: 'x-idem' } }));
    const a = custom.newStream();
    a.sendRequestHeaders(request('DELETE', '/x', [['x-request-id', 'r']]));
    expect(header(a.requestHeaders, 'x-idem')).toMatch(PAIR_OF('r'));
    const off = await load(host, edgeConfig({ idempotency: { enabled: false } }), { rootId: 'off' });
    const b = off.newStream();
    b.sendRequestHeaders(request('PATCH', '/x', [['x-request-id', 'r']]));
    expect(header(b.requestHeaders, 'idempotency-key')).toBeUndefined();
  });

  it('samples deterministically by x-request-id: a retry decides the same way, and about percent% overall', async () => {
    const plugin = await load(host, edgeConfig({ sampling: { defaultPercent: 30 } }));
    const decide = (id: string): boolean => {
      const s = plugin.newStream();
      s.sendRequestHeaders(request('GET', '/p', [['x-request-id', id]]));
      return header(s.requestHeaders, 'x-shadow-pair') !== undefined;
    };
    const first = Array.from({ length: 2000 }, (_, i) => decide(`id-${i}`));
    const again = Array.from({ length: 2000 }, (_, i) => decide(`id-${i}`));
    expect(again).toEqual(first);
    const rate = first.filter(Boolean).length / first.length;
    expect(rate).toBeGreaterThan(0.26);
    expect(rate).toBeLessThan(0.34);
  });

  it('never samples a request without x-request-id', async () => {
    const plugin = await load(host, edgeConfig());
    const s = plugin.newStream();
    s.sendRequestHeaders(request('GET', '/p'));
    expect(header(s.requestHeaders, 'x-shadow-pair')).toBeUndefined();
  });

  it('applies the most specific sampling rule (exact host > glob, longer prefix, methods)', async () => {
    const plugin = await load(
      host,
      edgeConfig({
        sampling: {
          defaultPercent: 0,
          rules: [
            { pathPrefix: '/', percent: 0 },
            { host: '*.example', pathPrefix: '/api/', percent: 0 },
            { host: 'shop.example', pathPrefix: '/api/', percent: 100 },
            { host: 'shop.example', pathPrefix: '/api/refunds', methods: ['POST'], percent: 0 },
          ],
        },
      }),
    );
    const pair = (method: string, path: string, authority = 'shop.example'): string | undefined => {
      const s = plugin.newStream();
      s.sendRequestHeaders(request(method, path, [['x-request-id', `${method}${path}${authority}`]], authority));
      return header(s.requestHeaders, 'x-shadow-pair');
    };
    expect(pair('GET', '/api/orders')).toBeDefined();
    expect(pair('GET', '/api/orders', 'shop.example:8080')).toBeDefined(); // port ignored
    expect(pair('GET', '/api/orders', 'other.example')).toBeUndefined();
    expect(pair('POST', '/api/refunds/1')).toBeUndefined();
    expect(pair('GET', '/api/refunds/1')).toBeDefined();
    expect(pair('GET', '/web')).toBeUndefined();
  });
});

describe('edge on a caller sidecar (trust mesh)', () => {
  eachTestWithHost((h) => {
    host = h;
  });

  it('treats a tagged request as shadow traffic: never sampled again, checked against the egress allowlist', async () => {
    const plugin = await load(
      host,
      edgeConfig({ trust: 'mesh', egress: { rules: [{ name: 'reads', methods: ['GET'], action: 'allow' }] } }),
    );
    const read = plugin.newStream();
    expect(
      read.sendRequestHeaders(
        request('GET', '/stock', [
          ['x-shadow', 'candidate'],
          ['x-request-id', 'r1'],
        ]),
      ),
    ).toBe('continue');
    expect(header(read.requestHeaders, 'x-shadow')).toBe('candidate');
    expect(header(read.requestHeaders, 'x-shadow-pair')).toBeUndefined();

    const write = plugin.newStream();
    write.sendRequestHeaders(
      request('POST', '/charge', [
        ['baggage', 'shadow=candidate'],
        ['x-shadow-pair', 'p1'],
        ['x-request-id', 'r2'],
      ]),
    );
    expect(write.localResponse?.status).toBe(403);
    expect(JSON.parse(write.localResponse!.body.toString())).toEqual({
      error: 'shadow egress denied',
      rule: 'default',
    });
    expect(plugin.metric('shadowguard_requests_sampled')).toBe(0);
    expect(plugin.metric('shadowguard_egress_allowed')).toBe(1);
    expect(plugin.metric('shadowguard_egress_denied')).toBe(1);
  });

  it("treats a bare x-shadow-pair as the live request's correlation id, not as shadow traffic", async () => {
    // The edge puts x-shadow-pair on the live request too (the router copies it to the mirror), and a
    // live app propagates it: its calls must pass untouched, and may be sampled by this edge.
    const plugin = await load(host, edgeConfig({ trust: 'mesh' }));
    const s = plugin.newStream();
    const req = request('POST', '/charge', [
      ['x-shadow-pair', 'p1'],
      ['x-request-id', 'r3'],
    ]);
    expect(s.sendRequestHeaders(req)).toBe('continue');
    expect(s.localResponse).toBeUndefined();
    expect(plugin.metric('shadowguard_egress_denied') ?? 0).toBe(0);
  });

  it('samples untagged requests as usual', async () => {
    const plugin = await load(host, edgeConfig({ trust: 'mesh' }));
    const s = plugin.newStream();
    s.sendRequestHeaders(request('GET', '/p', [['x-request-id', 'r9']]));
    expect(header(s.requestHeaders, 'x-shadow-pair')).toMatch(PAIR_OF('r9'));
  });
});

describe('edge capture', () => {
  let plane: TestControlPlane;
  eachTestWithPlane((h, p) => {
    host = h;
    plane = p;
  });

  it('reports the live response as a LIVE half: status, kept headers minus redacted, body, size, latency', async () => {
    const plugin = await load(
      host,
      edgeConfig({
        ...cp(plane.port),
        capture: { maxBodyBytes: 8, headers: ['content-type', 'x-trace', 'set-cookie'], redactHeaders: ['x-trace'] },
      }),
    );
    await plugin.waitFor(() => plane.of('hello').length > 0);
    const s = plugin.newStream();
    s.sendRequestHeaders(request('POST', '/orders?id=7', [['x-request-id', 'live-1']]));
    expect(
      s.sendResponseHeaders([
        [':status', '201'],
        ['content-type', 'application/json'],
        ['x-trace', 't'],
        ['set-cookie', 'a=b'],
        ['date', 'now'],
      ]),
    ).toBe('continue');
    expect(s.sendResponseBody('{"id":', false)).toBe('continue');
    expect(s.sendResponseBody('7,"ok":true}', true)).toBe('continue');
    expect(s.responseBody.toString()).toBe('{"id":7,"ok":true}');
    await plugin.waitFor(() => plane.of('half').length > 0);
    const half = plane.of('half')[0]!;
    expect(half.pairId).toBe(header(s.requestHeaders, 'x-shadow-pair'));
    expect(half).toMatchObject({
      pairId: expect.stringMatching(PAIR_OF('live-1')),
      side: 'SIDE_LIVE',
      service: 'shop',
      method: 'POST',
      host: 'shop.example',
      path: '/orders',
      query: 'id=7',
      status: 201,
      truncated: true,
      bodySize: '18',
      requestId: 'live-1',
    });
    expect(half.body.toString()).toBe('{"id":7,');
    expect(half.headers.map((h: any) => [h.name, h.value.toString()])).toEqual([['content-type', 'application/json']]);
    expect(Number(half.startUnixMs)).toBeGreaterThan(Date.now() - 60_000);
    expect(plugin.metric('shadowguard_halves_reported')).toBe(1);
  });

  it('with capture.request, the LIVE half carries the kept request headers and the request body up to its cap; the request passes unchanged', async () => {
    const plugin = await load(
      host,
      edgeConfig({
        ...cp(plane.port),
        capture: {
          redactHeaders: ['x-tenant-secret'],
          request: { headers: ['content-type', 'x-tenant', 'x-tenant-secret', 'authorization'], maxBodyBytes: 16 },
        },
      }),
    );
    await plugin.waitFor(() => plane.of('hello').length > 0);
    const s = plugin.newStream();
    s.sendRequestHeaders(
      request('POST', '/refunds/4242', [
        ['x-request-id', 'req-1'],
        ['content-type', 'application/json'],
        ['x-tenant', 'acme'],
        ['x-tenant-secret', 's3cr3t'],
        ['authorization', 'Bearer abc'],
        ['accept', '*/*'],
      ]),
    );
    // Two chunks, 40 bytes in all: each passes on at once (Continue), the filter keeps the first 16.
    expect(s.sendRequestBody('{"amount":12,"reason":', false)).toBe('continue');
    expect(s.sendRequestBody('"duplicate charge"}', true)).toBe('continue');
    expect(s.requestBody.toString()).toBe('{"amount":12,"reason":"duplicate charge"}');
    s.sendResponseHeaders([[':status', '200']]);
    s.sendResponseBody('{}', true);
    await plugin.waitFor(() => plane.of('half').length > 0);
    const half = plane.of('half')[0]!;
    expect(half.requestHeaders.map((h: any) => [h.name, h.value.toString()])).toEqual([
      ['content-type', 'application/json'],
      ['x-tenant', 'acme'],
    ]);
    expect(half.requestBody.toString()).toBe('{"amount":12,"re');
    expect(half).toMatchObject({ requestTruncated: true, requestBodySize: '41' });
  });

  it('without capture.request, no request header or body leaves the proxy', async () => {
    const plugin = await load(host, edgeConfig({ ...cp(plane.port) }));
    await plugin.waitFor(() => plane.of('hello').length > 0);
    const s = plugin.newStream();
    s.sendRequestHeaders(
      request('POST', '/refunds/1', [
        ['x-request-id', 'req-2'],
        ['content-type', 'application/json'],
      ]),
    );
    s.sendRequestBody('{"amount":12}', true);
    s.sendResponseHeaders([[':status', '200']]);
    s.sendResponseBody('{}', true);
    await plugin.waitFor(() => plane.of('half').length > 0);
    const half = plane.of('half')[0]!;
    expect(half.requestHeaders ?? []).toEqual([]);
    expect(half.requestBody?.length ?? 0).toBe(0);
    expect(Number(half.requestBodySize ?? 0)).toBe(0);
    expect(half.body.toString()).toBe('{}');
  });

  it('keeps 300 streams in flight apart: each half carries its own request, status and body, whatever order they end in', async () => {
    const plugin = await load(host, edgeConfig({ ...cp(plane.port) }));
    await plugin.waitFor(() => plane.of('hello').length > 0);
    const n = 300;
    const streams = Array.from({ length: n }, (_, i) => {
      const s = plugin.newStream();
      s.sendRequestHeaders(request('GET', `/items/${i}`, [['x-request-id', `many-${i}`]]));
      return s;
    });
    // Responses arrive in one seeded shuffle and the streams end in another.
    const rnd = prng(9);
    const shuffled = (): number[] => Array.from({ length: n }, (_, i) => i).sort(() => rnd() - 0.5);
    for (const i of shuffled()) streams[i]!.sendResponseHeaders([[':status', String(200 + (i % 3))]]);
    for (const i of shuffled()) streams[i]!.sendResponseBody(`body-${i}`, true);
    await plugin.waitFor(() => plane.of('half').length >= n);
    const halves = plane.of('half');
    expect(halves).toHaveLength(n);
    for (const h of halves) {
      const i = Number(String(h.requestId).slice('many-'.length));
      expect(h).toMatchObject({ path: `/items/${i}`, status: 200 + (i % 3) });
      expect(h.body.toString()).toBe(`body-${i}`);
    }
    expect(new Set(halves.map((h) => h.requestId)).size).toBe(n);
  });

  it('captures nothing for unsampled requests', async () => {
    const plugin = await load(host, edgeConfig({ ...cp(plane.port), sampling: { defaultPercent: 0 } }));
    await plugin.waitFor(() => plane.of('hello').length > 0);
    const s = plugin.newStream();
    s.sendRequestHeaders(request('GET', '/x', [['x-request-id', 'n']]));
    s.sendResponseHeaders([[':status', '200']]);
    s.sendResponseBody('body', true);
    await new Promise((r) => setTimeout(r, 50));
    expect(plane.of('half')).toHaveLength(0);
  });
});
