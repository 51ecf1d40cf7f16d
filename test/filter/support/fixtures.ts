// Builders for filter tests: configurations per role, a host with the control-plane cluster, and
// request header lists. Tests drive build/shadowguard.wasm (npm run build:wasm) through sandbox/host.
import { Host, type Plugin, type PluginOptions } from '../../../sandbox/host/index.js';
import { FilterMessageType } from './control-plane.js';

export const WASM = 'build/shadowguard.wasm';
export const CP_CLUSTER = 'shadowguard_control_plane';
export const INBOUND = 1;
export const OUTBOUND = 2;

export type Headers = Array<[string, string]>;

export function edgeConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { role: 'edge', service: 'shop', sampling: { defaultPercent: 100 }, ...extra };
}

export function shadowConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { role: 'shadow', variant: 'candidate', service: 'shop', ...extra };
}

export function liveConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { role: 'live', service: 'shop', ...extra };
}

/** The controlPlane section; the port lives in the host cluster table (hostWith), named by CP_CLUSTER. */
export function cp(_port: number | undefined, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { controlPlane: { cluster: CP_CLUSTER, ...extra } };
}

export function request(method: string, path: string, extra: Headers = [], authority = 'shop.example'): Headers {
  return [[':method', method], [':path', path], [':authority', authority], [':scheme', 'http'], ...extra];
}

/** A host whose cluster table has the control plane at `port` (HTTP/2). */
export function hostWith(port?: number): Host {
  return new Host({ clusters: port ? { [CP_CLUSTER]: { host: '127.0.0.1', port, http2: true } } : {} });
}

export async function load(host: Host, configuration: unknown, opts: Partial<PluginOptions> = {}): Promise<Plugin> {
  return host.loadPlugin({ wasm: WASM, configuration: configuration as object, ...opts });
}

/** FilterMessages the filter sent on its control-plane stream(s), decoded with protobufjs. */
export function sentMessages(plugin: Plugin): Array<Record<string, any>> {
  const out: Array<Record<string, any>> = [];
  for (const c of plugin.callouts()) {
    if (c.kind !== 'grpc_stream') continue;
    for (const m of c.messages) {
      out.push(
        FilterMessageType.toObject(FilterMessageType.decode(m), {
          longs: Number,
          enums: String,
          bytes: Buffer,
          defaults: false,
        }),
      );
    }
  }
  return out;
}

export function header(list: Headers, name: string): string | undefined {
  return list.find(([k]) => k === name)?.[1];
}

/** Seeded PRNG (mulberry32) for fuzzing: the fixtures' one generator. */
export { rng as prng } from '../../fixtures/halves.js';
