// envoy/envoy.yaml is a valid Envoy bootstrap by Envoy's own API protos, its cross-references hold, its plugin
// configurations satisfy the filter schema — and the validator catches each class of mistake (negative tests).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EnvoyProtoValidator, type Issue } from './envoy-proto.js';
import { checkBootstrapRefs } from './envoy-refs.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BOOTSTRAP = 'envoy.config.bootstrap.v3.Bootstrap';
const original = parse(fs.readFileSync(path.join(REPO, 'envoy/envoy.yaml'), 'utf8'));

function validate(doc: unknown): Issue[] {
  return [...EnvoyProtoValidator.check(BOOTSTRAP, doc), ...checkBootstrapRefs(doc as Record<string, any>).issues];
}
/** A deep copy of envoy.yaml changed by `mutate`; the tests below each break one thing. */
function mutated(mutate: (d: any) => void): any {
  const d = structuredClone(original);
  mutate(d);
  return d;
}
const listener = (d: any, name: string) => d.static_resources.listeners.find((l: any) => l.name === name);
const hcm = (d: any, name: string) => listener(d, name).filter_chains[0].filters[0].typed_config;
const edgeRoutes = (d: any) => hcm(d, 'edge_ingress').route_config.virtual_hosts[0].routes;
const wasmConfig = (d: any, name: string) => hcm(d, name).http_filters[0].typed_config.config;
const messages = (issues: Issue[]) => issues.map((i) => `${i.path}: ${i.message}`).join('\n');

describe('envoy/envoy.yaml', () => {
  it('validates against the Envoy bootstrap proto and its cross-references', () => {
    expect(messages(validate(original))).toBe('');
  });

  it('uses no deprecated field: fail_open (deprecated since Envoy 1.33) is refused, failure_policy is explicit everywhere', () => {
    const legacy = mutated((d) => {
      const c = wasmConfig(d, 'edge_ingress');
      delete c.failure_policy;
      c.fail_open = true;
    });
    expect(messages(validate(legacy))).toMatch(/fail_open' of envoy\.extensions\.wasm\.v3\.PluginConfig is deprecated/);
    const policies = JSON.stringify(original).match(/"failure_policy":"[A-Z_]+"/g) ?? [];
    expect(policies.length).toBe(JSON.stringify(original).match(/"root_id"/g)?.length);
    expect(
      messages(validate(mutated((d) => (wasmConfig(d, 'edge_ingress').failure_policy = 'FAIL_SOMETIMES')))),
    ).toMatch(/failure_policy/);
  });

  it('sets traffic_direction on every listener, so the filter knows which calls are egress', () => {
    for (const l of original.static_resources.listeners)
      expect([l.name, l.traffic_direction]).toEqual([l.name, expect.stringMatching(/^(INBOUND|OUTBOUND)$/)]);
    expect(listener(original, 'candidate_egress').traffic_direction).toBe('OUTBOUND');
    expect(listener(original, 'edge_ingress').traffic_direction).toBe('INBOUND');
  });

  it('treats clients at the edge as edge requests: use_remote_address, no preserved external request ids', () => {
    const edge = hcm(original, 'edge_ingress');
    expect(edge.use_remote_address).toBe(true);
    expect(edge.preserve_external_request_id).toBeUndefined();
    // the shadows' inbound listeners must keep the id the edge set (the mirrored copy carries it)
    expect(hcm(original, 'candidate_inbound').use_remote_address).toBeUndefined();
  });

  it('mirrors only the x-shadow-pair route, to candidate and secondary at 100 %, without the -shadow suffix', () => {
    const [mirror, fallback] = edgeRoutes(original);
    expect(mirror.match.headers).toEqual([{ name: 'x-shadow-pair', present_match: true }]);
    expect(mirror.route.cluster).toBe('live');
    expect(mirror.route.request_mirror_policies.map((m: any) => m.cluster)).toEqual(['candidate', 'secondary']);
    for (const m of mirror.route.request_mirror_policies) {
      expect(m.runtime_fraction.default_value).toEqual({ numerator: 100, denominator: 'HUNDRED' });
      expect(m.disable_shadow_host_suffix_append).toBe(true);
    }
    expect(fallback.match).toEqual({ prefix: '/' });
    expect(fallback.route.cluster).toBe('live');
    expect(fallback.route.request_mirror_policies).toBeUndefined();
    // Whichever way the suffix is set, the shadow listeners accept the host.
    for (const l of ['candidate_inbound', 'secondary_inbound']) {
      expect(hcm(original, l).route_config.virtual_hosts[0].domains).toEqual(['*']);
    }
  });

  it('gives each listener the role it stands for, failing open only at the edge', () => {
    const { wasm } = checkBootstrapRefs(original);
    const roles = Object.fromEntries(
      wasm.map((w) => [w.listener, [w.config.role, w.config.variant, w.config.direction, w.failOpen]]),
    );
    expect(roles).toEqual({
      edge_ingress: ['edge', undefined, undefined, true],
      candidate_inbound: ['shadow', 'candidate', 'inbound', false],
      candidate_egress: ['shadow', 'candidate', 'outbound', false],
      secondary_inbound: ['shadow', 'secondary', 'inbound', false],
      secondary_egress: ['shadow', 'secondary', 'outbound', false],
    });
    for (const w of wasm) {
      expect(w.filename).toBe('/etc/shadowguard/shadowguard.wasm');
      expect(w.config.controlPlane.cluster).toBe('shadowguard_control_plane');
    }
  });
});

describe('the Envoy config validator rejects', () => {
  const cases: Array<[string, (d: any) => void, RegExp]> = [
    [
      'an unknown field',
      (d) => {
        d.static_resources.clusters[0].conect_timeout = '1s';
      },
      /unknown field 'conect_timeout'/,
    ],
    [
      'a removed (reserved) field',
      (d) => {
        edgeRoutes(d)[0].route.request_mirror_policy = { cluster: 'candidate' };
      },
      /removed .*reserved/,
    ],
    [
      'a deprecated field',
      (d) => {
        d.static_resources.clusters[0].http2_protocol_options = {};
      },
      /deprecated/,
    ],
    [
      'a wrong scalar type',
      (d) => {
        listener(d, 'edge_ingress').address.socket_address.port_value = 'ten thousand';
      },
      /expected uint32/,
    ],
    [
      'a port out of range',
      (d) => {
        listener(d, 'edge_ingress').address.socket_address.port_value = 70000;
      },
      /exceeds 65535/,
    ],
    [
      'a Duration that is not a Duration string',
      (d) => {
        d.static_resources.clusters[0].connect_timeout = 2;
      },
      /expected a Duration/,
    ],
    [
      'a bad enum name',
      (d) => {
        d.static_resources.clusters[0].type = 'STRICTDNS';
      },
      /not a value of enum DiscoveryType/,
    ],
    [
      'a bad fraction denominator',
      (d) => {
        edgeRoutes(d)[0].route.request_mirror_policies[0].runtime_fraction.default_value.denominator = 'PERCENT';
      },
      /DenominatorType/,
    ],
    [
      'a list where an object is expected',
      (d) => {
        edgeRoutes(d)[0].match = [{ prefix: '/' }];
      },
      /expected an object/,
    ],
    [
      'two members of a oneof',
      (d) => {
        edgeRoutes(d)[1].route.cluster_header = 'x-cluster';
      },
      /oneof 'cluster_specifier'/,
    ],
    [
      'a required oneof left empty',
      (d) => {
        delete edgeRoutes(d)[1].route.cluster;
      },
      /requires one of: cluster/,
    ],
    [
      'a missing required message',
      (d) => {
        delete edgeRoutes(d)[1].match;
      },
      /required field 'match'/,
    ],
    [
      'an unresolvable @type',
      (d) => {
        hcm(d, 'edge_ingress').http_filters[0].typed_config['@type'] =
          'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasmm';
      },
      /does not name a message/,
    ],
    [
      'an Any without @type',
      (d) => {
        delete hcm(d, 'edge_ingress').http_filters[1].typed_config['@type'];
      },
      /needs an "@type"/,
    ],
    [
      'a StringValue Any with extra fields',
      (d) => {
        wasmConfig(d, 'edge_ingress').configuration.json = true;
      },
      /exactly one field "value"/,
    ],
    [
      'fields of the wrong message inside an Any',
      (d) => {
        hcm(d, 'edge_ingress').http_filters[0].typed_config.config.vm_config.runtimee = 'v8';
      },
      /unknown field 'runtimee'/,
    ],
    [
      'a route to an undefined cluster',
      (d) => {
        edgeRoutes(d)[1].route.cluster = 'live_v1';
      },
      /route to undefined cluster 'live_v1'/,
    ],
    [
      'a mirror to an undefined cluster',
      (d) => {
        edgeRoutes(d)[0].route.request_mirror_policies[0].cluster = 'candidate-shadow';
      },
      /mirror to undefined cluster/,
    ],
    [
      'a duplicate cluster',
      (d) => {
        d.static_resources.clusters.push(structuredClone(d.static_resources.clusters[0]));
      },
      /duplicate cluster name/,
    ],
    [
      'a hostname in a STATIC cluster',
      (d) => {
        d.static_resources.clusters[0].type = 'STATIC';
      },
      /needs an IP address/,
    ],
    [
      'an extension outside the supported subset',
      (d) => {
        hcm(d, 'edge_ingress').http_filters.splice(1, 0, {
          name: 'grpc',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
            auto_config: {},
          },
        });
      },
      /outside the supported subset/,
    ],
    [
      'a router that is not last',
      (d) => {
        hcm(d, 'edge_ingress').http_filters.reverse();
      },
      /router must be the last/,
    ],
    [
      'a plugin configuration that is not JSON',
      (d) => {
        wasmConfig(d, 'edge_ingress').configuration.value = '{role: edge}';
      },
      /not JSON/,
    ],
    [
      'a plugin configuration the filter schema rejects',
      (d) => {
        wasmConfig(d, 'candidate_inbound').configuration.value = JSON.stringify({
          role: 'shadow',
          service: 'shop',
          direction: 'inbound',
        });
      },
      /must have required property 'variant'/,
    ],
    [
      'a plugin configuration given as a Struct instead of a JSON string',
      (d) => {
        wasmConfig(d, 'edge_ingress').configuration = {
          '@type': 'type.googleapis.com/google.protobuf.Struct',
          value: { role: 'edge' },
        };
      },
      /must be a google.protobuf.StringValue/,
    ],
    [
      'a controlPlane.cluster that does not exist',
      (d) => {
        const c = wasmConfig(d, 'edge_ingress').configuration;
        c.value = c.value.replace('"shadowguard_control_plane"', '"control_plane"');
      },
      /controlPlane.cluster 'control_plane' is not a defined cluster/,
    ],
    [
      'a control-plane cluster without HTTP/2',
      (d) => {
        delete d.static_resources.clusters.find((c: any) => c.name === 'shadowguard_control_plane')
          .typed_extension_protocol_options;
      },
      /must use HTTP\/2/,
    ],
  ];
  it.each(cases)('%s', (_name, mutate, expected) => {
    const issues = validate(mutated(mutate));
    expect(messages(issues)).toMatch(expected);
  });

  it('accepts lowerCamel field names, as Envoy does, but not both spellings at once', () => {
    const camel = mutated((d) => {
      const c = d.static_resources.clusters[0];
      c.connectTimeout = c.connect_timeout;
      delete c.connect_timeout;
    });
    expect(messages(validate(camel))).toBe('');
    const both = mutated((d) => {
      d.static_resources.clusters[0].connectTimeout = '1s';
    });
    expect(messages(validate(both))).toMatch(/given twice/);
  });
});
