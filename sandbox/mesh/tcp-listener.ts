// TCP listeners of the sandbox mesh: a filter chain of at most one `envoy.filters.network.wasm`
// (the shadow's data-layer guard) followed by `envoy.filters.network.tcp_proxy`, optionally behind
// a `envoy.filters.listener.tls_inspector` listener filter that reads the SNI of a TLS ClientHello
// (connection.requested_server_name) before the chain runs, as Envoy's does. Real sockets on
// loopback; each accepted socket drives one sandbox/host TcpConnection (Envoy's network filter
// manager semantics live there), and tcp_proxy dials the cluster when the connection asks.

import net from 'node:net';
import type { Plugin } from '../host/index.js';
import { readWasmConfig, type WasmFilterConfig } from './bootstrap.js';
import { type ListenerHead, readListenerHead, readOneChain } from './listener-parts.js';
import type { Val } from './reader.js';

import { TYPE } from './reader.js';
const NET_WASM_TYPE = `${TYPE}envoy.extensions.filters.network.wasm.v3.Wasm`;
const TCP_PROXY_TYPE = `${TYPE}envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`;
const TLS_INSPECTOR_TYPE = `${TYPE}envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector`;

export interface TcpListenerConfig extends ListenerHead {
  tlsInspector: boolean;
  wasmFilter: WasmFilterConfig | undefined;
  statPrefix: string;
  cluster: string;
  path: string;
}

/** A listener is a TCP listener when its chain ends in tcp_proxy. */
export function isTcpListener(v: Val): boolean {
  const chains = (v.value as { filter_chains?: Array<{ filters?: Array<{ name?: string }> }> }).filter_chains;
  const filters = chains?.[0]?.filters ?? [];
  return filters.length > 0 && filters[filters.length - 1]?.name === 'envoy.filters.network.tcp_proxy';
}

export function readTcpListener(v: Val): TcpListenerConfig {
  const f = v.fields(['name', 'address', 'filter_chains', 'traffic_direction', 'listener_filters']);
  const head = readListenerHead(f);
  let tlsInspector = false;
  for (const lf of f.opt('listener_filters')?.list() ?? []) {
    const ff = lf.fields(['name', 'typed_config']);
    ff.req('name').str();
    ff.req('typed_config').fields(['@type']).anyType([TLS_INSPECTOR_TYPE]);
    tlsInspector = true;
  }
  const { chain, filters } = readOneChain(f);
  if (filters.length > 2)
    chain.fail('at most one network wasm filter before tcp_proxy is implemented by the sandbox mesh');
  let wasmFilter: WasmFilterConfig | undefined;
  if (filters.length === 2) {
    const wf = filters[0].fields(['name', 'typed_config']);
    wf.req('name').str();
    const tc = wf.req('typed_config');
    tc.fields(['@type', 'config']).anyType([NET_WASM_TYPE]);
    wasmFilter = readWasmConfig(tc);
  }
  const pf = filters[filters.length - 1].fields(['name', 'typed_config']);
  const tp = pf.req('typed_config').fields(['@type', 'stat_prefix', 'cluster']);
  tp.anyType([TCP_PROXY_TYPE]);
  return {
    ...head,
    tlsInspector,
    wasmFilter,
    statPrefix: tp.req('stat_prefix').str(),
    cluster: tp.req('cluster').str(),
    path: v.path,
  };
}

export class TcpListener {
  plugin: Plugin | undefined;
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    readonly config: TcpListenerConfig,
    private readonly resolve: (cluster: string) => { host: string; port: number } | undefined,
  ) {}

  async listen(port: number): Promise<net.AddressInfo> {
    const server = net.createServer((s) => this.accept(s));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return server.address() as net.AddressInfo;
  }

  private accept(client: net.Socket): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    // The plugin is not loaded yet: no connection may bypass the guard.
    if (this.config.wasmFilter && !this.plugin) return void client.destroy();
    if (!this.config.tlsInspector) return this.run(client, undefined, []);
    // tls_inspector: read the first bytes before the chain; a ClientHello gives the SNI.
    const first: Buffer[] = [];
    const onData = (d: Buffer) => {
      first.push(d);
      const all = Buffer.concat(first);
      const sni = parseSni(all);
      if (sni === 'more' && all.length < 16384) return;
      client.off('data', onData);
      client.pause();
      this.run(client, typeof sni === 'string' && sni !== 'more' ? sni : undefined, [all]);
    };
    client.on('data', onData);
  }

  private run(client: net.Socket, sni: string | undefined, early: Buffer[]): void {
    // What Envoy reports as destination.address: the listener's own address (here the file's, as the
    // app dialled it; the mesh binds an ephemeral port), or the original destination behind iptables.
    const host = this.config.address === '0.0.0.0' || this.config.address === '::' ? '127.0.0.1' : this.config.address;
    const local = `${host}:${this.config.port}`;
    const conn = this.plugin
      ? this.plugin.newConnection({
          source: `${client.remoteAddress}:${client.remotePort}`,
          destination: local,
          sni,
          cluster: this.config.cluster,
        })
      : undefined;
    let upstream: net.Socket | undefined;
    const pendingUp: Buffer[] = [];
    const toUpstream = (b: Buffer) => (upstream?.writable ? upstream.write(b) : pendingUp.push(b));
    const dial = () => {
      const target = this.resolve(this.config.cluster);
      if (!target) return conn ? conn.close('local', 'no_healthy_upstream') : client.destroy();
      const u = net.connect(target.port, target.host);
      upstream = u;
      this.sockets.add(u);
      u.on('close', () => {
        this.sockets.delete(u);
        client.end();
      });
      u.on('error', () => client.destroy());
      u.on('connect', () => {
        for (const b of pendingUp.splice(0)) u.write(b);
        conn?.upstreamConnected(`${target.host}:${target.port}`);
        client.resume();
      });
      u.on('data', (d) => (conn ? conn.receiveUpstream(d) : client.write(d)));
      u.on('end', () => conn?.receiveUpstream(Buffer.alloc(0), true));
    };
    if (!conn) {
      dial();
      client.on('data', (d) => toUpstream(d));
      for (const b of early) toUpstream(b);
      client.on('close', () => upstream?.destroy());
      client.resume();
      return;
    }
    conn.on('connect', () => {
      client.pause(); // tcp_proxy disables reads while it connects
      dial();
    });
    conn.on('upstream', (b: Buffer) => toUpstream(b));
    conn.on('downstream', (b: Buffer) => client.write(b));
    conn.on('close', () => {
      client.end(); // FlushWrite: what was written goes out, then FIN
      upstream?.destroy();
    });
    client.on('data', (d) => conn.receiveDownstream(d));
    client.on('end', () => conn.receiveDownstream(Buffer.alloc(0), true));
    client.on('close', () => {
      conn.close('remote');
      upstream?.destroy();
    });
    conn.start();
    for (const b of early) conn.receiveDownstream(b);
    if (!conn.closed) client.resume();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** SNI of a TLS ClientHello (RFC 8446 §4.1.2, RFC 6066 §3): the name, undefined when not TLS or no
 *  SNI, 'more' when the record is incomplete. */
export function parseSni(b: Buffer): string | undefined | 'more' {
  if (b.length < 1) return 'more';
  if (b[0] !== 0x16) return undefined;
  if (b.length < 5) return 'more';
  const recLen = b.readUInt16BE(3);
  if (b.length < 5 + recLen) return 'more';
  let p = 5;
  if (b[p] !== 0x01) return undefined; // not a ClientHello
  p += 4 + 2 + 32; // handshake header, legacy_version, random
  if (p >= b.length) return undefined;
  p += 1 + b[p]; // session id
  if (p + 2 > b.length) return undefined;
  p += 2 + b.readUInt16BE(p); // cipher suites
  if (p >= b.length) return undefined;
  p += 1 + b[p]; // compression methods
  if (p + 2 > b.length) return undefined;
  const extEnd = p + 2 + b.readUInt16BE(p);
  p += 2;
  while (p + 4 <= extEnd && p + 4 <= b.length) {
    const type = b.readUInt16BE(p);
    const len = b.readUInt16BE(p + 2);
    p += 4;
    if (type === 0 && p + 5 <= b.length) {
      const nameLen = b.readUInt16BE(p + 3);
      if (b[p + 2] === 0 && p + 5 + nameLen <= b.length)
        return b.toString('ascii', p + 5, p + 5 + nameLen).toLowerCase();
      return undefined;
    }
    p += len;
  }
  return undefined;
}
