// A TCP connection through the filter, driven like Envoy's network filter manager drives one
// network filter in front of tcp_proxy (envoy source/common/network/filter_manager_impl.cc and
// source/extensions/common/wasm/context.cc, summarized in the data-layer reference):
// - start(): on_context_create → on_new_connection. Continue ⇒ tcp_proxy's onNewConnection runs at once:
//   it picks the cluster (cluster_name appears) and connects upstream ('connect' event) before the
//   filter saw a byte; reads stay disabled until the upstream connected. StopIteration ⇒ tcp_proxy
//   is not initialized until the filter continues.
// - client bytes: proxy_on_downstream_data(size = everything buffered). Continue ⇒ tcp_proxy drains the
//   whole buffer ('upstream' event); StopIteration ⇒ the bytes stay and are shown again, with the
//   next read appended (a larger data_size).
// - server bytes: proxy_on_upstream_data (Envoy's write path, Context::onWrite). Continue ⇒ written to
//   the client ('downstream' event); StopIteration ⇒ the chunk stays in the source buffer and is shown
//   again only when more upstream bytes arrive (no continue on the write path). end_stream ⇒
//   proxy_on_upstream_connection_close(UNKNOWN).
// - close_stream (either type) closes the downstream connection after the VM call; the downstream
//   close runs proxy_on_downstream_connection_close(LOCAL|REMOTE) → on_done → on_log → on_delete
//   (Context::onDownstreamConnectionClose → onCloseTCP); tcp_proxy then drops the upstream.
// - a failed VM: fail-open ⇒ the filter is not in the chain; fail-closed ⇒ the connection is closed.

import { EventEmitter } from 'node:events';
import type { PluginCore } from './plugin-core.js';
import { propertyTree } from './properties.js';
import type { RootContext } from './root.js';
import { FilterState } from './stream-context.js';
import { TcpContext } from './tcp-context.js';
import type { Vm } from './vm.js';

export interface TcpConnectionOptions {
  worker?: number;
  /** The app's socket, e.g. '10.0.0.5:41000'. */
  source?: string;
  /** The original destination the app dialled, e.g. '10.0.0.9:5432'. */
  destination?: string;
  /** TLS SNI parsed by a tls_inspector listener filter (absent: no inspector or not TLS). */
  sni?: string;
  /** The tcp_proxy cluster (visible as cluster_name once tcp_proxy picked it). */
  cluster?: string;
  properties?: Record<string, unknown>;
  /** Keep every forwarded chunk in toUpstream / toClient (default true; benchmarks turn it off). */
  record?: boolean;
}

const PEER_LOCAL = 1;
const PEER_REMOTE = 2;
const PEER_UNKNOWN = 0;

export class TcpConnection extends EventEmitter {
  readonly filterState = new FilterState();
  readonly properties: Map<string, unknown>;
  readonly sourceAddress: string;
  readonly destinationAddress: string;
  readonly sni: string | undefined;
  readonly cluster: string | undefined;
  clusterPicked = false;
  upstreamAddress: string | undefined;
  /** A close was requested from inside the current VM call (stops the chain like a closed connection). */
  closing = false;
  closed = false;
  closeDetails: string | undefined;
  readonly bypassed: boolean;
  /** Bytes forwarded to the upstream / written to the client, for tests. */
  readonly toUpstream: Buffer[] = [];
  readonly toClient: Buffer[] = [];
  private readonly ctx: TcpContext | undefined;
  private connectRequested = false;
  private connected = false;
  private downEnd = false;
  private readonly record: boolean;

  constructor(
    readonly vm: Vm,
    private readonly root: RootContext,
    readonly plugin: PluginCore,
    opts: TcpConnectionOptions = {},
  ) {
    super();
    this.properties = propertyTree(opts.properties);
    this.sourceAddress = opts.source ?? '127.0.0.1:50000';
    this.destinationAddress = opts.destination ?? '127.0.0.1:10000';
    this.sni = opts.sni;
    this.cluster = opts.cluster;
    this.record = opts.record ?? true;
    this.bypassed = this.broken && plugin.failOpen;
    if (!this.bypassed) this.ctx = new TcpContext(this, vm, root);
  }

  get id(): number {
    return this.ctx?.id ?? 0;
  }
  private get broken(): boolean {
    return this.vm.failed || this.root.failure !== undefined;
  }

  /** Accept: on_new_connection, then tcp_proxy connects unless the filter stopped. */
  start(): 'continue' | 'stop' {
    const ctx = this.ctx;
    if (!ctx) return this.connect();
    if (this.guardFailed()) return 'stop';
    this.vm.callback('proxy_on_context_create', ctx, ctx.id, this.root.id);
    const r = this.vm.callback('proxy_on_new_connection', ctx, ctx.id);
    if (this.guardFailed() || this.closing || this.closed) return 'stop';
    if ((r.result ?? 0) !== 0) return 'stop';
    return this.connect();
  }

  /** The upstream connection tcp_proxy asked for ('connect') is up: reads resume. */
  upstreamConnected(address: string): void {
    if (this.closed) return;
    this.connected = true;
    this.upstreamAddress = address;
    if (!this.ctx) return this.flushDown();
    if (this.ctx.down.size() > 0 || this.downEnd) this.runDown();
  }

  /** Bytes from the client. */
  receiveDownstream(data: Uint8Array, endOfStream = false): void {
    if (this.closed) return;
    this.downEnd ||= endOfStream;
    if (!this.ctx) {
      this.toUpstreamBuf = Buffer.concat([this.toUpstreamBuf, data]);
      if (this.connected) this.flushDown();
      return;
    }
    this.ctx.down.append(data);
    // tcp_proxy disables reads while it connects (Filter::onUpstreamConnection re-enables them).
    if (this.connectRequested && !this.connected) return;
    this.runDown();
  }
  private toUpstreamBuf: Buffer = Buffer.alloc(0);
  private flushDown(): void {
    if (this.toUpstreamBuf.length === 0) return;
    const b = this.toUpstreamBuf;
    this.toUpstreamBuf = Buffer.alloc(0);
    if (this.record) this.toUpstream.push(b);
    this.emit('upstream', b);
  }

  /** Bytes from the server, on their way to the client. */
  receiveUpstream(data: Uint8Array, endOfStream = false): void {
    if (this.closed) return;
    const ctx = this.ctx;
    if (!ctx) return this.deliver(Buffer.from(data));
    ctx.up.append(data);
    ctx.upWindow = true;
    const r = this.vm.callback('proxy_on_upstream_data', ctx, ctx.id, ctx.up.size(), endOfStream ? 1 : 0);
    if (this.guardFailed() || this.closing || this.closed) {
      ctx.up.take();
      return;
    }
    if ((r.result ?? 0) === 0) {
      ctx.upWindow = false;
      const out = ctx.up.take();
      if (out.length > 0) this.deliver(out);
    }
    if (endOfStream) this.vm.callback('proxy_on_upstream_connection_close', ctx, ctx.id, PEER_UNKNOWN);
  }

  /** The filter resumed reading (continue_stream(DOWNSTREAM), deferred). */
  continueReading(): void {
    if (this.closed) return;
    if (!this.connectRequested) {
      this.connect();
      return;
    }
    if (this.connected) this.forwardDown();
  }

  /** The downstream connection closes: 'remote' = the client, 'local' = the proxy (close_stream). */
  close(peer: 'local' | 'remote', details = peer === 'remote' ? 'downstream_remote_close' : 'local_close'): void {
    if (this.closed) return;
    this.closed = true;
    this.closeDetails = details;
    this.emit('close', details);
    const ctx = this.ctx;
    if (!ctx) return;
    if (!this.broken) {
      this.vm.callback(
        'proxy_on_downstream_connection_close',
        ctx,
        ctx.id,
        peer === 'local' ? PEER_LOCAL : PEER_REMOTE,
      );
      this.vm.callback('proxy_on_done', ctx, ctx.id);
      this.vm.callback('proxy_on_log', ctx, ctx.id);
      this.vm.callback('proxy_on_delete', ctx, ctx.id);
    }
    this.vm.contexts.delete(ctx.id);
  }

  // ---- mechanics ----
  /** tcp_proxy's onNewConnection: pick the cluster, connect upstream (the driver dials on 'connect'). */
  private connect(): 'continue' {
    if (!this.connectRequested) {
      this.connectRequested = true;
      this.clusterPicked = this.cluster !== undefined;
      this.emit('connect', this.cluster);
    }
    return 'continue';
  }

  private runDown(): void {
    const ctx = this.ctx!;
    ctx.downWindow = true;
    const r = this.vm.callback('proxy_on_downstream_data', ctx, ctx.id, ctx.down.size(), this.downEnd ? 1 : 0);
    if (this.guardFailed() || this.closing || this.closed) {
      ctx.down.take(); // a closed connection stops the chain: nothing reaches tcp_proxy
      return;
    }
    if ((r.result ?? 0) !== 0) return; // paused: the bytes stay, shown again with the next read
    ctx.downWindow = false;
    if (!this.connectRequested) this.connect();
    if (this.connected) this.forwardDown();
  }

  private forwardDown(): void {
    const out = this.ctx!.down.take();
    if (out.length === 0) return;
    if (this.record) this.toUpstream.push(out);
    this.emit('upstream', out);
  }

  private deliver(b: Buffer): void {
    if (this.record) this.toClient.push(b);
    this.emit('downstream', b);
  }

  /** cpp-host CHECK_FAIL: fail-closed ⇒ close the connection; fail-open ⇒ continue. */
  private guardFailed(): boolean {
    if (!this.broken) return false;
    if (this.plugin.failOpen) return false;
    this.close('local', 'wasm_fail_stream');
    return true;
  }
}
