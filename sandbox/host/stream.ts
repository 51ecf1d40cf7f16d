// An HTTP stream through the filter, driven like Envoy's filter manager drives one HTTP filter:
// decode (request) and encode (response) callbacks in order, Envoy's status conversion, stop/continue
// and buffering, deferred continue/close/local reply, local replies re-entering the response path,
// fail-open / fail-closed after a VM failure, and the end: on_log → on_done → on_delete.
// Synchronous verbs return what Envoy would do next ('continue' | 'stop'); asynchronous progress is
// observable through events ('forward', 'continue', 'localReply', 'reset', 'complete') and promises.
// One file past 300 lines on purpose: the verbs, the filter-manager state machine and the deferred
// module actions share the same private state.

import { EventEmitter } from 'node:events';
import type { LocalReplyRequest } from './context.js';
import {
  Direction,
  dataStatus,
  headersStatus,
  trailersStatus,
  type DirectionName,
  type ForwardEvent,
} from './direction.js';
import { toHeaderMap, type HeaderList, type HeadersInit } from './headers.js';
import { buildLocalReply, type LocalResponse } from './local-reply.js';
import type { PluginCore } from './plugin-core.js';
import type { RootContext } from './root.js';
import { propertyTree } from './properties.js';
import { FilterState, StreamContext } from './stream-context.js';
import type { Vm } from './vm.js';

export type Verdict = 'continue' | 'stop';
export type Outcome = 'continue' | 'local_reply' | 'reset' | 'complete';

export interface StreamOptions {
  worker?: number;
  /** Stream properties, e.g. { 'source.address': '10.0.0.1:1234', 'request.protocol': 'HTTP/2' }. */
  properties?: Record<string, unknown>;
  /** Complete (on_log → on_done → on_delete) as soon as the response end passes the filter. Default true. */
  autoComplete?: boolean;
}

export class HttpStream extends EventEmitter {
  readonly req = new Direction('request');
  readonly res = new Direction('response');
  readonly filterState = new FilterState();
  readonly properties: Map<string, unknown>;
  readonly startTime = new Date();
  localResponse: LocalResponse | undefined;
  responseCodeDetails: string | undefined;
  /** Times Envoy would have cleared the route cache (request headers modified, ABI ≤ 0.2.1). */
  routeCacheClears = 0;
  wasReset = false;
  finished = false;
  /** The filter is not in the chain (VM failed with fail_open: Envoy's createFilter adds nothing). */
  readonly bypassed: boolean;
  private readonly ctx: StreamContext | undefined;
  private created = false;
  private answered = false;
  private streamFailed = false;
  private readonly autoComplete: boolean;

  /** `root` is the plugin's root context in `vm` (the VM may be shared with other plugins). */
  constructor(
    readonly vm: Vm,
    private readonly root: RootContext,
    readonly plugin: PluginCore,
    readonly worker: number,
    opts: StreamOptions = {},
  ) {
    super();
    this.properties = propertyTree(opts.properties);
    this.autoComplete = opts.autoComplete ?? true;
    this.bypassed = this.broken && plugin.failOpen;
    if (!this.bypassed) this.ctx = new StreamContext(this, vm, root);
  }

  // ---- what Envoy sees after the filter ----
  /** Current request headers (as modified by the filter). */
  get requestHeaders(): HeaderList {
    return this.req.headers?.toList() ?? [];
  }
  get requestTrailers(): HeaderList {
    return this.req.trailers?.toList() ?? [];
  }
  /** The whole request body after the filter: passed on plus still held. */
  get requestBody(): Buffer {
    return this.req.fullBody();
  }
  get responseHeaders(): HeaderList {
    return this.res.headers?.toList() ?? [];
  }
  get responseTrailers(): HeaderList {
    return this.res.trailers?.toList() ?? [];
  }
  get responseBody(): Buffer {
    return this.res.fullBody();
  }
  /** Envoy's filter status for the last callback of each direction. */
  get lastStatus(): { request: string | undefined; response: string | undefined } {
    return { request: this.req.lastStatus, response: this.res.lastStatus };
  }
  /** Request headers reached upstream / response headers reached the client. */
  get requestContinued(): boolean {
    return this.req.headersForwarded;
  }
  get responseContinued(): boolean {
    return this.res.headersForwarded;
  }

  /** Context id in the worker VM (0 when the filter is bypassed). */
  get id(): number {
    return this.ctx?.id ?? 0;
  }
  get logPhase(): boolean {
    return this.ctx?.accessLogPhase ?? false;
  }

  // ---- the verbs (downstream request, upstream response) ----
  sendRequestHeaders(headers: HeadersInit, endOfStream = false): Verdict {
    return this.answered ? 'stop' : this.headers(this.req, headers, endOfStream);
  }
  sendRequestBody(body: string | Uint8Array, endOfStream = false): Verdict {
    return this.answered ? 'stop' : this.data(this.req, body, endOfStream);
  }
  sendRequestTrailers(trailers: HeadersInit): Verdict {
    return this.answered ? 'stop' : this.trailers(this.req, trailers);
  }
  sendResponseHeaders(headers: HeadersInit, endOfStream = false): Verdict {
    return this.answered ? 'stop' : this.headers(this.res, headers, endOfStream);
  }
  sendResponseBody(body: string | Uint8Array, endOfStream = false): Verdict {
    return this.answered ? 'stop' : this.data(this.res, body, endOfStream);
  }
  sendResponseTrailers(trailers: HeadersInit): Verdict {
    return this.answered ? 'stop' : this.trailers(this.res, trailers);
  }

  /** Stream end as Envoy's HCM does it: access log (on_log), then filter destroy (on_done, on_delete). */
  complete(): void {
    if (this.finished) return;
    this.finished = true;
    const ctx = this.ctx;
    if (ctx && !this.broken) {
      if (!this.created) this.create(); // Envoy Context::log calls onCreate() for a filter that never saw headers
      ctx.accessLogPhase = true;
      this.vm.callback('proxy_on_log', ctx, ctx.id);
      ctx.accessLogPhase = false;
      this.vm.callback('proxy_on_done', ctx, ctx.id);
      this.vm.callback('proxy_on_delete', ctx, ctx.id);
    }
    if (ctx) this.vm.contexts.delete(ctx.id);
    this.emit('complete');
  }

  /** Downstream (or the filter, via close_stream) resets the stream: no more callbacks but the end ones. */
  reset(details = 'downstream_reset'): void {
    if (this.finished) return;
    this.wasReset = true;
    this.answered = true;
    this.responseCodeDetails ??= details;
    this.emit('reset', details);
    this.complete();
  }

  /** Resolves when `direction` has passed the filter (headers forwarded), or the stream ended otherwise. */
  continued(direction: DirectionName = 'request'): Promise<Outcome> {
    const d = direction === 'request' ? this.req : this.res;
    const now = this.outcome(d);
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => {
      const check = (): void => {
        const o = this.outcome(d);
        if (!o) return;
        for (const e of ['continue', 'localReply', 'reset', 'complete', 'forward']) this.off(e, check);
        resolve(o);
      };
      for (const e of ['continue', 'localReply', 'reset', 'complete', 'forward']) this.on(e, check);
    });
  }
  private outcome(d: Direction): Outcome | undefined {
    if (this.localResponse) return 'local_reply';
    if (this.wasReset) return 'reset';
    if (d.headersForwarded) return 'continue';
    return this.finished ? 'complete' : undefined;
  }

  // ---- filter-manager mechanics ----
  /** The VM failed (trap: every plugin in it), or this plugin's root could not start in it. */
  private get broken(): boolean {
    return this.vm.failed || this.root.failure !== undefined;
  }

  private create(): void {
    if (this.created || !this.ctx) return;
    this.created = true;
    this.vm.callback('proxy_on_context_create', this.ctx, this.ctx.id, this.root.id);
  }

  /** cpp-host CHECK_FAIL: fail open ⇒ Continue; fail closed ⇒ one 503 "wasm_fail_stream" local reply. */
  private failed(): Verdict | undefined {
    if (!this.broken) return undefined;
    if (this.plugin.failOpen) return 'continue';
    if (!this.streamFailed) {
      this.streamFailed = true;
      this.localReply({ status: 503, body: Buffer.alloc(0), headers: [], grpcStatus: 14, details: 'wasm_fail_stream' });
    }
    return 'stop';
  }

  private invoke(
    d: Direction,
    which: 'headers' | 'body' | 'trailers',
    ...args: number[]
  ): { raw: number; stop: boolean } | Verdict {
    const pre = this.failed();
    if (pre) return pre;
    this.create();
    const { result, stop } = this.vm.callback(d.callbacks[which], this.ctx!, this.ctx!.id, ...args);
    return this.failed() ?? { raw: result ?? 0, stop };
  }

  private headers(d: Direction, init: HeadersInit, eos: boolean): Verdict {
    if (this.finished) return 'stop';
    if (d.receivedHeaders) throw new Error(`${d.name} headers were already sent on stream ${this.id}`);
    d.headers = toHeaderMap(init);
    d.receivedHeaders = true;
    d.receivedEnd = eos;
    return this.runHeaders(d);
  }

  private runHeaders(d: Direction): Verdict {
    if (this.bypassed || this.passThrough(d)) return this.resume(d);
    d.window.headers = true;
    d.endOfStream = d.receivedEnd;
    const r = this.invoke(d, 'headers', d.headers!.size, d.receivedEnd ? 1 : 0);
    if (typeof r === 'string') return r === 'continue' ? this.resume(d) : 'stop';
    const status = headersStatus(r.raw, r.stop, this.plugin.allowOnHeadersStopIteration);
    d.lastStatus = status;
    if (this.isAnswered(d)) return 'stop';
    if (status === 'Continue') {
      d.window.headers = false;
      return this.resume(d);
    }
    d.iteration = status === 'StopIteration' ? 'stop_headers' : 'stop_all';
    return 'stop';
  }

  private data(d: Direction, body: string | Uint8Array, eos: boolean): Verdict {
    if (this.finished) return 'stop';
    this.checkOpen(d, 'body');
    d.receivedEnd = eos;
    d.body.append(typeof body === 'string' ? Buffer.from(body) : body);
    if (this.bypassed || this.passThrough(d)) return this.resume(d);
    if (d.iteration === 'stop_all') {
      d.pendingData = true;
      return 'stop';
    }
    return this.runData(d, eos);
  }

  private runData(d: Direction, eos: boolean): Verdict {
    d.window.body = true;
    d.endOfStream = eos;
    const r = this.invoke(d, 'body', d.body.size(), eos ? 1 : 0);
    if (typeof r === 'string') return r === 'continue' ? this.resume(d) : 'stop';
    const status = dataStatus(r.raw, r.stop);
    d.lastStatus = status;
    if (this.isAnswered(d)) return 'stop';
    d.buffering = status === 'StopIterationAndBuffer';
    if (status === 'Continue') {
      d.window.body = false;
      return d.iteration === 'stop_headers' ? 'stop' : this.resume(d);
    }
    if (status === 'StopIterationNoBuffer') d.body.take(); // the filter took responsibility for the chunk
    if (d.iteration === 'continue') d.iteration = 'stop_data';
    return 'stop';
  }

  private trailers(d: Direction, init: HeadersInit): Verdict {
    if (this.finished) return 'stop';
    this.checkOpen(d, 'trailers');
    d.trailers = toHeaderMap(init);
    d.receivedEnd = true;
    if (this.bypassed || this.passThrough(d)) return this.resume(d);
    if (d.iteration === 'stop_all') {
      d.pendingTrailers = true;
      return 'stop';
    }
    return this.runTrailers(d);
  }

  /** Misuse by the driver (not something Envoy could see) is a clear error, not a silent no-op. */
  private checkOpen(d: Direction, what: string): void {
    if (!d.receivedHeaders) throw new Error(`${d.name} ${what} sent before ${d.name} headers on stream ${this.id}`);
    if (d.receivedEnd) throw new Error(`${d.name} ${what} sent after the ${d.name} ended on stream ${this.id}`);
  }

  private runTrailers(d: Direction): Verdict {
    d.window.trailers = true;
    const r = this.invoke(d, 'trailers', d.trailers!.size);
    if (typeof r === 'string') return r === 'continue' ? this.resume(d) : 'stop';
    const status = trailersStatus(r.raw, r.stop);
    d.lastStatus = status;
    if (this.isAnswered(d)) return 'stop';
    if (status === 'Continue') {
      d.window.trailers = false;
      return this.resume(d);
    }
    d.iteration = 'stop_trailers';
    return 'stop';
  }

  /** After a fail-closed reply or a local reply, nothing on the request path moves any more. */
  private isAnswered(d: Direction): boolean {
    return this.finished || (d === this.req && this.answered);
  }
  /** The fail-closed 503 passes our encode callbacks untouched (Envoy failure_local_reply_sent_). */
  private passThrough(d: Direction): boolean {
    return d === this.res && this.streamFailed;
  }

  /** Iteration continues past the filter: pass on whatever is held, in order. Data or trailers that
   *  arrived while stopped-all and were not yet shown to the filter stay held (pending*). */
  private resume(d: Direction): Verdict {
    d.iteration = 'continue';
    d.buffering = false;
    d.window.body = false;
    if (!d.headersForwarded) {
      d.headersForwarded = true;
      const headersOnly = d.receivedEnd && d.body.size() === 0 && !d.trailers && !d.pendingData;
      if (this.forwardWatched)
        this.forward({ direction: d.name, kind: 'headers', headers: d.headers!.toList(), endOfStream: headersOnly });
      this.emit('continue', d.name);
      if (headersOnly) return this.ended(d);
    }
    if (d.pendingData || d.endForwarded) return 'continue';
    if (d.body.size() > 0 || (d.receivedEnd && !d.trailers)) {
      const data = d.body.take();
      d.forwarded.push(data);
      const eos = d.receivedEnd && !d.trailers;
      if (this.forwardWatched) this.forward({ direction: d.name, kind: 'data', data, endOfStream: eos });
      if (eos) return this.ended(d);
    }
    if (d.trailers && !d.pendingTrailers) {
      if (this.forwardWatched)
        this.forward({ direction: d.name, kind: 'trailers', headers: d.trailers.toList(), endOfStream: true });
      return this.ended(d);
    }
    return 'continue';
  }

  private ended(d: Direction): Verdict {
    d.endForwarded = true;
    if (d === this.res && this.autoComplete) this.complete();
    return 'continue';
  }

  private forward(ev: ForwardEvent): void {
    this.emit('forward', ev);
  }
  /** An unheard 'forward' is not observable, so its event (copies of the header lists) is built only when watched. */
  private get forwardWatched(): boolean {
    return this.listenerCount('forward') > 0;
  }

  // ---- actions requested by the module (already deferred to after the VM call) ----
  /** continueDecoding/continueEncoding. After a stop-all, Envoy passes the headers on and then hands the
   *  data and trailers it held to this same filter (iteration restarts at the current filter). */
  continueDirection(d: Direction): void {
    if (this.finished || (d === this.req && this.answered) || d.iteration === 'continue') return;
    if (d.iteration !== 'stop_all') {
      this.resume(d);
      return;
    }
    const hadData = d.pendingData,
      hadTrailers = d.pendingTrailers;
    this.resume(d); // headers only: pending data/trailers are held back
    d.pendingData = false;
    if (hadData && !this.isAnswered(d)) this.runData(d, d.receivedEnd && !hadTrailers);
    if (hadTrailers && !this.isAnswered(d) && !d.endForwarded) {
      d.pendingTrailers = false;
      this.runTrailers(d);
    }
  }

  /** Envoy sendLocalReply: through our encode callbacks while no response has started, straight to
   *  the client when the upstream response started but nothing was sent, a reset once headers went out. */
  localReply(lr: LocalReplyRequest): void {
    if (this.finished) return;
    this.localResponse = {
      status: lr.status,
      headers: lr.headers,
      body: lr.body,
      details: lr.details,
      grpcStatus: lr.grpcStatus,
    };
    this.responseCodeDetails = lr.details;
    const grpc = (this.req.headers?.get('content-type') ?? '').startsWith('application/grpc');
    const built = buildLocalReply(this.localResponse, grpc);
    this.answered = true;
    this.emit('localReply', this.localResponse);
    const d = this.res;
    if (d.headersForwarded) {
      this.reset('local_reply_after_response_started');
      return;
    }
    const direct = d.receivedHeaders;
    d.headers = built.headers;
    d.trailers = undefined;
    d.body.take();
    d.receivedHeaders = true;
    d.pendingData = d.pendingTrailers = false;
    d.buffering = false;
    d.closeWindows();
    d.iteration = 'continue';
    if (direct) {
      d.body.append(built.body);
      d.receivedEnd = true;
      this.resume(d);
      return;
    }
    d.receivedEnd = built.body.length === 0;
    const v = this.runHeaders(d);
    if (built.body.length === 0 || this.finished) return;
    d.body.append(built.body);
    d.receivedEnd = true;
    if (v === 'continue') this.runData(d, true);
    else d.pendingData = (d.iteration as string) === 'stop_all';
  }
}
