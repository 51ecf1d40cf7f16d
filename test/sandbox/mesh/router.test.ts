// The HCM + router subset on a router-only bootstrap with real upstreams: route selection, Envoy's
// request-header mutation, local replies (404/503/504), and request_mirror_policies (fraction, the
// -shadow host rule, what the copy carries, fire-and-forget).
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startMesh, type Mesh } from '../../../sandbox/mesh/index.js';
import { closedPort, request, routerOnlyYaml, upstream, WASM } from './support.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function setup(
  yaml: string,
  handlers: {
    a?: Parameters<typeof upstream>[1];
    m?: Parameters<typeof upstream>[1];
    map?: Record<string, string | number>;
  } = {},
) {
  const a = await upstream('A', handlers.a);
  const b = await upstream('B');
  const m = await upstream('M', handlers.m);
  cleanup.push(a.close, b.close, m.close);
  const mesh: Mesh = await startMesh({
    yaml,
    wasmPath: WASM,
    hostMap: { 'a:80': a.addr, 'b:80': b.addr, 'm:80': m.addr, ...handlers.map },
  });
  cleanup.push(() => mesh.close());
  return { a, b, m, mesh, port: mesh.listenerAddress('front').port };
}

const mirror = (o: { numerator?: number; denominator?: string; disable?: boolean } = {}) =>
  `                  - cluster: m\n` +
  (o.numerator !== undefined
    ? `                    runtime_fraction: { default_value: { numerator: ${o.numerator}, denominator: ${o.denominator ?? 'HUNDRED'} } }\n`
    : '') +
  (o.disable ? `                    disable_shadow_host_suffix_append: true\n` : '');

async function quiet(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

describe('routing', () => {
  it('binds listeners on loopback, on the port portMap gives (by listener name or file port)', async () => {
    const fixed = await closedPort();
    const byName = await startMesh({ yaml: routerOnlyYaml(), wasmPath: WASM, portMap: { front: fixed } });
    expect(byName.listenerAddress('front')).toEqual({ host: '127.0.0.1', port: fixed });
    await byName.close();
    const byPort = await startMesh({ yaml: routerOnlyYaml(), wasmPath: WASM, portMap: { 20000: fixed } });
    cleanup.push(() => byPort.close());
    expect(byPort.listenerAddress('front').port).toBe(fixed);
    expect(() => byPort.listenerAddress('nope')).toThrow(/no listener named nope \(have: front\)/);
  });

  it('selects by exact path, then by header, then by prefix; an unknown host gets a 404', async () => {
    const { a, b, port } = await setup(routerOnlyYaml());
    expect((await request(port, { host: 'api', path: '/exact' })).body).toBe('B');
    expect((await request(port, { host: 'api', path: '/exact?q=1' })).body).toBe('B'); // path match ignores the query
    expect((await request(port, { host: 'api:20000', path: '/x', headers: { 'x-to-b': 'yes' } })).body).toBe('B');
    expect((await request(port, { host: 'API', path: '/x', headers: { 'x-to-b': 'no' } })).body).toBe('A');
    const miss = await request(port, { host: 'other', path: '/x' });
    expect([miss.status, miss.body, miss.headers.server]).toEqual([404, '', 'envoy']);
    expect([a.seen.length, b.seen.length]).toEqual([1, 3]);
  });

  it('mutates request headers like the HCM: x-request-id generated or kept, internal headers stripped', async () => {
    const { a, port } = await setup(routerOnlyYaml());
    await request(port, {
      host: 'api',
      headers: { 'x-secret': 'forged', 'x-envoy-internal': 'true', 'x-envoy-retry-on': '5xx' },
    });
    await request(port, { host: 'api', headers: { 'x-request-id': 'client-id-1' } });
    const [first, second] = a.seen;
    expect(first.headers['x-request-id']).toMatch(UUID_V4);
    expect(first.headers).not.toHaveProperty('x-secret');
    expect(first.headers).not.toHaveProperty('x-envoy-internal');
    expect(first.headers).not.toHaveProperty('x-envoy-retry-on');
    expect(first.headers['x-forwarded-proto']).toBe('http');
    expect(first.headers['x-envoy-expected-rq-timeout-ms']).toBe('15000');
    expect(second.headers['x-request-id']).toBe('client-id-1');
  });

  it('answers 503 like Envoy when the upstream refuses, and when the cluster has no mapped host', async () => {
    const refused = await setup(routerOnlyYaml(), { map: { 'a:80': await closedPort() } });
    const r = await request(refused.port, { host: 'api' });
    expect(r.status).toBe(503);
    expect(r.body).toMatch(
      /^upstream connect error or disconnect\/reset before headers\. reset reason: remote connection failure/,
    );
    expect(r.headers['content-type']).toBe('text/plain');

    const unmapped = await startMesh({ yaml: routerOnlyYaml(), wasmPath: WASM });
    cleanup.push(() => unmapped.close());
    expect(unmapped.unmappedClusters).toEqual(['a', 'b', 'm']);
    const n = await request(unmapped.listenerAddress('front').port, { host: 'api' });
    expect([n.status, n.body]).toEqual([503, 'no healthy upstream']);
  });

  it('answers 504 "upstream request timeout" when the route timeout passes', async () => {
    const { port } = await setup(routerOnlyYaml({ timeout: '0.2s' }), {
      a: (_q, res) => setTimeout(() => res.end('late'), 1000),
    });
    const r = await request(port, { host: 'api' });
    expect([r.status, r.body]).toEqual([504, 'upstream request timeout']);
    expect(r.ms).toBeLessThan(900);
  });

  it('speaks HTTP/2 to a cluster with http2_protocol_options, streaming the body both ways', async () => {
    const got: Array<{ headers: http2.IncomingHttpHeaders; body: string }> = [];
    const h2 = http2.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        got.push({ headers: req.headers, body });
        res.setHeader('x-proto', req.httpVersion);
        res.end(`h2:${body}`);
      });
    });
    await new Promise<void>((r) => h2.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise<void>((r) => h2.close(() => r())));
    const { port } = await setup(routerOnlyYaml({ h2b: true }), {
      map: { 'b:80': (h2.address() as AddressInfo).port },
    });
    const r = await request(port, { method: 'POST', host: 'api', path: '/exact', body: 'ping' });
    expect([r.status, r.body, r.headers['x-proto']]).toEqual([200, 'h2:ping', '2.0']);
    expect(got[0].headers[':authority']).toBe('api');
    expect(got[0].headers[':method']).toBe('POST');
  });

  it('resets the downstream when the upstream breaks after the response started', async () => {
    const { port } = await setup(routerOnlyYaml(), {
      a: (req, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial');
        setTimeout(() => req.socket.destroy(), 20);
      },
    });
    const outcome = await new Promise<string>((resolve) => {
      http
        .get({ host: '127.0.0.1', port, path: '/', headers: { host: 'api' }, agent: false }, (res) => {
          res.on('aborted', () => resolve(`aborted after ${res.statusCode}`));
          res.on('error', () => resolve(`aborted after ${res.statusCode}`));
          res.on('end', () => resolve('ended'));
          res.resume();
        })
        .on('error', () => resolve('request error'));
    });
    expect(outcome).toBe('aborted after 200');
  });

  it('streams the response: the first chunk reaches the client before the upstream finishes', async () => {
    const { port } = await setup(routerOnlyYaml(), {
      a: (_q, res) => {
        res.write('first;');
        setTimeout(() => res.end('second'), 400);
      },
    });
    const firstChunkAfter = await new Promise<number>((resolve, reject) => {
      const t0 = Date.now();
      http
        .get({ host: '127.0.0.1', port, path: '/', headers: { host: 'api' }, agent: false }, (res) => {
          res.once('data', () => resolve(Date.now() - t0));
          res.resume();
        })
        .on('error', reject);
    });
    expect(firstChunkAfter).toBeLessThan(300);
  });
});

describe('request_mirror_policies', () => {
  it('mirrors the request with its body, the same x-request-id, x-envoy-internal and the -shadow host', async () => {
    const { a, m, port } = await setup(routerOnlyYaml({ mirrors: mirror() }));
    const r = await request(port, {
      method: 'POST',
      host: 'api:20000',
      path: '/orders',
      body: '{"n":1}',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.1.1.1' },
    });
    expect([r.status, r.body]).toEqual([200, 'A']);
    await m.waitFor(1);
    const [live, copy] = [a.seen[0], m.seen[0]];
    expect(copy.headers.host).toBe('api-shadow:20000'); // before the port (shadowAppendedHost)
    expect(live.headers.host).toBe('api:20000');
    expect([copy.method, copy.url, copy.body]).toEqual(['POST', '/orders', '{"n":1}']);
    expect(copy.headers['x-request-id']).toBe(live.headers['x-request-id']);
    expect(copy.headers['x-envoy-internal']).toBe('true');
    expect(live.headers).not.toHaveProperty('x-envoy-internal');
    expect(copy.headers['x-forwarded-for']).toBe('10.1.1.1,127.0.0.1');
    expect(copy.headers['x-envoy-expected-rq-timeout-ms']).toBe('15000');
  });

  it('keeps the host when disable_shadow_host_suffix_append is set, and appends -shadow to a host without port', async () => {
    const off = await setup(routerOnlyYaml({ mirrors: mirror({ disable: true }) }));
    await request(off.port, { host: 'api:20000' });
    await off.m.waitFor(1);
    expect(off.m.seen[0].headers.host).toBe('api:20000');
    const on = await setup(routerOnlyYaml({ mirrors: mirror({ numerator: 100 }) }));
    await request(on.port, { host: 'api' });
    await on.m.waitFor(1);
    expect(on.m.seen[0].headers.host).toBe('api-shadow');
  });

  it('mirrors nothing at runtime_fraction 0', async () => {
    const { a, m, port } = await setup(routerOnlyYaml({ mirrors: mirror({ numerator: 0 }) }));
    for (let i = 0; i < 10; i++) await request(port, { host: 'api' });
    await quiet(100);
    expect([a.seen.length, m.seen.length]).toEqual([10, 0]);
  });

  it('decides per stream at random, not by x-request-id (Envoy: stable_random = stream id)', async () => {
    const { m, port } = await setup(
      routerOnlyYaml({ mirrors: mirror({ numerator: 5000, denominator: 'TEN_THOUSAND' }) }),
    );
    for (let i = 0; i < 60; i++) await request(port, { host: 'api', headers: { 'x-request-id': 'same-id' } });
    await quiet(150);
    expect(m.seen.length).toBeGreaterThan(10);
    expect(m.seen.length).toBeLessThan(50);
  });

  it('never delays or fails the live response for a slow, broken or unmapped mirror', async () => {
    const slow = await setup(routerOnlyYaml({ mirrors: mirror() }), {
      m: (_q, res) => setTimeout(() => res.end('late'), 1500),
    });
    const r1 = await request(slow.port, { host: 'api' });
    expect([r1.status, r1.body]).toEqual([200, 'A']);
    expect(r1.ms).toBeLessThan(500);

    const broken = await setup(routerOnlyYaml({ mirrors: mirror() }), { m: (req) => req.socket.destroy() });
    const r2 = await request(broken.port, { host: 'api', method: 'POST', body: 'x'.repeat(100_000) });
    expect([r2.status, r2.body]).toEqual([200, 'A']);
    expect(broken.a.seen[0].body.length).toBe(100_000);

    const gone = await setup(routerOnlyYaml({ mirrors: mirror() }), { map: { 'm:80': await closedPort() } });
    const r3 = await request(gone.port, { host: 'api' });
    expect([r3.status, r3.body]).toEqual([200, 'A']);
  });
});
