// The stream context as host functions see it (Envoy Context for an HTTP filter): maps and bodies
// only inside their windows (getMap/getConstMap/getBuffer), the access-log view in on_log, deferred
// continue/close/local reply, filter state, and the stream's properties (request.*, response.*,
// source.*, destination.*, connection.*, filter_state, then plugin-wide ones, then `wasm.<name>`).

import { BufferType, HeaderMapType, StreamType, WasmResult } from './abi.js';
import { NULL_BUFFER, type FilterContext, type HostBuffer, type LocalReplyRequest } from './context.js';
import type { Direction } from './direction.js';
import { HeaderMap } from './headers.js';
import { mergeProps, pluginProperty, Timestamp, Uint64 } from './properties.js';
import type { RootContext } from './root.js';
import { rootBuffer } from './root.js';
import type { HttpStream } from './stream.js';
import type { Vm } from './vm.js';

/** Filter state set through proxy_set_property, keyed as Envoy keys it (`wasm.<path>`); `get`/`has`
 *  also accept the bare path the module used. */
export class FilterState extends Map<string, Buffer> {
  override get(key: string): Buffer | undefined {
    return super.get(key) ?? super.get(`wasm.${key}`);
  }
  override has(key: string): boolean {
    return super.has(key) || super.has(`wasm.${key}`);
  }
}

let nextConnectionId = 1;

export class StreamContext implements FilterContext {
  readonly id: number;
  accessLogPhase = false;
  private readonly connectionId = nextConnectionId++;

  constructor(
    private readonly s: HttpStream,
    private readonly vm: Vm,
    readonly root: RootContext,
  ) {
    this.id = vm.register(this);
  }

  private dir(type: number): Direction | undefined {
    if (type === HeaderMapType.RequestHeaders || type === HeaderMapType.RequestTrailers) return this.s.req;
    if (type === HeaderMapType.ResponseHeaders || type === HeaderMapType.ResponseTrailers) return this.s.res;
    return undefined;
  }

  getMap(type: number): HeaderMap | undefined {
    const d = this.dir(type);
    if (!d || this.accessLogPhase) return undefined;
    if (type === HeaderMapType.RequestHeaders || type === HeaderMapType.ResponseHeaders)
      return d.window.headers ? d.headers : undefined;
    if (d.window.trailers) return d.trailers;
    // Trailers may be added from the last body callback (Envoy getMap → addDecodedTrailers/addEncodedTrailers).
    if (!d.trailers && d.window.body && d.endOfStream) {
      d.trailers = new HeaderMap();
      d.trailersAdded = true;
      return d.trailers;
    }
    return undefined;
  }

  getConstMap(type: number): HeaderMap | undefined {
    const d = this.dir(type);
    if (!d) return this.root.getConstMap(type);
    if (this.accessLogPhase) {
      // Access-log maps: request headers, response headers and trailers; never request trailers.
      if (type === HeaderMapType.RequestTrailers) return undefined;
      return type === HeaderMapType.ResponseTrailers ? d.trailers : d.headers;
    }
    if (type === HeaderMapType.RequestHeaders || type === HeaderMapType.ResponseHeaders)
      return d.window.headers ? d.headers : undefined;
    return d.window.trailers ? d.trailers : undefined;
  }

  onHeadersModified(type: number): void {
    // ABI ≤ 0.2.1: Envoy clears the route cache when request headers change (-1: foreign clear_route_cache).
    if (type === HeaderMapType.RequestHeaders || type === -1) this.s.routeCacheClears++;
  }

  getBuffer(type: number): HostBuffer | undefined {
    if (type === BufferType.HttpRequestBody || type === BufferType.HttpResponseBody) {
      const d = type === BufferType.HttpRequestBody ? this.s.req : this.s.res;
      return d.window.body && !this.accessLogPhase ? d.body : NULL_BUFFER;
    }
    const b = rootBuffer(this.root, type);
    return b === null ? NULL_BUFFER : b;
  }

  continueStream(type: number): number {
    if (type === StreamType.Upstream) return WasmResult.Unimplemented;
    if (type === StreamType.Request || type === StreamType.Response) {
      const d = type === StreamType.Request ? this.s.req : this.s.res;
      // Envoy Context::continueStream clears the request header/body/trailer pointers at once — for
      // either stream type — and defers continueDecoding/continueEncoding.
      this.s.req.closeWindows();
      this.vm.defer(() => {
        d.closeWindows();
        this.s.continueDirection(d);
      });
    }
    return WasmResult.Ok;
  }

  closeStream(type: number): number {
    if (type === StreamType.Request || type === StreamType.Response) {
      this.s.responseCodeDetails ??= 'wasm_close_stream';
      this.vm.defer(() => this.s.reset('wasm_close_stream'));
    }
    return WasmResult.Ok;
  }

  sendLocalResponse(reply: LocalReplyRequest): void {
    this.vm.defer(() => this.s.localReply(reply));
  }

  setProperty(path: string, value: Buffer): number {
    this.s.filterState.set(`wasm.${path}`, Buffer.from(value));
    return WasmResult.Ok;
  }

  findProperty(name: string): unknown {
    const computed = this.computed(name);
    const value = mergeProps(computed, this.s.properties.get(name));
    if (value !== undefined) return value;
    const plugin = pluginProperty(this.root.plugin, name);
    if (plugin !== undefined) return plugin;
    return this.s.filterState.get(`wasm.${name}`); // Envoy findValue: unknown names ⇒ CelState `wasm.<name>`
  }

  /** Header-derived values exist only while the map is reachable: its window, or on_log (envoy#24194). */
  private visible(d: Direction): HeaderMap | undefined {
    return this.accessLogPhase || d.window.headers ? d.headers : undefined;
  }

  private computed(name: string): unknown {
    const s = this.s;
    switch (name) {
      case 'request': {
        const h = () => this.visible(s.req);
        const path = () => h()?.get(':path');
        return {
          path,
          url_path: () => path()?.split('?')[0],
          host: () => h()?.get(':authority'),
          scheme: () => h()?.get(':scheme'),
          method: () => h()?.get(':method'),
          headers: h,
          referer: () => h()?.get('referer'),
          useragent: () => h()?.get('user-agent'),
          id: () => h()?.get('x-request-id'),
          query: () => {
            const p = path();
            return p === undefined ? undefined : p.includes('?') ? p.slice(p.indexOf('?') + 1) : '';
          },
          time: new Timestamp(BigInt(s.startTime.getTime()) * 1_000_000n),
          protocol: 'HTTP/1.1',
          size: () => (s.req.endForwarded ? BigInt(s.req.fullBody().length) : undefined),
        };
      }
      case 'response': {
        const h = () => (this.accessLogPhase || s.res.window.headers ? s.res.headers : undefined);
        return {
          code: () => {
            const c = s.res.headersForwarded || s.res.receivedHeaders ? s.res.headers?.get(':status') : undefined;
            return c === undefined ? undefined : BigInt(c);
          },
          code_details: () => s.responseCodeDetails ?? (s.res.receivedHeaders ? 'via_upstream' : undefined),
          flags: () => (s.res.receivedHeaders || s.wasReset ? new Uint64(0n) : undefined),
          headers: h,
          trailers: () => (this.accessLogPhase || s.res.window.trailers ? s.res.trailers : undefined),
          grpc_status: () => {
            const g = s.res.trailers?.get('grpc-status') ?? s.res.headers?.get('grpc-status');
            return g === undefined ? undefined : BigInt(g);
          },
          size: () => (s.res.endForwarded ? BigInt(s.res.fullBody().length) : undefined),
        };
      }
      case 'source':
      case 'destination': {
        // The port follows the address the test or mesh gave (Envoy derives both from the socket).
        const given = s.properties.get(name) as { address?: unknown } | undefined;
        const address =
          typeof given?.address === 'string'
            ? given.address
            : name === 'source'
              ? '127.0.0.1:50000'
              : '127.0.0.1:10000';
        const port = Number(address.slice(address.lastIndexOf(':') + 1));
        return { address, port: Number.isInteger(port) ? BigInt(port) : undefined };
      }
      case 'connection':
        return { id: new Uint64(BigInt(this.connectionId)), mtls: false };
      case 'connection_id':
        return new Uint64(BigInt(this.connectionId));
      case 'filter_state':
        return new Map(s.filterState);
      default:
        return undefined;
    }
  }
}
