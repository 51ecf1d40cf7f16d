// envoy.filters.http.router for one downstream stream: selects the route on the headers it receives
// (after every filter before it — in ABI 0.2.1 a Wasm header change clears the route cache, §5.10),
// answers 404/503/504 as Envoy does, proxies request and response as streams, and starts the
// streaming shadows of the route's request_mirror_policies right after the primary request (Envoy
// ≥ 1.33 streaming shadow, reference §1.5): headers copied after finalizeRequestHeaders, each body
// chunk and the trailers copied, responses discarded, a shadow never delaying or failing the primary.

import {
  localReplyHeaders,
  NO_HEALTHY_UPSTREAM,
  ROUTE_NOT_FOUND,
  UPSTREAM_TIMEOUT,
  upstreamReset,
  type LocalReply,
} from './local-reply.js';
import { shadowHeaders, shouldShadow } from './mirror.js';
import type { RouteConfig } from './route-config.js';
import { getHeader, type HeaderList, type Selected } from './routing.js';
import type { UpstreamStream, UpstreamTarget, Upstreams } from './upstream.js';

/** Where the router's response goes: the encode path of the filter before it. */
export interface Encoder {
  encodeHeaders(headers: HeaderList, endStream: boolean): void;
  encodeData(data: Buffer, endStream: boolean): void;
  encodeTrailers(trailers: HeaderList): void;
}

export interface RouterContext {
  routeConfig: RouteConfig;
  /** The cluster's endpoint, or undefined when it has no healthy host (unmapped in the sandbox). */
  resolve(cluster: string): UpstreamTarget | undefined;
  upstreams: Upstreams;
  /** Random per stream: the runtime fraction's stable_random (router.cc shouldShadow). */
  streamId: bigint;
  /** Address the async client appends to x-forwarded-for on shadows. */
  localAddress: string;
  /** Flow control towards the downstream connection. */
  pauseDownstream(): void;
  resumeDownstream(): void;
  /** Reset the downstream stream (an upstream failure after response headers went out). */
  resetDownstream(): void;
  onShadow?(cluster: string, headers: HeaderList): void;
  /** The HCM's route cache (route-cache.ts): the route chosen before the filters, unless one cleared it. */
  route(headers: HeaderList): Selected | undefined;
}

interface Shadow {
  stream: UpstreamStream;
  requestDone: boolean;
  timer?: NodeJS.Timeout;
}

export class RouterFilter {
  selected: Selected | undefined;
  responseStarted = false;
  private upstream: UpstreamStream | undefined;
  private readonly shadows: Shadow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timeoutMs = 0;
  private startedAt = 0;
  private finished = false;
  private upstreamDone = false;

  constructor(
    private readonly ctx: RouterContext,
    private readonly encoder: Encoder,
  ) {}

  decodeHeaders(headers: HeaderList, endStream: boolean): void {
    if (this.finished) return;
    const sel = (this.selected = this.ctx.route(headers));
    if (!sel) return this.localReply(ROUTE_NOT_FOUND);
    const target = this.ctx.resolve(sel.route.cluster);
    if (!target) return this.localReply(NO_HEALTHY_UPSTREAM);
    this.timeoutMs = sel.route.timeoutMs;
    // finalizeRequestHeaders: the expected timeout travels upstream (and onto the shadow copies).
    const upstreamHeaders: HeaderList = headers.filter(([k]) => k !== 'x-envoy-expected-rq-timeout-ms');
    if (this.timeoutMs > 0) upstreamHeaders.push(['x-envoy-expected-rq-timeout-ms', String(this.timeoutMs)]);
    this.startedAt = Date.now();
    this.upstream = this.ctx.upstreams.open(target, upstreamHeaders, endStream, {
      onHeaders: (h, end) => this.onUpstreamHeaders(h, end),
      onData: (d, end) => this.onUpstreamData(d, end),
      onTrailers: (t) => {
        this.upstreamDone = true;
        this.clearTimer();
        this.encoder.encodeTrailers(t);
      },
      onReset: (reason, transport) => this.onUpstreamReset(reason, transport),
    });
    if (getHeader(headers, ':method') !== 'CONNECT') this.startShadows(sel, upstreamHeaders, endStream);
    if (endStream) this.onRequestComplete();
  }

  decodeData(data: Buffer, endStream: boolean): void {
    if (this.finished || !this.upstream) return;
    for (const s of this.shadows) if (!s.requestDone) s.stream.sendData(data, endStream); // no back-pressure from shadows
    if (!this.upstream.sendData(data, endStream)) {
      this.ctx.pauseDownstream();
      this.upstream.onDrain(() => this.ctx.resumeDownstream());
    }
    if (endStream) this.onRequestComplete();
  }

  decodeTrailers(trailers: HeaderList): void {
    if (this.finished || !this.upstream) return;
    for (const s of this.shadows) if (!s.requestDone) s.stream.sendTrailers(trailers);
    this.upstream.sendTrailers(trailers);
    this.onRequestComplete();
  }

  /** Back-pressure from the downstream connection onto the upstream response. */
  pauseResponse(): void {
    this.upstream?.pauseResponse();
  }
  resumeResponse(): void {
    this.upstream?.resumeResponse();
  }

  /** The downstream stream is gone (finished or reset): Router::Filter::onDestroy. */
  onDestroy(): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimer();
    this.upstream?.reset();
    // Streaming shadows still receiving the request are cancelled; completed ones run on (§1.5).
    for (const s of this.shadows)
      if (!s.requestDone) {
        clearTimeout(s.timer);
        s.stream.reset();
      }
  }

  /** The downstream response was fully delivered (possibly a filter's local reply while the upstream
   *  was still answering: that upstream request is reset, as onDestroy does in Envoy). */
  onComplete(): void {
    this.clearTimer();
    this.finished = true;
    if (!this.upstreamDone) this.upstream?.reset();
    for (const s of this.shadows)
      if (!s.requestDone) {
        clearTimeout(s.timer);
        s.stream.reset();
      }
  }

  private startShadows(sel: Selected, headers: HeaderList, endStream: boolean): void {
    for (const policy of sel.mirrorPolicies) {
      if (!shouldShadow(policy, this.ctx.streamId)) continue;
      // An unmapped shadow cluster has no healthy host: Envoy's async client answers itself, nothing is sent.
      const target = this.ctx.resolve(policy.cluster);
      if (!target) continue;
      const h = shadowHeaders(headers, policy, this.ctx.localAddress);
      this.ctx.onShadow?.(policy.cluster, h);
      const shadow: Shadow = { requestDone: false, stream: undefined as unknown as UpstreamStream };
      // ShadowWriterImpl::onSuccess/onFailure are empty: the reply and any failure are dropped.
      shadow.stream = this.ctx.upstreams.open(target, h, endStream, {
        onHeaders: () => {},
        onData: (_d, end) => {
          if (end) clearTimeout(shadow.timer);
        },
        onTrailers: () => clearTimeout(shadow.timer),
        onReset: () => clearTimeout(shadow.timer),
      });
      this.shadows.push(shadow);
    }
  }

  private onRequestComplete(): void {
    for (const s of this.shadows) {
      s.requestDone = true;
      // The shadow's timeout is the primary route's global timeout (§1.3/1.7), counted from its own request end.
      if (this.timeoutMs > 0) {
        s.timer = setTimeout(() => s.stream.reset(), this.timeoutMs);
        s.timer.unref();
      }
    }
    // The route timeout spans from the end of the downstream request to the end of the response.
    if (this.timeoutMs > 0 && !this.timer) {
      this.timer = setTimeout(() => this.onResponseTimeout(), this.timeoutMs);
      this.timer.unref();
    }
  }

  private onResponseTimeout(): void {
    this.timer = undefined;
    this.upstreamDone = true;
    this.upstream?.reset();
    if (this.responseStarted) this.ctx.resetDownstream();
    else this.localReply(UPSTREAM_TIMEOUT);
  }

  private onUpstreamHeaders(headers: HeaderList, endStream: boolean): void {
    if (this.finished) return;
    this.responseStarted = true;
    if (endStream) {
      this.upstreamDone = true;
      this.clearTimer();
    }
    const h = headers.filter(([k]) => k !== 'x-envoy-upstream-service-time');
    h.push(['x-envoy-upstream-service-time', String(Date.now() - this.startedAt)]);
    this.encoder.encodeHeaders(h, endStream);
  }

  private onUpstreamData(data: Buffer, endStream: boolean): void {
    if (this.finished) return;
    if (endStream) {
      this.upstreamDone = true;
      this.clearTimer();
    }
    this.encoder.encodeData(data, endStream);
  }

  private onUpstreamReset(reason: Parameters<typeof upstreamReset>[0], transport: string): void {
    this.upstreamDone = true;
    if (this.finished) return;
    this.clearTimer();
    if (this.responseStarted) this.ctx.resetDownstream();
    else this.localReply(upstreamReset(reason, transport));
  }

  private localReply(r: LocalReply): void {
    this.responseStarted = true;
    this.clearTimer();
    // Deferred one tick so the reply never re-enters a filter still passing on the request.
    queueMicrotask(() => {
      if (this.finished) return; // the downstream went away meanwhile
      const body = Buffer.from(r.body);
      this.encoder.encodeHeaders(localReplyHeaders(r), body.length === 0);
      if (body.length > 0) this.encoder.encodeData(body, true);
    });
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
