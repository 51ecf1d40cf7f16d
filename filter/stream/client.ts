// The reporting stream of one worker VM: shadow.v1.ShadowGuard/Connect opened from the root context
// with proxy_grpc_stream (a serialized GrpcService naming the control-plane cluster, and
// `authorization: Bearer <token>` initial metadata when configured). On open it sends Hello, then
// drains the report queue; pushed ControlMessages go to the sink. When the stream closes it
// reconnects with capped exponential backoff, driven by the root's on_tick. Messages handed to
// proxy_grpc_send are raw protobuf bytes: Envoy adds the 5-byte gRPC frame.
//
// Delivery (docs/architecture.md, "Delivery guarantees"): halves and events are numbered (seq) per
// VM and epoch and stay in the queue after sending until the control plane acknowledges them
// (Delivered, cumulative); after a reconnect the unacknowledged ones are sent again with the same
// seq and the control plane drops copies. A control plane that answers with Delivered also gets
// batches (up to BATCH_MAX messages per gRPC message); one that pushes a snapshot first is older than
// Delivered: it gets single messages and what it was sent counts as delivered, as before.
import { proxy_set_effective_context } from "@gcoredev/proxy-wasm-sdk-as/assembly/imports";
import { proxy_grpc_stream, proxy_grpc_send, proxy_grpc_cancel, proxy_grpc_close, OK, GRPC_RECEIVE_BUFFER } from "../abi";
import { ControlPlane } from "../config/parse";
import { currentContext, nowNanos, getBuffer, log, LOG_DEBUG, LOG_INFO, LOG_WARN, tokenOut, tokenValue } from "../host";
import { serializePairs } from "../pairs";
import { grpcServiceBytes } from "./grpc-service";
import { ReportQueue, KIND_HALF, KIND_EVENT } from "./queue";
import { FilterMessage, ConfigSnapshot, encodeFilterMessage, decodeControlMessage } from "./messages";
import { batch } from "./envelope";
import { Hello } from "./messages";
import { Stats } from "./messages";

export const SERVICE = "shadow.v1.ShadowGuard";
export const METHOD = "Connect";
const INITIAL_BACKOFF_MS: i64 = 200;
const MAX_INBOUND_BYTES: u32 = 16 * 1024 * 1024;

const S_IDLE: i32 = 0;
const S_OPEN: i32 = 1;       // the control plane answered: reports flow
const S_BACKOFF: i32 = 2;
const S_CONNECTING: i32 = 3; // Hello sent, no answer yet: reports wait in the queue
// A control plane that accepted the stream but has not answered headers after this long is
// treated as open (Envoy reports a connect failure as on_grpc_close long before).
const CONNECT_GRACE_MS: i64 = 2000;
// Batch bounds: enough to amortize a gRPC message per half, far below the control plane's 4 MiB limit.
const BATCH_MAX: i32 = 32;
const BATCH_MAX_BYTES: i32 = 1024 * 1024;

// Does the control plane on this stream acknowledge? Unknown until its first message.
const ACKS_UNKNOWN: i32 = 0;
const ACKS_YES: i32 = 1;
const ACKS_NO: i32 = 2;

// What the stream needs from the root context (AssemblyScript has no closures).
export abstract class StreamOwner {
  abstract rootId(): u32;
  abstract hello(): Hello;
  abstract onSnapshot(snap: ConfigSnapshot): void;
  abstract onReconnect(): void;
  abstract onDropped(kind: u8, count: u64): void;
  abstract onDelivery(acknowledged: u64, resent: u64): void;
}

export class StreamClient {
  private token: u32 = 0;
  private state: i32 = S_IDLE;
  private failures: i32 = 0;
  private nextAttemptMs: i64 = 0;
  private opened: bool = false;   // a stream was open before (for the reconnect counter)
  private connectingSinceMs: i64 = 0;
  private service: Uint8Array;
  private svcName: ArrayBuffer = String.UTF8.encode(SERVICE);
  private method: ArrayBuffer = String.UTF8.encode(METHOD);
  private metadata: ArrayBuffer;
  private acks: i32 = ACKS_UNKNOWN;
  private batchBuf: Array<Uint8Array> = new Array<Uint8Array>();
  queue: ReportQueue;
  halvesSent: u64 = 0;
  eventsSent: u64 = 0;
  reconnects: u64 = 0;
  resent: u64 = 0;
  // Hello.epoch: this client's queue numbers from seq 1, so a VM restart (or a new configuration,
  // which makes a new client) must not look like the same sender to the control plane's dedup.
  readonly epoch: u64;

  constructor(private cp: ControlPlane, private owner: StreamOwner) {
    this.service = grpcServiceBytes(cp.cluster, cp.authority);
    this.metadata = cp.token.length > 0
      ? serializePairs(["authorization"], ["Bearer " + cp.token])
      : serializePairs([], []);
    this.queue = new ReportQueue(cp.queueSize);
    this.epoch = drawEpoch();
  }

  get isOpen(): bool { return this.state == S_OPEN; }
  get streamToken(): u32 { return this.token; }

  // Reports are held back until the control plane answers (initial metadata or a message): a
  // stream to an unreachable cluster accepts sends until Envoy reports the failure, and whatever
  // was sent into it would be lost uncounted; held in the queue it is kept or dropped-and-counted.
  open(nowMs: i64): void {
    if (this.state == S_OPEN || this.state == S_CONNECTING) return;
    const st = proxy_grpc_stream(
      this.service.dataStart, <usize>this.service.byteLength,
      changetype<usize>(this.svcName), <usize>this.svcName.byteLength,
      changetype<usize>(this.method), <usize>this.method.byteLength,
      changetype<usize>(this.metadata), <usize>this.metadata.byteLength,
      tokenOut());
    if (st != OK) {
      log(LOG_WARN, "shadowguard: cannot open the control-plane stream to cluster " + this.cp.cluster + " (status " + st.toString() + "); retrying");
      this.backoff(nowMs);
      return;
    }
    this.token = tokenValue();
    this.state = S_CONNECTING;
    this.connectingSinceMs = nowMs;
    if (this.opened) { this.reconnects++; this.owner.onReconnect(); }
    this.opened = true;
    log(LOG_DEBUG, "shadowguard: control-plane stream started, token " + this.token.toString());
    this.acks = ACKS_UNKNOWN;
    const m = new FilterMessage();
    const h = this.owner.hello();
    h.epoch = this.epoch;
    m.hello = h;
    this.sendNow(encodeFilterMessage(m));
  }

  // answered: the control plane sent something (metadata or a message). Opening after the connect
  // grace period alone proves nothing about the peer, so it keeps the backoff growing: a control plane
  // that never answers must not be retried at the initial delay forever.
  private established(answered: bool): void {
    if (this.state != S_CONNECTING) return;
    this.state = S_OPEN;
    if (answered) this.failures = 0; // the next outage starts from the initial backoff
    // Stats first: the control plane learns at once what was dropped while we were away.
    if (this.queue.halvesDropped > 0 || this.queue.eventsDropped > 0) this.sendStats();
    this.flush();
  }

  // Plugin shutdown: half-close so the control plane sees a clean end of stream.
  close(): void {
    if (this.state == S_OPEN || this.state == S_CONNECTING) proxy_grpc_close(this.token);
    this.queue.rewind();
    this.state = S_IDLE;
    this.token = 0;
  }

  cancel(): void {
    if (this.state == S_OPEN || this.state == S_CONNECTING) proxy_grpc_cancel(this.token);
    this.queue.rewind();
    this.state = S_IDLE;
    this.token = 0;
  }

  // Queue a half or event (numbered); sent when the stream is open: at once, or in a batch to a
  // control plane that acknowledges (see flush). Callable from any context. The message is encoded
  // with its seq (the queue's next), so numbering never copies the encoded bytes.
  report(kind: u8, m: FilterMessage): void {
    // One push can drop several messages (the byte bound): count each one.
    const q = this.queue;
    const halves = q.halvesDropped, events = q.eventsDropped;
    m.seq = q.next;
    q.push(kind, encodeFilterMessage(m));
    if (q.halvesDropped > halves) this.owner.onDropped(KIND_HALF, q.halvesDropped - halves);
    if (q.eventsDropped > events) this.owner.onDropped(KIND_EVENT, q.eventsDropped - events);
    // To a control plane that takes batches, reports go out a batch at a time: when BATCH_MAX are
    // waiting, else at the next tick (≤ 200 ms later; only the report waits, never the request).
    if (this.state == S_OPEN && (this.acks != ACKS_YES || q.unsent >= BATCH_MAX)) this.flush();
  }

  // Ack/Nack/Stats: only meaningful on the current stream, never queued.
  control(m: FilterMessage): void {
    if (this.state == S_OPEN || this.state == S_CONNECTING) this.sendNow(encodeFilterMessage(m));
  }

  sendStats(): void {
    const s = new Stats();
    s.halvesSent = this.halvesSent;
    s.halvesDropped = this.queue.halvesDropped;
    s.eventsSent = this.eventsSent;
    s.eventsDropped = this.queue.eventsDropped;
    s.reconnects = this.reconnects;
    s.resent = this.resent;
    s.acknowledged = this.queue.acknowledged;
    const m = new FilterMessage();
    m.stats = s;
    this.control(m);
  }

  flush(): void {
    const q = this.queue;
    while (this.state == S_OPEN && q.unsent > 0) {
      const first = q.unsentAt(0);
      if (first === null) return;
      let n = 1;
      let msg: Uint8Array = first;
      if (this.acks == ACKS_YES && q.unsent > 1) {
        const parts = this.batchBuf;
        parts.length = 0;
        let bytes = 0;
        while (n <= BATCH_MAX && n <= q.unsent) {
          const m = q.unsentAt(n - 1);
          if (m === null || (n > 1 && bytes + m.byteLength > BATCH_MAX_BYTES)) break;
          parts.push(m);
          bytes += m.byteLength;
          n++;
        }
        n = parts.length;
        if (n > 1) msg = batch(parts);
        parts.length = 0;
      }
      if (!this.sendNow(msg)) return; // stays queued for the next stream
      const resentBefore = this.resent;
      for (let i = 0; i < n; i++) this.count(q.markSent());
      if (this.resent > resentBefore) this.owner.onDelivery(0, this.resent - resentBefore);
      if (this.acks == ACKS_NO) q.forgetSent();
    }
  }

  private count(sent: u8): void {
    if ((sent & 0x80) != 0) { this.resent++; return; }
    if (sent == KIND_HALF) this.halvesSent++;
    else if (sent == KIND_EVENT) this.eventsSent++;
  }

  // Sends on the root's stream. The stream belongs to the root context, so calls made while a
  // stream context is current switch the effective context to the root first (Envoy resolves
  // gRPC tokens on the calling context), then switch back to the context being called.
  private sendNow(msg: Uint8Array): bool {
    const cur = currentContext();
    const root = this.owner.rootId();
    if (cur != root) proxy_set_effective_context(root);
    const st = proxy_grpc_send(this.token, msg.dataStart, <usize>msg.byteLength, 0);
    if (cur != root) proxy_set_effective_context(cur);
    if (st == OK) return true;
    log(LOG_WARN, "shadowguard: control-plane stream send failed (status " + st.toString() + "); reconnecting");
    proxy_grpc_cancel(this.token);
    this.state = S_BACKOFF;
    this.queue.rewind();
    this.nextAttemptMs = 0; // next tick
    return false;
  }

  onTick(nowMs: i64): void {
    if (this.state == S_IDLE || (this.state == S_BACKOFF && nowMs >= this.nextAttemptMs)) this.open(nowMs);
    else if (this.state == S_CONNECTING && nowMs - this.connectingSinceMs >= CONNECT_GRACE_MS) this.established(false);
    else if (this.state == S_OPEN) this.flush();
  }

  onReceive(token: u32, size: u32): void {
    if (token != this.token || (this.state != S_OPEN && this.state != S_CONNECTING)) return;
    this.established(true);
    if (size == 0 || size > MAX_INBOUND_BYTES) return;
    const buf = getBuffer(GRPC_RECEIVE_BUFFER, 0, size);
    if (buf === null) return;
    const msg = decodeControlMessage(Uint8Array.wrap(buf));
    if (msg === null) { log(LOG_WARN, "shadowguard: malformed ControlMessage ignored"); return; }
    const delivered = msg.delivered;
    if (delivered !== null) {
      if (this.acks == ACKS_UNKNOWN) this.acks = ACKS_YES;
      const before = this.queue.acknowledged;
      this.queue.acknowledge(delivered.seq);
      if (this.queue.acknowledged > before) this.owner.onDelivery(this.queue.acknowledged - before, 0);
    }
    const snap = msg.snapshot;
    if (snap !== null) {
      // A control plane that acknowledges says Delivered before anything else (right after Hello).
      if (this.acks == ACKS_UNKNOWN) { this.acks = ACKS_NO; this.queue.forgetSent(); }
      this.owner.onSnapshot(snap);
    }
    if (this.state == S_OPEN) this.flush();
  }

  onInitialMetadata(token: u32): void {
    if (token == this.token) this.established(true);
  }

  onClose(token: u32, status: u32, nowMs: i64): void {
    if (token != this.token || (this.state != S_OPEN && this.state != S_CONNECTING)) return;
    log(LOG_INFO, "shadowguard: control-plane stream closed (grpc status " + status.toString() + "); reconnecting with backoff");
    this.backoff(nowMs);
  }

  private backoff(nowMs: i64): void {
    this.state = S_BACKOFF;
    this.queue.rewind();
    const cap = <i64>this.cp.reconnectMaxMs;
    let delay = INITIAL_BACKOFF_MS;
    for (let i = 0; i < this.failures && delay < cap; i++) delay <<= 1;
    if (delay > cap) delay = cap;
    this.failures++;
    // ±20 % jitter so that the workers of a proxy do not reconnect in lockstep.
    const jitter = <i64>((<u64>nowMs * 2654435761) % 41) - 20;
    this.nextAttemptMs = nowMs + delay + delay * jitter / 100;
  }
}

// A non-zero number unlikely to repeat across VM starts of the same node/plugin/worker: the host
// clock in nanoseconds, mixed, kept to 32 bits: as-proto's size pass overestimates uint64 varints
// from 2^34 up (FixedSizer.varint64 thresholds), which corrupts the message a larger value is in.
function drawEpoch(): u64 {
  let x = <u64>nowNanos() ^ 0x9e3779b97f4a7c15;
  x ^= x >> 33; x *= 0xff51afd7ed558ccd; x ^= x >> 33;
  const e = x & 0xffffffff;
  return e == 0 ? 1 : e;
}
