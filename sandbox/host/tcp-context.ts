// The network-filter context as host functions see it (Envoy Context for a network filter,
// source/extensions/common/wasm/context.cc): the DownstreamData / UpstreamData buffers (type 2 / 3)
// readable and editable in their callback and while that direction is paused (Context::onData /
// onWrite keep the buffer pointer after StopIteration), close_stream of either type closing the
// downstream connection, continue_stream(DOWNSTREAM) resuming reads and continue_stream(UPSTREAM)
// UNIMPLEMENTED (Context::continueStream), and the properties a connection has — when it has them:
// source/destination and the TLS SNI from accept, cluster_name only after tcp_proxy picked the
// cluster, upstream.* only once the upstream connected (the reference's property table).

import { BufferType, StreamType, WasmResult } from './abi.js';
import { BodyBuffer, NULL_BUFFER, type FilterContext, type HostBuffer, type LocalReplyRequest } from './context.js';
import type { HeaderMap } from './headers.js';
import { mergeProps, pluginProperty, Uint64 } from './properties.js';
import { rootBuffer, type RootContext } from './root.js';
import type { TcpConnection } from './tcp-connection.js';
import type { Vm } from './vm.js';

let nextConnectionId = 1_000_000;

export class TcpContext implements FilterContext {
  readonly id: number;
  readonly accessLogPhase = false;
  readonly connectionId = nextConnectionId++;
  /** Client → server bytes not yet taken by tcp_proxy (kept while the filter pauses). */
  readonly down = new BodyBuffer();
  /** Server → client bytes of the current write (kept, not moved, when the filter stops). */
  readonly up = new BodyBuffer();
  /** Which buffer a callback may see: set for the callback, kept while paused (Envoy keeps the pointer). */
  downWindow = false;
  upWindow = false;

  constructor(
    private readonly c: TcpConnection,
    private readonly vm: Vm,
    readonly root: RootContext,
  ) {
    this.id = vm.register(this);
  }

  getMap(): HeaderMap | undefined {
    return undefined;
  }
  getConstMap(type: number): HeaderMap | undefined {
    return this.root.getConstMap(type);
  }
  onHeadersModified(): void {}

  getBuffer(type: number): HostBuffer | undefined {
    if (type === BufferType.DownstreamData) return this.downWindow ? this.down : NULL_BUFFER;
    if (type === BufferType.UpstreamData) return this.upWindow ? this.up : NULL_BUFFER;
    const b = rootBuffer(this.root, type);
    return b === null ? NULL_BUFFER : b;
  }

  continueStream(type: number): number {
    if (type === StreamType.Upstream) return WasmResult.Unimplemented;
    if (type === StreamType.Downstream) this.vm.defer(() => this.c.continueReading());
    return WasmResult.Ok;
  }

  /** Both types close the downstream connection, FlushWrite (Context::closeStream: read- or write-filter callbacks). */
  closeStream(type: number): number {
    if (type === StreamType.Downstream || type === StreamType.Upstream) {
      const details = type === StreamType.Downstream ? 'wasm_downstream_close' : 'wasm_upstream_close';
      this.vm.defer(() => this.c.close('local', details));
      this.c.closing = true;
    }
    return WasmResult.Ok;
  }

  sendLocalResponse(_reply: LocalReplyRequest): void {
    // HTTP-only in Envoy (needs decoder callbacks): nothing reaches a TCP client this way.
  }

  setProperty(path: string, value: Buffer): number {
    this.c.filterState.set(`wasm.${path}`, Buffer.from(value));
    return WasmResult.Ok;
  }

  findProperty(name: string): unknown {
    const value = mergeProps(this.computed(name), this.c.properties.get(name));
    if (value !== undefined) return value;
    const plugin = pluginProperty(this.root.plugin, name);
    if (plugin !== undefined) return plugin;
    return this.c.filterState.get(`wasm.${name}`);
  }

  private computed(name: string): unknown {
    const c = this.c;
    switch (name) {
      case 'source':
      case 'destination': {
        const address = name === 'source' ? c.sourceAddress : c.destinationAddress;
        const port = Number(address.slice(address.lastIndexOf(':') + 1));
        return { address, port: Number.isInteger(port) ? BigInt(port) : undefined };
      }
      case 'connection':
        return {
          id: new Uint64(BigInt(this.connectionId)),
          requested_server_name: c.sni,
          mtls: false,
        };
      case 'connection_id':
        return new Uint64(BigInt(this.connectionId));
      // Set by tcp_proxy's onNewConnection (it picks the cluster), which runs after this filter's.
      case 'cluster_name':
        return c.clusterPicked ? c.cluster : undefined;
      case 'upstream': {
        const a = c.upstreamAddress;
        if (a === undefined) return undefined;
        return { address: a, port: BigInt(Number(a.slice(a.lastIndexOf(':') + 1))) };
      }
      case 'filter_state':
        return new Map(c.filterState);
      default:
        return undefined;
    }
  }
}
