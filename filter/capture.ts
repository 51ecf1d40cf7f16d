// Response capture for one sampled (edge) or shadow request: status, the kept response headers,
// the body up to capture.maxBodyBytes (with truncated flag and the full size), and the latency from
// request headers to end of response; at the edge, when the policy opts in (capture.request), the
// kept request headers and the request body up to its own cap. Body callbacks only copy the chunk
// the host hands us and return Continue — neither request nor response is ever buffered or paused.
// The Half is built in on_log, after the response has left.
import { Config } from "./config/parse";
import { PairsView, asciiEquals } from "./pairs";
import { copyBuffer } from "./host";
import { HTTP_REQUEST_BODY, HTTP_RESPONSE_BODY } from "./abi";
import { Half, Header } from "./stream/messages";

export class Capture {
  side: i32 = 0;
  pairId: string = "";
  requestId: string = "";
  method: string = "";
  host: string = "";
  path: string = "";
  query: string = "";
  startNs: u64 = 0;
  endNs: u64 = 0;
  status: u32 = 0;
  headers: Array<Header> = [];
  requestHeaders: Array<Header> = [];
  request: BodyCopy | null = null;
  response: BodyCopy;

  constructor(maxBody: i32) {
    this.response = new BodyCopy(maxBody, HTTP_RESPONSE_BODY);
  }

  // A capture for a new request: a reported one from the pool (nothing of its last request kept but
  // its response buffer's room), else a new one. The pool is refilled by recycle() after a report.
  static take(maxBody: i32): Capture {
    if (pool.length == 0) return new Capture(maxBody);
    const c = pool.pop();
    c.side = 0; c.pairId = ""; c.requestId = ""; c.method = ""; c.host = ""; c.path = ""; c.query = "";
    c.startNs = 0; c.endNs = 0; c.status = 0;
    c.headers.length = 0; c.requestHeaders.length = 0;
    c.request = null;
    c.response.restart(maxBody);
    return c;
  }

  recycle(): void {
    if (pool.length < MAX_POOL && this.response.room() <= KEEP_ROOM) pool.push(this);
  }

  // Edge, when the policy opts in: the kept request headers (never a redacted one).
  onRequestHeaders(cfg: Config, view: PairsView): void {
    const keep = cfg.captureRequestHeaders;
    if (keep.length > 0) keptHeaders(view, keep, cfg.redactHeaders, this.requestHeaders);
    if (cfg.captureRequestMaxBody > 0) this.request = new BodyCopy(cfg.captureRequestMaxBody, HTTP_REQUEST_BODY);
  }

  onRequestBody(size: u32): void {
    const r = this.request;
    if (r !== null) r.take(size);
  }

  onResponseHeaders(cfg: Config, view: PairsView): void {
    this.status = keptHeaders(view, cfg.captureHeaders, cfg.redactHeaders, this.headers);
  }

  // Copies what fits of the current body chunk (size bytes); counts the rest.
  onResponseBody(size: u32): void {
    this.response.take(size);
  }

  end(nowNs: u64): void {
    if (this.endNs == 0) this.endNs = nowNs;
  }

  // Fills h (every field, so a reused Half carries nothing of the last one) from this capture.
  toHalf(cfg: Config, nodeId: string, nowNs: u64, h: Half): Half {
    this.end(nowNs);
    h.pairId = this.pairId;
    h.side = this.side;
    h.service = cfg.service;
    h.method = this.method;
    h.host = this.host;
    h.path = this.path;
    h.query = this.query;
    h.status = this.status;
    h.headers = this.headers;
    const res = this.response;
    h.body = res.bytes();
    h.truncated = res.truncated;
    h.bodySize = res.size;
    h.requestHeaders = this.requestHeaders;
    const req = this.request;
    h.requestBody = req !== null ? req.bytes() : NO_BYTES;
    h.requestTruncated = req !== null && req.truncated;
    h.requestBodySize = req !== null ? req.size : 0;
    h.startUnixMs = this.startNs / 1000000;
    const us = this.endNs > this.startNs ? (this.endNs - this.startNs) / 1000 : 0;
    h.latencyUs = us > <u64>u32.MAX_VALUE ? u32.MAX_VALUE : <u32>us;
    h.requestId = this.requestId;
    h.nodeId = nodeId;
    return h;
  }
}

const NO_BYTES = new Uint8Array(0);
const NO_HEADERS = new Array<Header>(0);

// Drops what a reused Half refers to (the capture's strings, headers and bodies), once encoded.
export function emptyHalf(h: Half): void {
  h.pairId = ""; h.service = ""; h.method = ""; h.host = ""; h.path = ""; h.query = "";
  h.requestId = ""; h.nodeId = "";
  h.headers = NO_HEADERS; h.requestHeaders = NO_HEADERS;
  h.body = NO_BYTES; h.requestBody = NO_BYTES;
}

const pool = new Array<Capture>();
const MAX_POOL = 64;
const KEEP_ROOM: i32 = 16384; // a pooled capture keeps at most this much response buffer

// ":status" digits → number; anything else → 0.
export function parseStatus(p: usize, len: i32): u32 {
  if (len <= 0 || len > 3) return 0;
  let v: u32 = 0;
  for (let i = 0; i < len; i++) {
    const c = <u32>load<u8>(p + <usize>i);
    if (c < 0x30 || c > 0x39) return 0;
    v = v * 10 + (c - 0x30);
  }
  return v;
}

// A body seen chunk by chunk: the first `max` bytes copied, the whole size counted.
class BodyCopy {
  body: Uint8Array = new Uint8Array(0);
  len: i32 = 0;
  size: u64 = 0;
  truncated: bool = false;

  constructor(private max: i32, private buffer: i32) {}

  // Empty again for a new body (up to max), keeping the buffer it has.
  restart(max: i32): void {
    this.max = max; this.len = 0; this.size = 0; this.truncated = false;
  }
  room(): i32 { return this.body.byteLength; }

  take(size: u32): void {
    this.size += <u64>size;
    if (size == 0) return;
    const room = this.max - this.len;
    if (room <= 0) { this.truncated = true; return; }
    let n = <i32>min(<u32>room, size);
    if (<u32>n < size) this.truncated = true;
    this.ensure(this.len + n);
    const got = copyBuffer(this.buffer, 0, <u32>n, this.body.dataStart + <usize>this.len);
    this.len += <i32>got;
    if (<i32>got < n) this.truncated = true;
  }

  bytes(): Uint8Array {
    return this.len == this.body.byteLength ? this.body : this.body.slice(0, this.len);
  }

  private ensure(need: i32): void {
    const cap = this.body.byteLength;
    if (need <= cap) return;
    let next = cap < 1024 ? 1024 : cap * 2;
    if (next < need) next = need;
    if (next > this.max) next = this.max;
    const b = new Uint8Array(next);
    memory.copy(b.dataStart, this.body.dataStart, <usize>this.len);
    this.body = b;
  }
}

// Appends the headers of `view` named in `keep` and not in `redact` (at most 128 per half); returns
// the :status of a response map (0 for a request map). Header names are ASCII: compare bytes,
// allocate only for kept headers.
function keptHeaders(view: PairsView, keep: Array<string>, redact: Array<string>, out: Array<Header>): u32 {
  let status: u32 = 0;
  for (let i = 0; i < view.count; i++) {
    const kl = view.keyLen(i);
    const kp = view.keyPtr(i);
    if (kl == 7 && asciiEquals(kp, ":status", 7)) {
      status = parseStatus(view.valuePtr(i), view.valueLen(i));
      continue;
    }
    if (out.length >= 128) continue; // bound per half
    if (!listed(keep, kp, kl) || listed(redact, kp, kl)) continue;
    const h = new Header();
    h.name = view.key(i);
    const vl = view.valueLen(i);
    const v = new Uint8Array(vl);
    memory.copy(v.dataStart, view.valuePtr(i), <usize>vl);
    h.value = v;
    out.push(h);
  }
  return status;
}

function listed(names: Array<string>, p: usize, len: i32): bool {
  for (let j = 0; j < names.length; j++) {
    const n = unchecked(names[j]);
    if (n.length == len && asciiEquals(p, n, len)) return true;
  }
  return false;
}
