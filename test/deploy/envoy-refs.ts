// Cross-reference checks on an Envoy bootstrap that the protos alone cannot express but Envoy (or our filter)
// rejects on load: every route/mirror cluster and the filter's controlPlane.cluster exist, names are unique,
// STATIC endpoints are IP literals, the router is the last HTTP filter, the control-plane cluster speaks HTTP/2,
// and each Shadowguard Wasm filter's configuration string is a valid filter configuration document.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { isIP } from 'node:net';
import type { Issue } from './envoy-proto.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const WASM = 'envoy.extensions.filters.http.wasm.v3.Wasm';
const ROUTER = 'envoy.extensions.filters.http.router.v3.Router';
const NET_WASM = 'envoy.extensions.filters.network.wasm.v3.Wasm';
const TCP_PROXY = 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
const HTTP_OPTS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

type Obj = Record<string, any>;
const typeOf = (typed: Obj | undefined) => String(typed?.['@type'] ?? '').replace(/^.*\//, '');
/** Envoy accepts both spellings; our files use snake_case but the checks should not depend on it. */
const get = (o: Obj | undefined, snake: string): any =>
  o?.[snake] ?? o?.[snake.replace(/_([a-z0-9])/g, (_m, c) => c.toUpperCase())];

let validatePluginConfig: ((doc: unknown) => string[]) | undefined;
/** Validates a parsed plugin configuration against schema/filter-config.schema.json; returns messages. */
export function filterConfigErrors(doc: unknown): string[] {
  if (!validatePluginConfig) {
    const schema = JSON.parse(fs.readFileSync(path.join(REPO, 'schema/filter-config.schema.json'), 'utf8'));
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    validatePluginConfig = (d) =>
      validate(d) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
  }
  return validatePluginConfig(doc);
}

export interface WasmFilterInfo {
  listener: string;
  name: string;
  config: Obj;
  filename?: string;
  failOpen: boolean;
}

/** Runs the cross-reference checks; also returns what it learned, for tests that assert on the topology. */
export function checkBootstrapRefs(bootstrap: Obj): { issues: Issue[]; clusters: Set<string>; wasm: WasmFilterInfo[] } {
  const issues: Issue[] = [];
  const fail = (p: string, message: string) => issues.push({ path: p, message });
  const sr = get(bootstrap, 'static_resources') ?? {};
  const clusters = new Set<string>();
  const wasm: WasmFilterInfo[] = [];

  (sr.clusters ?? []).forEach((c: Obj, i: number) => {
    const p = `$.static_resources.clusters[${i}]`;
    if (clusters.has(c.name)) fail(p, `duplicate cluster name '${c.name}'`);
    clusters.add(c.name);
    const endpoints = (get(c, 'load_assignment')?.endpoints ?? []).flatMap((e: Obj) => get(e, 'lb_endpoints') ?? []);
    for (const ep of endpoints) {
      const addr = get(ep.endpoint?.address, 'socket_address')?.address;
      if ((c.type ?? 'STATIC') === 'STATIC' && typeof addr === 'string' && !isIP(addr)) {
        fail(p, `STATIC cluster '${c.name}' needs an IP address, got '${addr}' (use STRICT_DNS for hostnames)`);
      }
    }
  });

  const listenerNames = new Set<string>();
  const ports = new Map<string, string>();
  const controlPlaneRefs: Array<{ p: string; cluster: string }> = [];
  /** Checks the Shadowguard JSON in a wasm PluginConfig (HTTP or network filter) and notes its control-plane cluster. */
  const shadowguardConfig = (pc: Obj, at: string): Obj | undefined => {
    const conf = get(pc, 'configuration');
    if (typeOf(conf) !== 'google.protobuf.StringValue' || typeof conf?.value !== 'string') {
      fail(at, 'the Shadowguard configuration must be a google.protobuf.StringValue JSON document');
      return undefined;
    }
    let doc: Obj;
    try {
      doc = JSON.parse(conf.value);
    } catch (e) {
      fail(at, `configuration is not JSON: ${(e as Error).message}`);
      return undefined;
    }
    for (const m of filterConfigErrors(doc)) fail(`${at}.configuration`, `filter configuration: ${m}`);
    if (doc.controlPlane?.cluster)
      controlPlaneRefs.push({ p: `${at}.configuration`, cluster: doc.controlPlane.cluster });
    return doc;
  };
  (sr.listeners ?? []).forEach((l: Obj, li: number) => {
    const lp = `$.static_resources.listeners[${li}]`;
    if (listenerNames.has(l.name)) fail(lp, `duplicate listener name '${l.name}'`);
    listenerNames.add(l.name);
    const sa = get(l.address, 'socket_address') ?? {};
    const port = String(get(sa, 'port_value'));
    if (ports.has(port)) fail(lp, `listener '${l.name}' reuses port ${port} of '${ports.get(port)}'`);
    ports.set(port, l.name);
    (get(l, 'filter_chains') ?? []).forEach((fc: Obj, ci: number) =>
      (fc.filters ?? []).forEach((f: Obj, fi: number) => {
        const tc = get(f, 'typed_config');
        const hp = `${lp}.filter_chains[${ci}].filters[${fi}].typed_config`;
        // TCP egress (data-layer guard): network wasm filters, then tcp_proxy last, to a defined cluster.
        if (typeOf(tc) === TCP_PROXY) {
          if (fi !== (fc.filters ?? []).length - 1) fail(hp, 'tcp_proxy is a terminal filter and must be last');
          if (!clusters.has(tc.cluster)) fail(hp, `tcp_proxy to undefined cluster '${tc.cluster}'`);
          return;
        }
        if (typeOf(tc) === NET_WASM) {
          shadowguardConfig(tc.config ?? {}, hp);
          return;
        }
        // The subset a front proxy (and the sandbox mesh) needs: HCM only, with the wasm and router HTTP filters.
        if (typeOf(tc) !== HCM)
          return fail(
            hp,
            `network filter '${typeOf(tc)}' is outside the supported subset (HTTP connection manager only)`,
          );
        const rc = get(tc, 'route_config');
        if (!rc) fail(hp, 'only inline route_config is supported (no RDS in a static front proxy)');
        const domains = new Set<string>();
        (get(rc, 'virtual_hosts') ?? []).forEach((vh: Obj, vi: number) => {
          for (const d of vh.domains ?? []) {
            if (domains.has(d))
              fail(`${hp}.route_config.virtual_hosts[${vi}]`, `domain '${d}' appears in two virtual hosts`);
            domains.add(d);
          }
          (vh.routes ?? []).forEach((r: Obj, ri: number) => {
            const rp = `${hp}.route_config.virtual_hosts[${vi}].routes[${ri}].route`;
            const action = r.route;
            if (!action) return;
            if (action.cluster !== undefined && !clusters.has(action.cluster))
              fail(rp, `route to undefined cluster '${action.cluster}'`);
            (get(action, 'request_mirror_policies') ?? []).forEach((m: Obj, mi: number) => {
              if (m.cluster !== undefined && !clusters.has(m.cluster)) {
                fail(
                  `${rp}.request_mirror_policies[${mi}]`,
                  `mirror to undefined cluster '${m.cluster}' (Envoy would silently not mirror)`,
                );
              }
            });
          });
        });
        const filters: Obj[] = get(tc, 'http_filters') ?? [];
        filters.forEach((hf, hi) => {
          const fp = `${hp}.http_filters[${hi}]`;
          const t = typeOf(get(hf, 'typed_config'));
          if (t !== ROUTER && t !== WASM) fail(fp, `HTTP filter '${t}' is outside the supported subset (wasm, router)`);
          if (t === ROUTER && hi !== filters.length - 1) fail(fp, 'the router must be the last HTTP filter');
          if (t !== WASM) return;
          const pc = get(hf, 'typed_config').config ?? {};
          const doc = shadowguardConfig(pc, fp);
          if (!doc) return;
          const code = get(get(pc, 'vm_config'), 'code');
          wasm.push({
            listener: l.name,
            name: pc.name,
            config: doc,
            filename: code?.local?.filename,
            // failure_policy wins over the deprecated fail_open (wasm.proto); unspecified is not open.
            failOpen:
              get(pc, 'failure_policy') !== undefined
                ? get(pc, 'failure_policy') === 'FAIL_OPEN'
                : get(pc, 'fail_open') === true,
          });
        });
        if (filters.length === 0 || typeOf(get(filters[filters.length - 1], 'typed_config')) !== ROUTER) {
          fail(hp, 'http_filters must end with the router');
        }
      }),
    );
  });

  for (const ref of controlPlaneRefs) {
    if (!clusters.has(ref.cluster)) {
      fail(ref.p, `controlPlane.cluster '${ref.cluster}' is not a defined cluster`);
      continue;
    }
    const c = (sr.clusters as Obj[]).find((x) => x.name === ref.cluster)!;
    const opts = get(c, 'typed_extension_protocol_options')?.[HTTP_OPTS];
    if (!get(get(opts, 'explicit_http_config'), 'http2_protocol_options')) {
      fail(ref.p, `control-plane cluster '${ref.cluster}' must use HTTP/2 (gRPC) via ${HTTP_OPTS}`);
    }
  }
  return { issues, clusters, wasm };
}
