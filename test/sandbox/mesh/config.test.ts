// The mesh reads envoy/envoy.yaml strictly: the real file loads into the expected model, and any
// field outside the implemented subset — or a broken reference Envoy would reject — stops it with an
// error naming the field's path.
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBootstrap, startMesh } from '../../../sandbox/mesh/index.js';
import { ENVOY_YAML, hcmOf, listener, mutatedEnvoyYaml, removeTempYamls, WASM } from './support.js';

afterAll(removeTempYamls);

const load = (file: string) => parseBootstrap(fs.readFileSync(file, 'utf8'));

describe('loading envoy/envoy.yaml', () => {
  it('reads node, listeners, filters, routes, mirror policies and clusters as the file says', () => {
    const b = load(ENVOY_YAML);
    expect(b.node).toEqual({ id: 'shadowguard-front-proxy', cluster: 'shadowguard', metadata: {} });
    expect(b.listeners.map((l) => [l.name, l.port])).toEqual([
      ['edge_ingress', 10000],
      ['candidate_inbound', 10001],
      ['candidate_egress', 10002],
      ['secondary_inbound', 10003],
      ['secondary_egress', 10004],
    ]);
    const edge = b.listeners[0].hcm;
    expect(edge.routeConfig.internalOnlyHeaders).toEqual(['x-shadow-pair', 'x-shadow']);
    expect(edge.wasmFilters.map((f) => [f.name, f.vmId, f.rootId, f.failOpen])).toEqual([
      ['shadowguard-edge', 'edge', 'shadowguard', true],
    ]);
    expect(JSON.parse(edge.wasmFilters[0].configuration)).toMatchObject({ role: 'edge', service: 'shop' });
    const [mirror, fallback] = edge.routeConfig.virtualHosts[0].routes;
    expect(mirror.match.headers).toEqual([
      { name: 'x-shadow-pair', match: { kind: 'present', present: true }, invert: false },
    ]);
    expect(mirror.timeoutMs).toBe(15_000);
    expect(mirror.mirrorPolicies!.map((p) => [p.cluster, p.fraction, p.disableShadowHostSuffixAppend])).toEqual([
      ['candidate', { numerator: 100, denominator: 'HUNDRED' }, true],
      ['secondary', { numerator: 100, denominator: 'HUNDRED' }, true],
    ]);
    expect(fallback.mirrorPolicies).toBeUndefined();
    expect(b.listeners[2].hcm.routeConfig.virtualHosts[0].routes[0].timeoutMs).toBe(15_000); // RouteAction default
    expect(b.clusters.get('shadowguard_control_plane')).toMatchObject({
      type: 'STRICT_DNS',
      http2: true,
      endpoint: { address: 'control-plane', port: 18000 },
    });
    expect(b.clusters.get('candidate')).toMatchObject({
      type: 'STATIC',
      http2: false,
      connectTimeoutMs: 1000,
      endpoint: { address: '127.0.0.1', port: 10001 },
    });
  });

  it.each([
    [
      'a top-level admin block',
      (d: any) => {
        d.admin = { address: { socket_address: { address: '127.0.0.1', port_value: 9901 } } };
      },
      'admin',
    ],
    [
      'a listener field',
      (d: any) => {
        listener(d, 'edge_ingress').per_connection_buffer_limit_bytes = 1024;
      },
      'static_resources.listeners[0].per_connection_buffer_limit_bytes',
    ],
    [
      'an HCM field',
      (d: any) => {
        hcmOf(d, 'candidate_inbound').original_ip_detection_extensions = [];
      },
      'static_resources.listeners[1].filter_chains[0].filters[0].typed_config.original_ip_detection_extensions',
    ],
    [
      'a route match kind',
      (d: any) => {
        hcmOf(d, 'edge_ingress').route_config.virtual_hosts[0].routes[1].match.safe_regex = { regex: '.*' };
      },
      'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[1].match.safe_regex',
    ],
    [
      'a mirror policy field',
      (d: any) => {
        hcmOf(
          d,
          'edge_ingress',
        ).route_config.virtual_hosts[0].routes[0].route.request_mirror_policies[0].trace_sampled = true;
      },
      'route_config.virtual_hosts[0].routes[0].route.request_mirror_policies[0].trace_sampled',
    ],
    [
      'a wasm plugin field',
      (d: any) => {
        hcmOf(d, 'candidate_egress').http_filters[0].typed_config.config.capability_restriction_config = {};
      },
      'static_resources.listeners[2].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.config.capability_restriction_config',
    ],
    [
      'a cluster field',
      (d: any) => {
        d.static_resources.clusters[0].lb_policy = 'RING_HASH';
      },
      'static_resources.clusters[0].lb_policy',
    ],
  ])('stops on %s, naming the field', async (_what, mutate, field) => {
    const file = mutatedEnvoyYaml(mutate);
    expect(() => load(file)).toThrow(field);
    await expect(startMesh({ file, wasmPath: WASM })).rejects.toThrow(/not implemented by the sandbox mesh/);
  });

  it.each([
    [
      'an unsupported enum value',
      (d: any) => {
        d.static_resources.clusters[0].type = 'EDS';
      },
      /clusters\[0\]\.type: value "EDS" not implemented/,
    ],
    [
      'a second endpoint',
      (d: any) => {
        d.static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints.push(
          d.static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0],
        );
      },
      /clusters\[0\]\.load_assignment\.endpoints: exactly one endpoint/,
    ],
    [
      'a route to an unknown cluster',
      (d: any) => {
        hcmOf(d, 'edge_ingress').route_config.virtual_hosts[0].routes[1].route.cluster = 'nope';
      },
      /routes\[1\]\.route\.cluster: unknown route cluster "nope"/,
    ],
    [
      'a mirror to an unknown cluster',
      (d: any) => {
        hcmOf(d, 'edge_ingress').route_config.virtual_hosts[0].routes[0].route.request_mirror_policies[1].cluster =
          'nope';
      },
      /request_mirror_policies\[1\]: unknown mirror cluster "nope"/,
    ],
    [
      'a filter after the router',
      (d: any) => {
        const f = hcmOf(d, 'edge_ingress').http_filters;
        f.push(f.shift());
      },
      /http_filters\[0\]: the router is a terminal filter/,
    ],
    [
      'a bad duration',
      (d: any) => {
        d.static_resources.clusters[0].connect_timeout = '2 seconds';
      },
      /clusters\[0\]\.connect_timeout: expected a duration/,
    ],
    [
      'a wildcard suffix domain',
      (d: any) => {
        hcmOf(d, 'candidate_egress').route_config.virtual_hosts[0].domains = ['*.example.com'];
      },
      /wildcard domain "\*\.example\.com" not implemented/,
    ],
    [
      'a duplicate domain',
      (d: any) => {
        hcmOf(d, 'candidate_egress').route_config.virtual_hosts[1].domains = ['email'];
      },
      /domain "email" is also used by virtual host email/,
    ],
  ])('rejects %s', (_what, mutate, message) => {
    expect(() => load(mutatedEnvoyYaml(mutate))).toThrow(message);
  });

  it('refuses to start when a static plugin configuration is rejected by the filter, naming the filter', async () => {
    const file = mutatedEnvoyYaml((d) => {
      hcmOf(d, 'candidate_inbound').http_filters[0].typed_config.config.configuration.value = '{"role":"shadow"}'; // no variant, no service
    });
    await expect(startMesh({ file, wasmPath: WASM })).rejects.toThrow(
      /listeners\[1\].*http_filters\[0\]\.typed_config: wasm plugin "shadowguard-candidate-inbound" failed to load: .*on_configure/,
    );
  });
});
