// Fixtures for the sandbox mesh tests: real node:http upstreams that record what reaches them, a raw
// HTTP/1.1 client (fetch forbids setting Host), mutated temp copies of envoy/envoy.yaml, and a small
// router-only bootstrap for behaviours that need no Wasm.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { parse, stringify } from 'yaml';
import { httpReceiver } from '../../fixtures/http-receiver.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const ENVOY_YAML = path.join(REPO, 'envoy/envoy.yaml');
export const WASM = path.join(REPO, 'build/shadowguard.wasm');

export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Upstream {
  port: number;
  addr: string;
  seen: Seen[];
  close(): Promise<void>;
  /** Resolves once `n` requests have fully arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
}

/** A recording upstream; `handler` answers (default 200 "<name>"). */
export async function upstream(
  name: string,
  handler?: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void,
): Promise<Upstream> {
  const seen: Seen[] = [];
  const { port, close } = await httpReceiver((req, res, body) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, body, at: Date.now() });
    if (handler) handler(req, res, body);
    else res.end(name);
  });
  return {
    port,
    addr: `127.0.0.1:${port}`,
    seen,
    close,
    async waitFor(n, timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      while (seen.length < n) {
        if (Date.now() > deadline) throw new Error(`${name}: ${seen.length} of ${n} requests arrived`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
  };
}

/** A loopback port nobody listens on (bound then released). */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  raw: string[];
  body: string;
  ms: number;
}

export function request(
  port: number,
  opts: { method?: string; path?: string; host?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'GET',
        path: opts.path ?? '/',
        agent: false,
        headers: { host: opts.host ?? 'shop:10000', ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            raw: res.rawHeaders,
            body: Buffer.concat(chunks).toString(),
            ms: Date.now() - t0,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const tmpDirs: string[] = [];
/** envoy/envoy.yaml parsed, changed by `mutate`, written to a temp file; returns its path. */
export function mutatedEnvoyYaml(mutate: (doc: any) => void): string {
  const doc = parse(fs.readFileSync(ENVOY_YAML, 'utf8'));
  mutate(doc);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-yaml-'));
  tmpDirs.push(dir);
  const file = path.join(dir, 'envoy.yaml');
  fs.writeFileSync(file, stringify(doc));
  return file;
}
export function removeTempYamls(): void {
  for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

export const listener = (d: any, name: string): any => d.static_resources.listeners.find((l: any) => l.name === name);
export const hcmOf = (d: any, name: string): any => listener(d, name).filter_chains[0].filters[0].typed_config;

/** A router-only bootstrap: listener "front" (port 20000) routing to clusters a/b (b over HTTP/2 with h2b) with the given mirror policies. */
export function routerOnlyYaml(
  o: { mirrors?: string; timeout?: string; extraRoutes?: string; internalOnly?: string; h2b?: boolean } = {},
): string {
  return `
static_resources:
  listeners:
  - name: front
    address: { socket_address: { address: 0.0.0.0, port_value: 20000 } }
    filter_chains:
    - filters:
      - name: hcm
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: front
          codec_type: AUTO
          route_config:
            name: r
            internal_only_headers: [${o.internalOnly ?? 'x-secret'}]
            virtual_hosts:
            - name: api
              domains: ["api", "api:20000"]
              routes:
              - match: { path: /exact }
                route: { cluster: b }
              - match:
                  prefix: /
                  headers:
                  - { name: x-to-b, string_match: { exact: "yes" } }
                route: { cluster: b }
${o.extraRoutes ?? ''}
              - match: { prefix: / }
                route:
                  cluster: a
                  timeout: ${o.timeout ?? '15s'}
${o.mirrors ? `                  request_mirror_policies:\n${o.mirrors}` : ''}
          http_filters:
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters:
  - name: a
    type: STRICT_DNS
    connect_timeout: 1s
    load_assignment:
      cluster_name: a
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: a, port_value: 80 } } } }] }]
  - name: b
    type: STRICT_DNS
    connect_timeout: 1s
${o.h2b ? '    http2_protocol_options: {}\n' : ''}    load_assignment:
      cluster_name: b
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: b, port_value: 80 } } } }] }]
  - name: m
    type: STRICT_DNS
    connect_timeout: 1s
    load_assignment:
      cluster_name: m
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: m, port_value: 80 } } } }] }]
`;
}
