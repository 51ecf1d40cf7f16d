// One HTTP stream context: the config it started with (read-only for its whole life), the root it
// belongs to, and per-request state. Request headers go to the role; response callbacks only feed
// the capture (when the request is captured) and always return Continue; on_log reports.
import { Config, ROLE_EDGE, ROLE_SHADOW, ROLE_LIVE, DIR_AUTO, DIR_INBOUND, DIR_OUTBOUND } from "./config/parse";
import { Root } from "./root";
import { Capture, emptyHalf } from "./capture";
import { PairsView } from "./pairs";
import { getHeaderPairsInto, getPropertyInto, lastSize, nowNanos } from "./host";
import { CONTINUE, RESPONSE_HEADERS } from "./abi";
import { metrics, inc } from "./metrics";
import { FilterMessage, Half } from "./stream/messages";
import { KIND_HALF } from "./stream/queue";
import { edgeRequestHeaders } from "./roles/edge";
import { shadowRequestHeaders } from "./roles/shadow";
import { liveRequestHeaders, unconfiguredRequestHeaders } from "./roles/live";

// One view of response headers for the whole VM: callbacks never overlap within a VM. The host writes
// the map into viewBuf when it fits (capture copies what it keeps before the callback ends).
const view = new PairsView();
const viewBuf = new ArrayBuffer(2048);
const P_LISTENER_DIRECTION = String.UTF8.encode("xds\0listener_direction");
const directionBuf = new ArrayBuffer(16);
const reportMessage = new FilterMessage();
const reportHalf = new Half();

export class HttpContext {
  cfg: Config;
  capture: Capture | null = null;

  constructor(public id: u32, public root: Root) {
    this.cfg = root.config;
  }

  // A deleted context made new for another stream (index.ts keeps a few for reuse).
  reuse(id: u32, root: Root): HttpContext {
    this.id = id;
    this.root = root;
    this.cfg = root.config;
    this.capture = null;
    return this;
  }
  // Drops what the deleted stream referenced, so a spare context keeps nothing alive.
  release(): void {
    this.capture = null;
  }

  onRequestHeaders(): i32 {
    const role = this.cfg.role;
    if (role == ROLE_EDGE) return edgeRequestHeaders(this);
    if (role == ROLE_SHADOW) return shadowRequestHeaders(this);
    if (role == ROLE_LIVE) return liveRequestHeaders(this);
    return unconfiguredRequestHeaders(this);
  }

  // Edge with capture.request: a copy of what passes (never paused, never buffered).
  onRequestBody(size: u32): i32 {
    const c = this.capture;
    if (c !== null) c.onRequestBody(size);
    return CONTINUE;
  }

  onResponseHeaders(eos: bool): i32 {
    const c = this.capture;
    if (c === null) return CONTINUE;
    view.resetLen(getHeaderPairsInto(RESPONSE_HEADERS, viewBuf), lastSize);
    c.onResponseHeaders(this.cfg, view);
    if (eos) c.end(nowNanos());
    return CONTINUE;
  }

  onResponseBody(size: u32, eos: bool): i32 {
    const c = this.capture;
    if (c === null) return CONTINUE;
    c.onResponseBody(size);
    if (eos) c.end(nowNanos());
    return CONTINUE;
  }

  onResponseTrailers(): i32 {
    const c = this.capture;
    if (c !== null) c.end(nowNanos());
    return CONTINUE;
  }

  // The response has left: build and queue the half (never on the response's critical path).
  onLog(): void {
    const c = this.capture;
    if (c === null) return;
    this.capture = null;
    const s = this.root.stream;
    if (s === null) return;
    // One Half and one FilterMessage for the VM, filled, encoded and emptied again (Capture.toHalf
    // sets every field): a report builds no message objects.
    const m = reportMessage;
    m.half = c.toHalf(this.cfg, this.root.nodeId, nowNanos(), reportHalf);
    s.report(KIND_HALF, m);
    m.half = null;
    emptyHalf(reportHalf);
    c.recycle();
    inc(metrics.halvesReported);
  }

  // Traffic direction of this stream's listener: the config override, else the
  // xds.listener_direction property (envoy.config.core.v3.TrafficDirection: 1 INBOUND,
  // 2 OUTBOUND; an int64 serialized little-endian). 0 when unknown.
  direction(): i32 {
    const d = this.cfg.direction;
    if (d != DIR_AUTO) return d;
    const b = getPropertyInto(P_LISTENER_DIRECTION, directionBuf);
    const n = lastSize;
    if (b === null || n == 0) return 0;
    let v = <i32>load<u8>(changetype<usize>(b));
    if (n < 8 && v >= 0x30 && v <= 0x39) v -= 0x30; // tolerate a decimal string
    return v == DIR_INBOUND || v == DIR_OUTBOUND ? v : 0;
  }
}
