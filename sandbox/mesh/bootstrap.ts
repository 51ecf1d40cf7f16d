// Reads an Envoy v3 bootstrap (YAML) into the model the sandbox mesh runs: node, listeners with one
// HTTP connection manager each (wasm filters + router), and static clusters with one endpoint.
// Strict: every field outside this subset stops the mesh with the field's path (reader.ts), and the
// cross-references Envoy checks at load (route/mirror clusters exist, router is the last filter)
// are checked here too.

import { isIP } from 'node:net';
import type { EdgeSemantics } from './request-headers.js';
import { parseDocument } from 'yaml';
import { type ListenerHead, readListenerHead, readOneChain } from './listener-parts.js';
import { MeshConfigError, TYPE, Val } from './reader.js';
import { readRouteConfig, type RouteConfig } from './route-config.js';
import { isTcpListener, readTcpListener, type TcpListenerConfig } from './tcp-listener.js';

export interface NodeInfo {
  id: string;
  cluster: string;
  metadata: Record<string, unknown>;
}

export interface WasmFilterConfig {
  name: string;
  rootId: string;
  vmId: string;
  /** code.local.filename as written; the mesh loads its own build instead (options.wasmPath). */
  filename: string;
  configuration: string;
  vmConfiguration: string;
  failOpen: boolean;
  path: string;
}

export interface HcmConfig {
  statPrefix: string;
  routeConfig: RouteConfig;
  wasmFilters: WasmFilterConfig[];
  /** HttpConnectionManager.generate_request_id (default true). */
  generateRequestId: boolean;
  /** use_remote_address, xff_num_trusted_hops, skip_xff_append, preserve_external_request_id, internal_address_config */
  edge: Omit<EdgeSemantics, 'generateRequestId' | 'internalOnlyHeaders'>;
}

export interface ListenerConfig extends ListenerHead {
  hcm: HcmConfig;
  path: string;
}

export interface ClusterConfig {
  name: string;
  type: 'STATIC' | 'STRICT_DNS';
  connectTimeoutMs: number;
  endpoint: { address: string; port: number };
  http2: boolean;
  path: string;
}

export interface Bootstrap {
  node: NodeInfo;
  listeners: ListenerConfig[];
  /** Listeners whose chain ends in tcp_proxy (tcp-listener.ts). */
  tcpListeners: TcpListenerConfig[];
  clusters: Map<string, ClusterConfig>;
}

const HCM_TYPE = `${TYPE}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`;
const WASM_TYPE = `${TYPE}envoy.extensions.filters.http.wasm.v3.Wasm`;
const ROUTER_TYPE = `${TYPE}envoy.extensions.filters.http.router.v3.Router`;
const HTTP_OPTIONS_KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const STRING_VALUE = `${TYPE}google.protobuf.StringValue`;
const STRUCT_VALUE = `${TYPE}google.protobuf.Struct`;

export function parseBootstrap(text: string): Bootstrap {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new MeshConfigError('(yaml)', doc.errors[0].message);
  const root = new Val(doc.toJS(), '').fields(['node', 'static_resources']);
  const sr = root.req('static_resources').fields(['listeners', 'clusters']);
  const clusters = new Map<string, ClusterConfig>();
  for (const c of (sr.opt('clusters')?.list() ?? []).map(readCluster)) {
    if (clusters.has(c.name)) throw new MeshConfigError(c.path, `duplicate cluster name "${c.name}"`);
    clusters.set(c.name, c);
  }
  const raw = sr.opt('listeners')?.list() ?? [];
  const listeners = raw.filter((l) => !isTcpListener(l)).map(readListener);
  const tcpListeners = raw.filter(isTcpListener).map(readTcpListener);
  const names = new Set<string>();
  for (const l of [...listeners, ...tcpListeners]) {
    if (names.has(l.name)) throw new MeshConfigError(l.path, `duplicate listener name "${l.name}"`);
    names.add(l.name);
    if ('hcm' in l) checkClusterRefs(l, clusters);
    else if (!clusters.has(l.cluster))
      throw new MeshConfigError(l.path, `tcp_proxy cluster "${l.cluster}" is not defined`);
  }
  const node = root.opt('node')?.fields(['id', 'cluster', 'metadata']);
  const metadata = node?.opt('metadata');
  if (metadata && (typeof metadata.value !== 'object' || Array.isArray(metadata.value)))
    metadata.fail('expected an object (google.protobuf.Struct)');
  return {
    node: {
      id: node?.opt('id')?.str() ?? '',
      cluster: node?.opt('cluster')?.str() ?? '',
      metadata: (metadata?.value ?? {}) as Record<string, unknown>,
    },
    listeners,
    tcpListeners,
    clusters,
  };
}

function readListener(v: Val): ListenerConfig {
  const f = v.fields(['name', 'address', 'filter_chains', 'traffic_direction']);
  const head = readListenerHead(f);
  const { chain, filters } = readOneChain(f);
  if (filters.length !== 1)
    chain.fail('exactly one network filter (the HTTP connection manager) is implemented by the sandbox mesh');
  const nf = filters[0].fields(['name', 'typed_config']);
  nf.req('name').str();
  return {
    ...head,
    hcm: readHcm(nf.req('typed_config')),
    path: v.path,
  };
}

function readHcm(v: Val): HcmConfig {
  const f = v.fields([
    '@type',
    'stat_prefix',
    'codec_type',
    'route_config',
    'http_filters',
    'generate_request_id',
    'use_remote_address',
    'xff_num_trusted_hops',
    'skip_xff_append',
    'preserve_external_request_id',
    'internal_address_config',
  ]);
  f.anyType([HCM_TYPE]);
  // AUTO and HTTP1 both serve the HTTP/1.1 the sandbox's clients speak (node:http); no h2c downstream.
  f.opt('codec_type')?.oneOf(['AUTO', 'HTTP1'] as const);
  const filters = f.req('http_filters').list();
  const wasmFilters: WasmFilterConfig[] = [];
  filters.forEach((hf, i) => {
    const ff = hf.fields(['name', 'typed_config']);
    ff.req('name').str();
    const tc = ff.req('typed_config');
    const type = tc.fields(['@type', 'config']).anyType([WASM_TYPE, ROUTER_TYPE]);
    if (type === ROUTER_TYPE) {
      tc.fields(['@type']);
      // Envoy: the terminal filter must be the last filter in the HTTP filter chain.
      if (i !== filters.length - 1) hf.fail('the router is a terminal filter and must be the last HTTP filter');
    } else {
      if (i === filters.length - 1) hf.fail('the last HTTP filter must be the router (a terminal filter)');
      wasmFilters.push(readWasmConfig(tc));
    }
  });
  if (filters.length === 0) f.fail('http_filters', 'the router filter is required');
  return {
    statPrefix: f.req('stat_prefix').str(),
    routeConfig: readRouteConfig(f.req('route_config')),
    wasmFilters,
    generateRequestId: f.opt('generate_request_id')?.bool() ?? true,
    edge: {
      useRemoteAddress: f.opt('use_remote_address')?.bool() ?? false,
      xffNumTrustedHops: f.opt('xff_num_trusted_hops')?.uint(64) ?? 0,
      skipXffAppend: f.opt('skip_xff_append')?.bool() ?? false,
      preserveExternalRequestId: f.opt('preserve_external_request_id')?.bool() ?? false,
      internalCidrs: readInternalAddressConfig(f.opt('internal_address_config')),
    },
  };
}

/** internal_address_config: only cidr_ranges of {address_prefix, prefix_len} are implemented. */
function readInternalAddressConfig(v: Val | undefined): string[] {
  if (v === undefined) return [];
  const ranges = v.fields(['cidr_ranges']).opt('cidr_ranges')?.list() ?? [];
  return ranges.map((r) => {
    const c = r.fields(['address_prefix', 'prefix_len']);
    const prefix = c.req('address_prefix').str();
    if (isIP(prefix) === 0) c.fail('address_prefix', `not an IP address: ${prefix}`);
    return `${prefix}/${c.opt('prefix_len')?.uint(128) ?? (isIP(prefix) === 6 ? 128 : 32)}`;
  });
}

export function readWasmConfig(v: Val): WasmFilterConfig {
  const c = v
    .fields(['@type', 'config'])
    .req('config')
    .fields(['name', 'root_id', 'vm_config', 'configuration', 'fail_open', 'failure_policy']);
  const vm = c.req('vm_config').fields(['vm_id', 'runtime', 'code', 'configuration']);
  vm.opt('runtime')?.oneOf(['envoy.wasm.runtime.v8'] as const);
  const local = vm.req('code').fields(['local']).req('local').fields(['filename']);
  let failOpen = c.opt('fail_open')?.bool() ?? false;
  const policy = c.opt('failure_policy')?.oneOf(['UNSPECIFIED', 'FAIL_CLOSED', 'FAIL_OPEN'] as const);
  if (policy && policy !== 'UNSPECIFIED') failOpen = policy === 'FAIL_OPEN'; // wasm.proto: failure_policy wins over fail_open
  return {
    name: c.opt('name')?.str() ?? '',
    rootId: c.opt('root_id')?.str() ?? '',
    vmId: vm.opt('vm_id')?.str() ?? '',
    filename: local.req('filename').str(),
    configuration: c.opt('configuration') ? readAnyConfig(c.req('configuration')) : '',
    vmConfiguration: vm.opt('configuration') ? readAnyConfig(vm.req('configuration')) : '',
    failOpen,
    path: v.path,
  };
}

/** PluginConfig.configuration (Any): StringValue is handed over as raw bytes, Struct as JSON (wasm.proto). */
function readAnyConfig(v: Val): string {
  const f = v.fields(['@type', 'value']);
  const type = f.anyType([STRING_VALUE, STRUCT_VALUE]);
  if (type === STRING_VALUE) return f.opt('value')?.str() ?? '';
  const value = f.req('value');
  if (typeof value.value !== 'object' || value.value === null || Array.isArray(value.value))
    value.fail('expected an object (google.protobuf.Struct)');
  return JSON.stringify(value.value);
}

function readCluster(v: Val): ClusterConfig {
  const f = v.fields([
    'name',
    'type',
    'connect_timeout',
    'load_assignment',
    'typed_extension_protocol_options',
    'http2_protocol_options',
  ]);
  const name = f.req('name').str();
  const type = f.opt('type')?.oneOf(['STATIC', 'STRICT_DNS'] as const) ?? 'STATIC';
  const la = f.req('load_assignment').fields(['cluster_name', 'endpoints']);
  if (la.req('cluster_name').str() !== name) la.fail('cluster_name', `must equal the cluster name "${name}"`);
  const groups = la.req('endpoints').list();
  const lbs = groups.length === 1 ? groups[0].fields(['lb_endpoints']).req('lb_endpoints').list() : [];
  if (groups.length !== 1 || lbs.length !== 1)
    la.fail('endpoints', 'exactly one endpoint (one locality with one lb_endpoint) is implemented by the sandbox mesh');
  const sa = lbs[0]
    .fields(['endpoint'])
    .req('endpoint')
    .fields(['address'])
    .req('address')
    .fields(['socket_address'])
    .req('socket_address')
    .fields(['address', 'port_value']);
  const address = sa.req('address').str();
  if (type === 'STATIC' && !/^[\d.]+$|:/.test(address))
    sa.fail('address', `a STATIC cluster needs an IP address, got "${address}" (Envoy rejects it too)`);
  let http2 = false;
  if (f.has('http2_protocol_options')) {
    f.req('http2_protocol_options').fields([]);
    http2 = true;
  }
  const teo = f.opt('typed_extension_protocol_options')?.fields([HTTP_OPTIONS_KEY]);
  if (teo) {
    const hpo = teo.req(HTTP_OPTIONS_KEY).fields(['@type', 'explicit_http_config']);
    hpo.anyType([`${TYPE}${HTTP_OPTIONS_KEY}`]);
    const ehc = hpo.req('explicit_http_config').fields(['http_protocol_options', 'http2_protocol_options']);
    if (ehc.has('http2_protocol_options')) {
      ehc.req('http2_protocol_options').fields([]);
      http2 = true;
    } else ehc.req('http_protocol_options').fields([]);
  }
  return {
    name,
    type,
    connectTimeoutMs: f.opt('connect_timeout')?.durationMs() ?? 5000, // cluster.proto: connect_timeout default 5s
    endpoint: { address, port: sa.req('port_value').uint(65535) },
    http2,
    path: v.path,
  };
}

function checkClusterRefs(l: ListenerConfig, clusters: Map<string, ClusterConfig>): void {
  const rc = l.hcm.routeConfig;
  const check = (name: string, path: string, what: string): void => {
    // Envoy validates clusters of static route tables at load ("route: unknown cluster").
    if (!clusters.has(name)) throw new MeshConfigError(path, `unknown ${what} cluster "${name}"`);
  };
  for (const p of rc.mirrorPolicies ?? []) check(p.cluster, p.path, 'mirror');
  for (const vh of rc.virtualHosts) {
    for (const p of vh.mirrorPolicies ?? []) check(p.cluster, p.path, 'mirror');
    for (const r of vh.routes) {
      check(r.cluster, `${r.path}.route.cluster`, 'route');
      for (const p of r.mirrorPolicies ?? []) check(p.cluster, p.path, 'mirror');
    }
  }
}
