// A root context (one per plugin per VM; its id comes from the VM's counter, so it is 1 only for the
// VM's first plugin — cpp-host WasmBase::start/allocContextId): configuration buffers, the tick timer,
// the status reported by proxy_get_status, the shared-queue target, and every HTTP/gRPC callout —
// callouts belong to the root whatever context issued them (cpp-host exports.cc http_call:
// contextOrEffectiveContext()->root_context()), survive stream contexts, and are cancelled only when
// the root goes (Envoy context.cc Context::~Context cancels http_request_/grpc_call_request_ and
// resets grpc_stream_).

import { BufferType, HeaderMapType, StreamType, WasmResult } from './abi.js';
import type { CalloutRecord } from './callouts/record.js';
import { constBuffer, NULL_BUFFER, type FilterContext, type HostBuffer } from './context.js';
import type { HeaderMap } from './headers.js';
import { pluginProperty } from './properties.js';
import type { PluginCore } from './plugin-core.js';
import type { Vm } from './vm.js';

export interface ActiveCallout {
  record: CalloutRecord;
  cancel(): void;
  /** gRPC streams: send/half-close; unary calls and HTTP leave these undefined. */
  send?(message: Buffer, endStream: boolean): void;
  halfClose?(): void;
  localClosed?: boolean;
  remoteClosed?: boolean;
}

export class RootContext implements FilterContext {
  readonly id: number;
  readonly root = this;
  readonly accessLogPhase = false;
  readonly callouts = new Map<number, ActiveCallout>();
  status: { code: number; message: string } = { code: 0, message: '' };
  /** Set only while on_configure runs (Envoy temp_plugin_). */
  configuring = false;
  // Data visible only during the matching callback (stored on the root, Envoy context.cc getConstMap/getBuffer).
  httpCallResponse: { headers: HeaderMap; body: Buffer; trailers: HeaderMap } | undefined;
  grpcInitialMetadata: HeaderMap | undefined;
  grpcTrailingMetadata: HeaderMap | undefined;
  grpcReceiveBuffer: Buffer | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private tickPeriod = 0;
  deleted = false;
  /** Why this plugin cannot run in this VM although the VM itself is healthy (start/configure failed
   *  in a VM other plugins use: Envoy fails the plugin, not the thread-local VM). */
  failure: string | undefined;
  /** on_queue_ready for queues this root registered (cpp-host records the registrant's root context). */
  readonly queueTarget = (token: number): void => {
    if (!this.deleted && !this.vm.failed) this.vm.callback('proxy_on_queue_ready', this, this.id, token);
  };

  constructor(
    readonly vm: Vm,
    readonly plugin: PluginCore,
  ) {
    this.id = vm.register(this);
  }

  getMap(): HeaderMap | undefined {
    return undefined;
  }
  getConstMap(type: number): HeaderMap | undefined {
    switch (type) {
      case HeaderMapType.GrpcReceiveInitialMetadata:
        return this.grpcInitialMetadata;
      case HeaderMapType.GrpcReceiveTrailingMetadata:
        return this.grpcTrailingMetadata;
      case HeaderMapType.HttpCallResponseHeaders:
        return this.httpCallResponse?.headers;
      case HeaderMapType.HttpCallResponseTrailers:
        return this.httpCallResponse?.trailers;
      default:
        return undefined;
    }
  }
  onHeadersModified(): void {}

  getBuffer(type: number): HostBuffer | undefined {
    const b = rootBuffer(this, type);
    return b === null ? NULL_BUFFER : b;
  }

  // A root context has no decoder/encoder callbacks: Envoy answers Ok and does nothing.
  continueStream(type: number): number {
    return streamTypeResult(type);
  }
  closeStream(type: number): number {
    return type > StreamType.Upstream ? WasmResult.BadArgument : WasmResult.Ok;
  }
  sendLocalResponse(): void {}
  findProperty(name: string): unknown {
    return pluginProperty(this.plugin, name);
  }
  setProperty(): number {
    return WasmResult.NotFound;
  } // no stream info on a root context

  /** proxy_set_tick_period_milliseconds: re-armed after each tick on the worker's loop; 0 disables. */
  setTickPeriod(ms: number): void {
    this.tickPeriod = ms;
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickTimer = undefined;
    if (ms > 0 && !this.deleted) this.armTick();
  }
  private armTick(): void {
    this.tickTimer = setTimeout(() => {
      this.tickTimer = undefined;
      this.tick();
      if (this.tickPeriod > 0 && !this.deleted && !this.vm.failed) this.armTick();
    }, this.tickPeriod);
    this.tickTimer.unref();
  }
  tick(): void {
    if (!this.deleted && !this.vm.failed) this.vm.callback('proxy_on_tick', this, this.id);
  }

  /** Cancels every outstanding callout and stops the timer (Envoy ~Context); no callbacks follow. */
  teardown(state: 'cancelled' = 'cancelled'): void {
    this.deleted = true;
    this.vm.contexts.delete(this.id);
    this.setTickPeriod(0);
    for (const c of this.callouts.values()) {
      c.cancel();
      if (c.record.state === 'open' || c.record.state === 'half_closed') c.record.state = state;
    }
    this.callouts.clear();
  }
}

/** Buffers reached through the root from any context; null = not a root-held buffer type. */
export function rootBuffer(root: RootContext, type: number): HostBuffer | undefined | null {
  switch (type) {
    case BufferType.VmConfiguration:
      return constBuffer(root.vm.config.vmConfiguration);
    case BufferType.PluginConfiguration:
      return root.configuring ? constBuffer(root.plugin.configuration) : undefined;
    case BufferType.HttpCallResponseBody:
      return root.httpCallResponse ? constBuffer(root.httpCallResponse.body) : undefined;
    case BufferType.GrpcReceiveBuffer:
      return root.grpcReceiveBuffer ? constBuffer(root.grpcReceiveBuffer) : NULL_BUFFER;
    case BufferType.CallData:
      return NULL_BUFFER;
    default:
      return null;
  }
}

function streamTypeResult(type: number): number {
  if (type === StreamType.Upstream) return WasmResult.Unimplemented;
  return type > StreamType.Upstream ? WasmResult.BadArgument : WasmResult.Ok;
}
