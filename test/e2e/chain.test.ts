// Story 4: the candidate calls a live service (catalog) that calls a third one (inventory). The mirror
// is tagged at every hop: the shadow's own sidecar marks it in filter state, the catalog's live-role
// sidecar recognises the propagated tag and marks it too, and the catalog's outbound calls that still
// carry the tag go through the allowlist (its read is allowed, its audit write denied), while the same
// calls of untagged live traffic pass untouched.
//
// envoy/envoy.yaml has no live-role listener (its catalog is a leaf), so this story runs on a
// test-local variant: the catalog cluster now points at a catalog_inbound listener (role live,
// inbound) in front of a catalog app, whose calls leave through catalog_egress (role live, outbound).
import http from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { HttpStream } from '../../sandbox/host/index.js';
import { closeServer, listen, send, sendJson } from '../../sandbox/demo/http.js';
import { startDemo, type Demo } from '../../sandbox/demo/index.js';
import { catalogItem } from '../../sandbox/demo/providers.js';
import { PROPAGATED_HEADERS } from '../../sandbox/demo/shop.js';
import { envoyVariant, metric, req, sendAll, waitFor } from './support.js';

interface Seen {
  method: string;
  path: string;
  shadow?: string;
  baggage?: string;
}
const CP = { cluster: 'shadowguard_control_plane', authority: 'control-plane:18000' };

function liveListener(name: string, port: number, direction: 'inbound' | 'outbound', vhosts: unknown[]) {
  return {
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: port } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type':
                'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: name,
              codec_type: 'AUTO',
              route_config: { name: `${name}_routes`, virtual_hosts: vhosts },
              http_filters: [
                {
                  name: 'envoy.filters.http.wasm',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm',
                    config: {
                      name: `shadowguard-${name.replace('_', '-')}`,
                      root_id: 'shadowguard',
                      fail_open: direction === 'inbound',
                      vm_config: {
                        vm_id: 'catalog',
                        runtime: 'envoy.wasm.runtime.v8',
                        code: { local: { filename: '/etc/shadowguard/shadowguard.wasm' } },
                      },
                      configuration: {
                        '@type': 'type.googleapis.com/google.protobuf.StringValue',
                        value: JSON.stringify({ role: 'live', service: 'catalog', direction, controlPlane: CP }),
                      },
                    },
                  },
                },
                {
                  name: 'envoy.filters.http.router',
                  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
                },
              ],
            },
          },
        ],
      },
    ],
  };
}
const cluster = (name: string, address: string, port: number, type = 'STRICT_DNS') => ({
  name,
  type,
  connect_timeout: '2s',
  load_assignment: {
    cluster_name: name,
    endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address, port_value: port } } } }] }],
  },
});

const envoyYaml = envoyVariant((b) => {
  const sr = b.static_resources;
  sr.listeners.push(
    liveListener('catalog_inbound', 10005, 'inbound', [
      { name: 'catalog', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'catalog_app' } }] },
    ]),
    liveListener('catalog_egress', 10006, 'outbound', [
      {
        name: 'inventory',
        domains: ['inventory', 'inventory:8080'],
        routes: [{ match: { prefix: '/' }, route: { cluster: 'inventory' } }],
      },
    ]),
  );
  sr.clusters = sr.clusters.filter((c: { name: string }) => c.name !== 'catalog');
  sr.clusters.push(
    cluster('catalog', '127.0.0.1', 10005, 'STATIC'),
    cluster('catalog_app', 'catalog-app', 8080),
    cluster('inventory', 'inventory', 8080),
  );
});

let demo: Demo;
let catalogApp: http.Server, inventory: http.Server;
const atCatalog: Seen[] = [],
  atInventory: Seen[] = [];
const seen = (r: http.IncomingMessage): Seen => ({
  method: r.method ?? '',
  path: r.url ?? '',
  shadow: r.headers['x-shadow'] as string | undefined,
  baggage: r.headers.baggage as string | undefined,
});

beforeAll(async () => {
  inventory = http.createServer((r, res) => {
    atInventory.push(seen(r));
    r.resume();
    sendJson(res, r.method === 'POST' ? 201 : 200, { stock: 7 });
  });
  // The catalog app: a live service that reads stock and writes an audit record for every lookup,
  // through its own sidecar, propagating the tracing/shadow headers like the shop does.
  catalogApp = http.createServer((r, res) => {
    atCatalog.push(seen(r));
    const id = Number((r.url ?? '').split('/')[2]);
    const headers: Record<string, string> = { host: 'inventory:8080', 'content-type': 'application/json' };
    for (const h of PROPAGATED_HEADERS) if (typeof r.headers[h] === 'string') headers[h] = r.headers[h] as string;
    const egress = demo.mesh.listenerAddress('catalog_egress');
    const base = `http://${egress.host}:${egress.port}`;
    (async () => {
      const stock = await send(`${base}/stock/${id}`, { headers });
      await send(`${base}/audit`, { method: 'POST', headers, body: JSON.stringify({ read: id }) }); // best effort
      sendJson(res, stock.status === 200 ? 200 : 502, { ...catalogItem(id), stock: 7 });
    })().catch(() => sendJson(res, 502, { error: 'inventory unreachable' }));
  });
  const [invPort, appPort] = await Promise.all([listen(inventory, 0), listen(catalogApp, 0)]);
  demo = await startDemo({
    envoyYaml,
    hostMap: { 'catalog-app:8080': appPort, 'inventory:8080': invPort },
    liveDependencyUrls: { catalog: `http://127.0.0.1:${appPort}` },
    policies: {
      catalog: {
        services: ['catalog'],
        egress: {
          defaultAction: 'deny',
          rules: [{ name: 'inventory-read', host: 'inventory', methods: ['GET'], action: 'allow' }],
        },
      },
    },
  });
});
afterAll(async () => {
  await demo?.close();
  await Promise.all([catalogApp, inventory].map((s) => s && closeServer(s)));
});

/** Records the streams a listener's wasm filter sees (the filter state Envoy would show in access logs). */
function spy(pluginName: string): HttpStream[] {
  const plugin = demo.mesh.plugin(pluginName);
  const streams: HttpStream[] = [];
  const original = plugin.newStream.bind(plugin);
  plugin.newStream = (opts?: Parameters<typeof original>[0]) => {
    const s = original(opts);
    streams.push(s);
    return s;
  };
  return streams;
}
const marks = (streams: HttpStream[]) =>
  streams.map((s) => s.filterState.get('shadowguard.shadow')?.toString() ?? '(none)').sort();

const shadowOnly = (xs: string[]) => xs.filter((x) => x === 'candidate' || x === 'secondary');
const calls = (method: string) =>
  atInventory
    .filter((s) => s.method === method)
    .map((s) => s.shadow ?? '(none)')
    .sort();

let candidateHop: HttpStream[], catalogHop: HttpStream[];
let results: Awaited<ReturnType<typeof sendAll>>;
beforeAll(async () => {
  candidateHop = spy('shadowguard-candidate-inbound');
  catalogHop = spy('shadowguard-catalog-inbound');
  results = await sendAll(demo, [req.product(3), req.product(8)]);
  // 2 live + 4 shadow lookups, each reading stock and trying an audit write.
  await waitFor(() => (atCatalog.length >= 6 && calls('GET').length >= 6 ? true : undefined), 5000, 'the chain to run');
  // Positive barrier for the assertions on audit writes: the two live writes arrived and the catalog's
  // outbound filter has denied the four shadow writes.
  await waitFor(
    () => (calls('POST').length >= 2 && metric(demo, 'shadowguard_egress_denied') >= 4 ? true : undefined),
    5000,
    'the live audit writes to arrive and the shadow ones to be denied',
  );
});

it('a shadow → live → third-party chain stays tagged at every hop, and its tagged egress passes the allowlist', async () => {
  expect(results.map((r) => r.status)).toEqual([200, 200]);
  expect((results[0].body as { product: unknown }).product).toEqual({ ...catalogItem(3), stock: 7, available: true });
  // Hop 1, the candidate's own sidecar: tagged by configuration (filter state shadowguard.shadow).
  expect(marks(candidateHop)).toEqual(['candidate', 'candidate']);
  // Hop 2, the catalog's live-role sidecar: it recognises the tag the apps propagated and marks it.
  expect(shadowOnly(atCatalog.map((s) => s.shadow ?? ''))).toHaveLength(4);
  expect(shadowOnly(marks(catalogHop))).toEqual(['candidate', 'candidate', 'secondary', 'secondary']);
  expect(metric(demo, 'shadowguard_requests_tagged')).toBeGreaterThanOrEqual(4);
  // Hop 3, the catalog's outbound calls still carrying the tag: the read is allowed, the write denied.
  expect(shadowOnly(calls('GET'))).toEqual(['candidate', 'candidate', 'secondary', 'secondary']);
  expect(shadowOnly(calls('POST'))).toEqual([]);
  expect(atInventory.filter((s) => s.shadow).every((s) => /(^|,)\s*shadow=/.test(s.baggage ?? ''))).toBe(true);

  const routes = await waitFor(
    async () => {
      const map = await demo.client.blastRadius('catalog');
      const d = map.services
        .find((s) => s.service === 'catalog')
        ?.destinations.find((x) => x.destination === 'inventory:8080');
      return d && (d.routes.find((r) => r.route === 'POST /audit')?.decisions.denied ?? 0) >= 4
        ? Object.fromEntries(d.routes.map((r) => [r.route, r.decisions]))
        : undefined;
    },
    5000,
    "the live hop's egress decisions in the catalog blast-radius map",
  );
  expect(routes['POST /audit']).toMatchObject({ allowed: 0, mocked: 0 });
  expect(routes['GET /stock/{id}']).toMatchObject({ denied: 0, mocked: 0 });
  expect(routes['GET /stock/{id}'].allowed).toBeGreaterThanOrEqual(4);
});

// The edge sets x-shadow-pair on the LIVE request as well (the mirror route needs it, and the mirror
// copies the live headers), and v1 propagates it like any tracing header. Only x-shadow or a baggage
// shadow member mark shadow traffic (filter/tagging.ts M_SHADOW_TRAFFIC), so the call the catalog makes
// for a sampled live request is not shadow egress: its audit write passes.
it("the live request's own calls are not treated as shadow egress: its audit write passes", () => {
  expect(calls('GET').filter((x) => x === '(none)')).toHaveLength(2); // the live lookups did run
  expect(calls('POST')).toEqual(['(none)', '(none)']);
});
