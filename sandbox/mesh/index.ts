// sandbox/mesh — runs an Envoy bootstrap (envoy/envoy.yaml) on loopback with the sandbox proxy-wasm
// host: a test double for Envoy implementing exactly the subset the file uses, rejecting any other
// field by its path. Every listener binds 127.0.0.1 (ephemeral unless portMap says otherwise); every
// cluster endpoint is mapped to a loopback address through the options; the wasm filters run the
// built module in sandbox/host, one Plugin per filter configuration.
//
//   const mesh = await startMesh({
//     file: 'envoy/envoy.yaml',                       // or yaml: '…text…'
//     wasmPath: 'build/shadowguard.wasm',             // replaces every code.local.filename
//     hostMap: { 'live:8080': '127.0.0.1:41234' },    // endpoint "address:port" → loopback "host:port" (or a port)
//     clusterMap?: { shadowguard_control_plane: '127.0.0.1:50051' },  // by cluster name (wins over hostMap)
//     portMap?: { edge_ingress: 10000 } | { 10000: 10000 },           // listener (name or file port) → local port
//     workers?: 1,                                    // worker VMs per plugin
//     pluginConfig?: { 'shadowguard-edge': (cfg) => ({ ...cfg, sampling: { defaultPercent: 100 } }) },
//   });
//   mesh.listenerAddress('edge_ingress') → { host, port }    mesh.plugin('shadowguard-edge') → host Plugin
//   mesh.host (the Host)   mesh.unmappedClusters   await mesh.close()
//
// An endpoint on a loopback/any address whose port is one of the file's listener ports is a hop back
// into this mesh (cluster candidate → listener candidate_inbound) and needs no mapping. An endpoint
// left unmapped has no healthy host: the router answers 503 "no healthy upstream", callouts get the
// same from no-host.ts.

import { readFile } from 'node:fs/promises';
import { Host, type Plugin, type LogEntry } from '../host/index.js';
import { parseBootstrap, type Bootstrap, type ClusterConfig, type WasmFilterConfig } from './bootstrap.js';
import { HttpListener } from './hcm.js';
import { NoHealthyUpstream } from './no-host.js';
import { MeshConfigError } from './reader.js';
import type { RouterContext } from './router.js';
import { Upstreams, type UpstreamTarget } from './upstream.js';
import { TcpListener } from './tcp-listener.js';

export { MeshConfigError } from './reader.js';
export { parseBootstrap } from './bootstrap.js';

export interface MeshOptions {
  file?: string;
  yaml?: string;
  wasmPath?: string | Uint8Array;
  hostMap?: Record<string, string | number>;
  clusterMap?: Record<string, string | number>;
  portMap?: Record<string, number>;
  workers?: number;
  /** Rewrites a plugin's configuration (by PluginConfig.name): gets the file's JSON parsed (the raw string if
   *  it is not JSON), returns a string or an object (→ JSON). */
  pluginConfig?: Record<string, (config: any) => unknown>;
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'critical';
  onLog?: (entry: LogEntry & { plugin: string }) => void;
  /** Observes every mirrored copy the routers send (cluster, headers as sent). */
  onShadow?: RouterContext['onShadow'];
}

export interface Mesh {
  readonly bootstrap: Bootstrap;
  readonly host: Host;
  readonly unmappedClusters: string[];
  listenerAddress(name: string): { host: string; port: number };
  plugin(name: string): Plugin;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '0.0.0.0', 'localhost', '::1', '::']);

export async function startMesh(opts: MeshOptions): Promise<Mesh> {
  const text = opts.yaml ?? (opts.file ? await readFile(opts.file, 'utf8') : undefined);
  if (text === undefined) throw new Error('startMesh: give file or yaml');
  const bootstrap = parseBootstrap(text);
  const workers = opts.workers ?? 1;
  const wasm =
    typeof opts.wasmPath === 'string' || opts.wasmPath === undefined
      ? await readFile(opts.wasmPath ?? 'build/shadowguard.wasm')
      : opts.wasmPath;

  const noHost = new NoHealthyUpstream();
  const upstreams = new Upstreams();
  const listeners = new Map<string, HttpListener>();
  const bound = new Map<string, { host: string; port: number }>();
  const plugins = new Map<string, Plugin>();
  let host: Host | undefined;
  const tcpListeners = new Map<string, TcpListener>();
  const close = async (): Promise<void> => {
    await Promise.all([...listeners.values(), ...tcpListeners.values()].map((l) => l.close()));
    upstreams.close();
    await host?.close();
    await noHost.close();
  };

  try {
    await noHost.start();
    const targets = new Map<string, UpstreamTarget>();
    const listenerPortByFilePort = new Map<number, string>();
    for (const l of [...bootstrap.listeners, ...bootstrap.tcpListeners]) listenerPortByFilePort.set(l.port, l.name);

    const deps = new Map<string, { plugins: Plugin[] }>();
    for (const l of bootstrap.listeners) {
      const d = { plugins: [] as Plugin[] };
      deps.set(l.name, d);
      const xds: Record<string, unknown> = { 'xds.node': bootstrap.node };
      if (l.direction) xds['xds.listener_direction'] = l.direction;
      const listener = new HttpListener(l, {
        plugins: d.plugins,
        xds,
        upstreams,
        workers,
        onShadow: opts.onShadow,
        resolve: (cluster) => targets.get(cluster),
      });
      listeners.set(l.name, listener);
      const port = opts.portMap?.[l.name] ?? opts.portMap?.[String(l.port)] ?? 0;
      const addr = await listener.listen(port);
      bound.set(l.name, { host: '127.0.0.1', port: addr.port });
    }

    for (const l of bootstrap.tcpListeners) {
      const listener = new TcpListener(l, (cluster) => targets.get(cluster)?.endpoint);
      tcpListeners.set(l.name, listener);
      const port = opts.portMap?.[l.name] ?? opts.portMap?.[String(l.port)] ?? 0;
      const addr = await listener.listen(port);
      bound.set(l.name, { host: '127.0.0.1', port: addr.port });
    }

    const unmapped: string[] = [];
    for (const c of bootstrap.clusters.values()) {
      const ep = resolveEndpoint(c, opts, bound, listenerPortByFilePort);
      if (ep) targets.set(c.name, { name: c.name, endpoint: ep, http2: c.http2, connectTimeoutMs: c.connectTimeoutMs });
      else unmapped.push(c.name);
    }
    // The callout cluster table gets every cluster of the file, so a filter's gRPC stream to the
    // control plane cluster goes over HTTP/2 exactly where the file says.
    const clusters: Record<string, { host: string; port: number; http2: boolean }> = {};
    for (const c of bootstrap.clusters.values()) {
      const t = targets.get(c.name);
      clusters[c.name] = t
        ? { ...t.endpoint, http2: c.http2 }
        : { host: '127.0.0.1', port: c.http2 ? noHost.h2Port : noHost.h1Port, http2: c.http2 };
    }
    host = new Host({ clusters, logLevel: opts.logLevel, onLog: opts.onLog });

    for (const l of bootstrap.listeners) {
      for (const f of l.hcm.wasmFilters) {
        const plugin = await loadPlugin(host, f, wasm, opts, bootstrap, l.direction, workers);
        deps.get(l.name)!.plugins.push(plugin);
        if (!plugins.has(f.name)) plugins.set(f.name, plugin);
      }
    }
    for (const l of tcpListeners.values()) {
      const f = l.config.wasmFilter;
      if (!f) continue;
      const plugin = await loadPlugin(host, f, wasm, opts, bootstrap, l.config.direction, workers);
      l.plugin = plugin;
      if (!plugins.has(f.name)) plugins.set(f.name, plugin);
    }
    for (const l of listeners.values()) l.ready = true;

    return {
      bootstrap,
      host,
      unmappedClusters: unmapped,
      listenerAddress(name) {
        const a = bound.get(name);
        if (!a) throw new Error(`no listener named ${name} (have: ${[...bound.keys()].join(', ')})`);
        return a;
      },
      plugin(name) {
        const p = plugins.get(name);
        if (!p) throw new Error(`no wasm filter named ${name} (have: ${[...plugins.keys()].join(', ')})`);
        return p;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

async function loadPlugin(
  host: Host,
  f: WasmFilterConfig,
  wasm: Uint8Array,
  opts: MeshOptions,
  b: Bootstrap,
  direction: 1 | 2 | undefined,
  workers: number,
): Promise<Plugin> {
  let configuration: string = f.configuration;
  const override = opts.pluginConfig?.[f.name];
  if (override) {
    let parsed: unknown = configuration;
    try {
      parsed = JSON.parse(configuration);
    } catch {
      /* hand the raw string over */
    }
    const out = override(parsed);
    configuration = typeof out === 'string' ? out : JSON.stringify(out);
  }
  const properties: Record<string, unknown> = { 'xds.node': b.node };
  if (direction) properties['xds.listener_direction'] = direction;
  try {
    return await host.loadPlugin({
      wasm,
      configuration,
      vmConfiguration: f.vmConfiguration,
      name: f.name,
      rootId: f.rootId,
      vmId: f.vmId,
      failOpen: f.failOpen,
      workers,
      properties,
    });
  } catch (err) {
    // Envoy refuses to start when a static plugin's configuration is rejected.
    throw new MeshConfigError(f.path, `wasm plugin "${f.name}" failed to load: ${(err as Error).message}`);
  }
}

function resolveEndpoint(
  c: ClusterConfig,
  opts: MeshOptions,
  bound: Map<string, { host: string; port: number }>,
  listenerByPort: Map<number, string>,
): { host: string; port: number } | undefined {
  const mapped = opts.clusterMap?.[c.name] ?? opts.hostMap?.[`${c.endpoint.address}:${c.endpoint.port}`];
  if (mapped !== undefined) return parseHostPort(mapped, c.name);
  const listener = listenerByPort.get(c.endpoint.port);
  if (listener && LOOPBACK.has(c.endpoint.address)) return bound.get(listener);
  return undefined;
}

function parseHostPort(v: string | number, cluster: string): { host: string; port: number } {
  if (typeof v === 'number') return { host: '127.0.0.1', port: v };
  const i = v.lastIndexOf(':');
  const port = Number(v.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port <= 0 || port > 65535)
    throw new Error(`cluster ${cluster}: mapping "${v}" is not host:port`);
  return { host: v.slice(0, i), port };
}
