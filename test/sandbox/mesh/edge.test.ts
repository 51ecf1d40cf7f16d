// envoy/envoy.yaml as shipped, run by the mesh with the real filter: the edge samples (100 % through a
// configuration override), sets x-shadow-pair, the route cache is cleared and the mirror route
// copies the request to the candidate's and the secondary's sidecar listeners; the client only ever
// sees the live response; the filters' gRPC streams reach a real control plane over HTTP/2.
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startMesh, type Mesh, type MeshOptions } from '../../../sandbox/mesh/index.js';
import { TestControlPlane } from '../../filter/support/control-plane.js';
import { ENVOY_YAML, hcmOf, mutatedEnvoyYaml, removeTempYamls, request, upstream, WASM } from './support.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  removeTempYamls();
});

const sampleAll: MeshOptions['pluginConfig'] = {
  'shadowguard-edge': (c) => ({ ...c, sampling: { defaultPercent: 100 } }),
};

async function setup(
  opts: {
    live?: Parameters<typeof upstream>[1];
    candidate?: Parameters<typeof upstream>[1];
    file?: string;
    sample?: boolean;
    extra?: Partial<MeshOptions>;
  } = {},
) {
  const live = await upstream('live v1', opts.live);
  const candidate = await upstream('candidate v2', opts.candidate);
  const secondary = await upstream('secondary v1');
  cleanup.push(live.close, candidate.close, secondary.close);
  const mesh: Mesh = await startMesh({
    file: opts.file ?? ENVOY_YAML,
    wasmPath: WASM,
    hostMap: { 'live:8080': live.addr, 'candidate:8080': candidate.addr, 'secondary:8080': secondary.addr },
    pluginConfig: opts.sample === false ? undefined : sampleAll,
    ...opts.extra,
  });
  cleanup.push(() => mesh.close());
  return { live, candidate, secondary, mesh, port: mesh.listenerAddress('edge_ingress').port };
}

describe('edge listener with the real filter', () => {
  it('mirrors a sampled request through both shadow sidecars; the client gets only the live response', async () => {
    const { live, candidate, secondary, mesh, port } = await setup();
    const r = await request(port, {
      method: 'POST',
      path: '/orders',
      body: '{"sku":7}',
      headers: { 'content-type': 'application/json' },
    });
    expect([r.status, r.body]).toEqual([200, 'live v1']);
    await candidate.waitFor(1);
    await secondary.waitFor(1);
    const pair = live.seen[0].headers['x-shadow-pair'];
    expect(pair).toBeTruthy(); // set by the edge filter, and it selected the mirror route
    for (const [shadow, variant] of [
      [candidate, 'candidate'],
      [secondary, 'secondary'],
    ] as const) {
      const copy = shadow.seen[0];
      expect(copy.headers['x-shadow-pair']).toBe(pair);
      expect(copy.headers['x-request-id']).toBe(live.seen[0].headers['x-request-id']);
      expect(copy.headers['x-shadow']).toBe(variant); // the shadow sidecar's filter tagged it
      expect(copy.headers.host).toBe('shop:10000'); // disable_shadow_host_suffix_append: true
      expect([copy.method, copy.url, copy.body]).toEqual(['POST', '/orders', '{"sku":7}']);
      // The sidecar's HCM removes x-envoy-internal from an external request (reference §1.6).
      expect(copy.headers).not.toHaveProperty('x-envoy-internal');
    }
    expect(mesh.plugin('shadowguard-edge').metric('shadowguard_requests_sampled')).toBe(1);
  });

  it('sends the copy with x-envoy-internal, x-shadow-pair and the same x-request-id, as the edge router emits it', async () => {
    const direct = await upstream('direct');
    cleanup.push(direct.close);
    const { live, port } = await setup({ extra: { clusterMap: { candidate: direct.addr } } });
    await request(port, { headers: { 'x-request-id': 'rid-42' } });
    await direct.waitFor(1);
    const copy = direct.seen[0].headers;
    expect(copy['x-envoy-internal']).toBe('true');
    // use_remote_address: a client's request is an edge request, so Envoy replaced the id it sent;
    // the copy carries the id the live request got.
    expect(copy['x-request-id']).not.toBe('rid-42');
    expect(copy['x-request-id']).toBe(live.seen[0].headers['x-request-id']);
    expect(copy['x-shadow-pair']).toBe(live.seen[0].headers['x-shadow-pair']);
    // The edge HCM appended the client (a loopback peer: the listener's own address), then the mirror's
    // async client appended the sending proxy's address (send_xff).
    expect(copy['x-forwarded-for']).toBe('127.0.0.1,127.0.0.1');
  });

  it('mirrors because ABI 0.2.1 clears the route cache on a header change; a newer ABI (Envoy ≥ 1.33) would not', async () => {
    // The route is chosen before the filters run, when the request has no x-shadow-pair yet; only the
    // cache clearing that a 0.2.1 module's header change triggers lets the router see the mirror route.
    const cleared = await setup();
    expect(cleared.mesh.plugin('shadowguard-edge').abiVersion).toBe('0_2_1');
    await request(cleared.port, { headers: { 'x-request-id': 'a' } });
    await cleared.candidate.waitFor(1);

    const copies: string[] = [];
    const { live, candidate, mesh, port } = await setup({
      extra: { clearsRouteCache: () => false, onShadow: (cluster) => copies.push(cluster) },
    });
    const r = await request(port, { headers: { 'x-request-id': 'b' } });
    expect(r.status).toBe(200);
    await live.waitFor(1);
    expect(live.seen[0].headers['x-shadow-pair']).toBeTruthy(); // sampled, yet routed by the cached choice:
    expect(mesh.plugin('shadowguard-edge').metric('shadowguard_requests_sampled')).toBe(1);
    // The router decides its shadows synchronously before the live response can arrive: none was sent.
    expect(copies).toEqual([]);
    expect(candidate.seen).toHaveLength(0);
  });

  it('appends -shadow before the port when the suffix is not disabled', async () => {
    const file = mutatedEnvoyYaml((d) => {
      for (const p of hcmOf(d, 'edge_ingress').route_config.virtual_hosts[0].routes[0].route.request_mirror_policies)
        delete p.disable_shadow_host_suffix_append;
    });
    const { live, candidate, port } = await setup({ file });
    await request(port, { host: 'shop:10000' });
    await candidate.waitFor(1);
    expect(candidate.seen[0].headers.host).toBe('shop-shadow:10000');
    expect(live.seen[0].headers.host).toBe('shop:10000');
  });

  it('never delays or fails the live response when the candidate is slow or broken', async () => {
    const slow = await setup({ candidate: (_q, res) => setTimeout(() => res.end('late'), 1500) });
    const r1 = await request(slow.port);
    expect([r1.status, r1.body]).toEqual([200, 'live v1']);
    expect(r1.ms).toBeLessThan(700);
    const broken = await setup({ candidate: (req) => req.socket.destroy() });
    const r2 = await request(broken.port, { method: 'POST', body: 'x'.repeat(50_000) });
    expect([r2.status, r2.body]).toEqual([200, 'live v1']);
    await broken.candidate.waitFor(1);
  });

  it('streams the live response through the capturing edge filter (first chunk before the upstream ends)', async () => {
    const { port } = await setup({
      live: (_q, res) => {
        res.write('first;');
        setTimeout(() => res.end('second'), 400);
      },
    });
    const got = await new Promise<{ firstMs: number; body: string }>((resolve, reject) => {
      const t0 = Date.now();
      let firstMs = -1;
      let body = '';
      http
        .get({ host: '127.0.0.1', port, path: '/', headers: { host: 'shop' }, agent: false }, (res) => {
          res.on('data', (c: Buffer) => {
            if (firstMs < 0) firstMs = Date.now() - t0;
            body += c;
          });
          res.on('end', () => resolve({ firstMs, body }));
        })
        .on('error', reject);
    });
    expect(got.body).toBe('first;second');
    expect(got.firstMs).toBeLessThan(300);
  });

  it('with the file as shipped (no sampling yet), a client cannot select the mirror route by forging x-shadow-pair', async () => {
    const { live, candidate, secondary, port } = await setup({ sample: false });
    const r = await request(port, { headers: { 'x-shadow-pair': 'forged', 'x-shadow': 'candidate' } });
    expect([r.status, r.body]).toEqual([200, 'live v1']);
    await new Promise((res) => setTimeout(res, 150));
    expect(live.seen[0].headers).not.toHaveProperty('x-shadow-pair');
    expect(live.seen[0].headers).not.toHaveProperty('x-shadow');
    expect([candidate.seen.length, secondary.seen.length]).toEqual([0, 0]);
  });

  it('bypasses a failed edge VM (fail_open: true): live traffic still flows', async () => {
    const { live, candidate, mesh, port } = await setup();
    for (const vm of mesh.plugin('shadowguard-edge').workers) vm.fail('test', new Error('forced trap'));
    const r = await request(port);
    expect([r.status, r.body]).toEqual([200, 'live v1']);
    expect(live.seen).toHaveLength(1);
    await new Promise((res) => setTimeout(res, 100));
    expect(candidate.seen).toHaveLength(0); // nothing set x-shadow-pair: no mirror
  });

  it("opens every filter's control-plane stream over HTTP/2 through the file's cluster, with the node id", async () => {
    const cp = await TestControlPlane.start();
    cleanup.push(() => cp.close());
    const { mesh } = await setup({ extra: { clusterMap: { shadowguard_control_plane: `127.0.0.1:${cp.port}` } } });
    await mesh.plugin('shadowguard-edge').waitFor(() => cp.of('hello').length >= 5, 3000);
    const hellos = cp.of('hello');
    expect(new Set(hellos.map((h) => JSON.stringify([h.role, h.variant ?? '']))).size).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(hellos[0])).toContain('shadowguard-front-proxy');
  });
});
