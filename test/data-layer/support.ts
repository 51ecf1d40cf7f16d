// Shared setup of the data-layer tests: a sandbox mesh whose TCP listeners put the shadow's
// network filter (envoy.filters.network.wasm) before tcp_proxy to real PostgreSQL / Redis servers,
// the shadow configuration with connection rules, and a TCP server that counts who reaches it.
import net from 'node:net';
import { startMesh, type Mesh } from '../../sandbox/mesh/index.js';

export const WASM = 'build/shadowguard.wasm';

export const guardRules = [
  { name: 'orders-db', host: 'orders_db', action: 'readonly', protocol: 'postgres' },
  { name: 'jobs-cache', host: 'jobs_redis', action: 'readonly', protocol: 'redis' },
  { name: 'stripe', sni: 'api.stripe.com', action: 'allow' },
];

export function shadowConfig(connections: unknown = { rules: guardRules }, extra: Record<string, unknown> = {}) {
  return { role: 'shadow', variant: 'candidate', service: 'orders', connections, ...extra };
}

const wasmFilter = (config: unknown) => `
        - name: envoy.filters.network.wasm
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm
            config:
              name: shadowguard-tcp
              root_id: shadowguard
              vm_config:
                vm_id: shadowguard
                runtime: envoy.wasm.runtime.v8
                code: { local: { filename: /etc/envoy/shadowguard.wasm } }
              configuration:
                "@type": type.googleapis.com/google.protobuf.StringValue
                value: '${JSON.stringify(config)}'`;

const listener = (name: string, port: number, cluster: string, config: unknown, tls = false) => `
  - name: ${name}
    address: { socket_address: { address: 0.0.0.0, port_value: ${port} } }
    traffic_direction: OUTBOUND${tls ? '\n    listener_filters:\n    - name: envoy.filters.listener.tls_inspector\n      typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector }' : ''}
    filter_chains:
    - filters:${config === null ? '' : wasmFilter(config)}
        - name: envoy.filters.network.tcp_proxy
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
            stat_prefix: ${name}
            cluster: ${cluster}`;

const cluster = (name: string, port: number, h2 = false) => `
  - name: ${name}
    type: STATIC
    connect_timeout: 1s${h2 ? '\n    http2_protocol_options: {}' : ''}
    load_assignment:
      cluster_name: ${name}
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 10.0.0.1, port_value: ${port} } } } }] }]`;

/** A mesh with shadow TCP listeners pg/redis/tls (guarded by `config`) and live ones (no filter). */
export async function guardMesh(opts: {
  pgPort: number;
  redisPort: number;
  tlsPort?: number;
  config?: unknown;
  controlPlane?: number;
}): Promise<Mesh> {
  const config = opts.config ?? shadowConfig();
  const yaml = `
node: { id: orders-v2-shadow, cluster: orders }
static_resources:
  listeners:${listener('shadow_pg', 15432, 'orders_db', config)}${listener('shadow_redis', 16379, 'jobs_redis', config)}${listener('shadow_tls', 10443, 'payments_tls', config, true)}${listener('live_pg', 25432, 'orders_db', null)}${listener('live_redis', 26379, 'jobs_redis', null)}
  clusters:${cluster('orders_db', 5432)}${cluster('jobs_redis', 6379)}${cluster('payments_tls', 443)}${cluster('shadowguard_control_plane', 18000, true)}
`;
  return startMesh({
    yaml,
    wasmPath: WASM,
    clusterMap: {
      orders_db: opts.pgPort,
      jobs_redis: opts.redisPort,
      payments_tls: opts.tlsPort ?? opts.redisPort,
      ...(opts.controlPlane ? { shadowguard_control_plane: opts.controlPlane } : {}),
    },
  });
}

export interface CountingServer {
  port: number;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** A TCP server on loopback that counts each connection and drops it at once: it stands in for a
 *  destination (a payment API) whose only question is whether anything got through. */
export async function countingServer(): Promise<CountingServer> {
  let connections = 0;
  const server = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
