// Session: one filter worker's Connect stream, from authentication to its last message.
//
// Protocol (proto/shadow/v1/shadow.proto): the filter authenticates with `authorization: Bearer
// <token>` metadata (checked only when a token is configured), sends Hello first, then Half,
// EgressEvent, Ack/Nack and Stats in any order. The control plane answers with ConfigSnapshot
// pushes chosen by the snapshot cache (a ConfigWatcher) (at once on connect, then on every change).
// Refusals end only this stream, with a gRPC status and a log line: UNAUTHENTICATED (token),
// PERMISSION_DENIED (a Hello for a service the stream's credential does not cover, identity.ts),
// INVALID_ARGUMENT (first message not a valid Hello, Hello twice, no Hello in time).
// After Hello, a message that does not decode, has a field past its length limit or is over
// maxMessageBytes is skipped and counted (registry `malformed`, by reason): gRPC
// framing is intact, so one bad message need not cost the node its stream and its reports.
// Handlers run synchronously in the 'data' event, so nothing queues here; HTTP/2 flow control is
// the inbound backpressure. Outbound, only the newest snapshot matters: while the socket is full
// pushes are coalesced into one pending snapshot, sent on 'drain'.
// Delivery (stream/delivery.ts): a filter that numbers its reports (Hello.epoch) gets Delivered with
// what an earlier stream of the same sender delivered, right after Hello and before any snapshot
// (the filter takes a snapshot first as the sign of an older control plane); then each numbered half,
// event or batch is deduplicated, and one cumulative Delivered per event-loop turn acknowledges them.
import { createHash, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { EgressEvent, Half, NodeHello } from '../domain/types.js';
import type { NodeHandle, NodeRegistry } from '../nodes/registry.js';
import type { Snapshot } from '../snapshot/build.js';
import type { ConfigWatcher } from '../snapshot/cache.js';
import {
  decodeFilterMessage,
  encodeControlMessage,
  encodeDelivered,
  type FilterMessage,
  type Report,
} from './codec.js';
import { coalescedAck, type DeliveryLedger, type ReportOrigin, type Sender } from './delivery.js';
import { authorize, covers, type Grant, type StreamCredential, type WorkloadIdentity } from './identity.js';

export interface StreamHandlers {
  onHello?(hello: NodeHello): void;
  /** Returns a Promise in the replicated mode (shared pairing): the half is acknowledged once it resolves. */
  onHalf(half: Half, node: NodeHello): unknown;
  /** origin: the event's sender and number when the stream is numbered; a returned promise defers its ack, as for a half */
  onEgress(event: EgressEvent, node: NodeHello, origin?: ReportOrigin): unknown;
}

export interface SessionDeps {
  logger: Logger;
  handlers: StreamHandlers;
  cache: ConfigWatcher;
  registry: NodeRegistry;
  delivery: DeliveryLedger;
  token?: string;
  helloTimeoutMs: number;
  /** per-service stream tokens and workload identities (identity.ts) */
  credentials?: StreamCredential[];
  identities?: WorkloadIdentity[];
  /** refusals by reason ('unauthenticated', 'permission-denied'), for the server's stats */
  counters?: { count(reason: string): void };
  /** messages past this are skipped and counted ('oversized'), the stream goes on */
  maxMessageBytes?: number;
}

export type RawCall = grpc.ServerDuplexStream<Buffer, Buffer>;

const SERVICE_NAME = /^[A-Za-z0-9._-]{1,253}$/; // schema/filter-config.schema.json#/properties/service

// The registry keeps these strings for every node it remembers (up to 10 000), so each is bounded
// here rather than only by the 4 MiB message size.
const HELLO_LIMITS: ReadonlyArray<[keyof NodeHello, string, number]> = [
  ['plugin', 'plugin', 512],
  ['workload', 'workload', 512],
  ['filterVersion', 'filter_version', 128],
  ['configVersion', 'config_version', 128],
  ['version', 'version', 128],
];

/** Why a Hello cannot register a node, or undefined. Mirrors what buildFilterConfig will require. */
export function helloProblem(h: NodeHello): string | undefined {
  if (!h.nodeId || h.nodeId.length > 512) return 'hello.node_id must be 1..512 characters';
  for (const [key, field, max] of HELLO_LIMITS) {
    const v = h[key];
    if (typeof v === 'string' && v.length > max)
      return `hello.${field} must be at most ${max} characters, got ${v.length}`;
  }
  if (!SERVICE_NAME.test(h.service)) return `hello.service '${h.service}' must match ${SERVICE_NAME.source}`;
  if (h.role === 'shadow' && !h.variant) return 'hello.variant must be candidate or secondary for role shadow';
  return undefined;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time comparison of `Bearer <token>` (scheme case-insensitive, RFC 6750 §2.1). */
export function bearerMatches(metadata: grpc.Metadata, token: string): boolean {
  const values = metadata.get('authorization');
  const m = values.length === 1 ? /^Bearer +(\S+) *$/i.exec(String(values[0])) : null;
  return m !== null && timingSafeEqual(digest(m[1]), digest(token));
}

export class Session {
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private readonly log: Logger;
  private hello?: NodeHello;
  private node?: NodeHandle;
  private unwatch?: () => void;
  private helloTimer?: NodeJS.Timeout;
  private ended = false;
  private blocked = false;
  private pending?: Snapshot;
  private malformedLogged = false;
  private draining = false;
  private drainTimer?: NodeJS.Timeout;
  private grant?: Grant;
  private lastMessageAt = 0;
  private sender?: Sender;
  private ack?: () => void;

  constructor(
    private readonly call: RawCall,
    private readonly deps: SessionDeps,
  ) {
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    this.log = deps.logger.child({ peer: call.getPeer() });

    const auth = authorize(call.metadata, {
      token: deps.token,
      credentials: deps.credentials,
      identities: deps.identities,
    });
    if (!auth.ok) {
      deps.counters?.count('unauthenticated');
      this.refuse(grpc.status.UNAUTHENTICATED, auth.message);
      return;
    }
    this.grant = auth.grant;
    this.helloTimer = setTimeout(
      () => this.refuse(grpc.status.INVALID_ARGUMENT, `no Hello within ${deps.helloTimeoutMs} ms`),
      deps.helloTimeoutMs,
    );
    this.helloTimer.unref();
    call.on('data', (bytes: Buffer) => this.receive(bytes));
    call.on('drain', () => this.flush());
    call.on('end', () => this.finish(grpc.status.OK, 'stream closed by the filter'));
    call.on('cancelled', () => this.cleanup('cancelled'));
    call.on('close', () => this.cleanup('closed'));
    call.on('error', (err) => this.cleanup(`error: ${err.message}`));
  }

  /**
   * Graceful end at server shutdown: keep reading until the filter has been quiet for quietMs (what
   * it sent before it saw the GOAWAY is still in flight), at most maxMs, then end with UNAVAILABLE;
   * the filter reconnects, to another replica, with its backoff. No more pushes meanwhile.
   */
  shutdown(quietMs: number, maxMs: number): void {
    if (this.ended || this.draining) return;
    this.draining = true;
    this.unwatch?.();
    const now = Date.now();
    const deadline = now + maxMs;
    this.lastMessageAt = now;
    const check = () => {
      const t = Date.now();
      const idle = t - this.lastMessageAt;
      if (idle >= quietMs || t >= deadline) return this.finish(grpc.status.UNAVAILABLE, 'control plane shutting down');
      this.drainTimer = setTimeout(check, Math.max(1, Math.min(quietMs - idle, deadline - t)));
    };
    this.drainTimer = setTimeout(check, Math.min(quietMs, maxMs));
  }

  private receive(bytes: Buffer): void {
    if (this.ended) return;
    this.lastMessageAt = Date.now();
    const max = this.deps.maxMessageBytes;
    if (this.hello && max !== undefined && bytes.length > max) {
      return this.malformed(`message of ${bytes.length} bytes over the ${max}-byte limit`, 'oversized');
    }
    const decoded = decodeFilterMessage(bytes);
    if (!this.hello) {
      if (!decoded.ok) return this.refuse(grpc.status.INVALID_ARGUMENT, `first message: ${decoded.error.message}`);
      if (decoded.value.kind !== 'hello') {
        return this.refuse(grpc.status.INVALID_ARGUMENT, `first message must be Hello, got ${decoded.value.kind}`);
      }
      return this.register(decoded.value.hello);
    }
    if (!decoded.ok) return this.malformed(decoded.error.message, decoded.error.reason);
    this.dispatch(decoded.value, this.hello, this.node!);
  }

  private register(hello: NodeHello): void {
    const problem = helloProblem(hello);
    if (problem) return this.refuse(grpc.status.INVALID_ARGUMENT, problem);
    if (this.grant && !covers(this.grant, hello.service)) {
      this.deps.counters?.count('permission-denied');
      return this.refuse(
        grpc.status.PERMISSION_DENIED,
        `this stream's credential (${this.grant.who}) may not report for service '${hello.service}'`,
      );
    }
    clearTimeout(this.helloTimer);
    this.hello = hello;
    this.node = this.deps.registry.connect(hello, this.call.getPeer());
    this.log.info(
      {
        node: this.node.key,
        service: hello.service,
        role: hello.role,
        variant: hello.variant,
        filterVersion: hello.filterVersion,
        configVersion: hello.configVersion,
      },
      'node connected',
    );
    this.safely('onHello', () => this.deps.handlers.onHello?.(hello));
    if (hello.epoch !== undefined) {
      this.sender = this.deps.delivery.sender(hello);
      this.call.write(encodeDelivered(this.sender.delivered));
      this.ack = coalescedAck(this.sender, (seq) => !this.ended && this.call.write(encodeDelivered(seq)));
    }
    try {
      this.unwatch = this.deps.cache.watch(hello, (snap) => this.push(snap));
      // A node reconnecting with the current version is not re-sent it (cache.watch): record that
      // version as the one the control plane wants, so the registry reports the node in sync.
      const current = this.deps.cache.snapshotFor(hello).version;
      if (hello.configVersion === current) this.node.sent(current);
    } catch (err) {
      this.log.error({ err, node: this.node.key }, 'cannot build a configuration for this node');
      this.refuse(grpc.status.INVALID_ARGUMENT, 'no valid configuration can be built for this Hello');
    }
  }

  private dispatch(msg: FilterMessage, hello: NodeHello, node: NodeHandle): void {
    switch (msg.kind) {
      case 'half':
      case 'egress':
        return this.report(msg, hello, node);
      case 'batch':
        for (const r of msg.messages) this.report(r, hello, node);
        return;
      case 'ack':
        return node.applyResponse({ kind: 'ack', version: msg.version });
      case 'nack':
        this.log.warn({ node: node.key, version: msg.version, reason: msg.reason }, 'configuration rejected');
        return node.applyResponse({ kind: 'nack', version: msg.version, reason: msg.reason });
      case 'stats':
        return node.reportStats(msg.stats);
      case 'hello':
        return this.refuse(grpc.status.INVALID_ARGUMENT, 'Hello sent twice on one stream');
    }
  }

  private report(r: Report, hello: NodeHello, node: NodeHandle): void {
    if (!r.seq) this.deps.delivery.unnumbered();
    else if (this.sender) {
      this.ack?.();
      if (!this.sender.accept(r.seq)) return node.countDuplicate();
    }
    let stored: unknown;
    if (r.kind === 'half') {
      node.countHalf();
      stored = this.safely('onHalf', () => this.deps.handlers.onHalf(r.half, hello));
    } else {
      node.countEvent();
      const origin = r.seq && this.sender ? { sender: this.sender.key, seq: r.seq } : undefined;
      stored = this.safely('onEgress', () => this.deps.handlers.onEgress(r.event, hello, origin));
    }
    if (stored instanceof Promise) this.afterStored(r.seq ?? 0, stored);
  }

  private malformed(message: string, reason: string): void {
    this.node!.countMalformed(reason);
    // Once per stream at warn: a broken encoder would otherwise log every message it sends.
    const level = this.malformedLogged ? 'debug' : 'warn';
    this.malformedLogged = true;
    this.log[level]({ node: this.node!.key, error: message }, 'skipped a malformed message');
  }

  private push(snap: Snapshot): void {
    if (this.ended || this.draining) return;
    if (this.blocked) {
      this.pending = snap;
      return;
    }
    this.node?.sent(snap.version);
    this.blocked = !this.call.write(encodeControlMessage(snap));
  }

  private flush(): void {
    this.blocked = false;
    const snap = this.pending;
    this.pending = undefined;
    if (snap) this.push(snap);
  }

  /**
   * A report (half or egress event) handed over asynchronously: acknowledged once stored. If storing fails the stream ends with
   * UNAVAILABLE: the filter reconnects (to this replica or another) and resends what was not
   * acknowledged, so nothing acknowledged was lost and nothing is silently dropped.
   */
  private afterStored(seq: number, stored: Promise<unknown>): void {
    const settled = seq && this.sender ? this.sender.settle(seq, stored) : stored;
    settled.then(
      () => this.ack?.(),
      (err: unknown) => {
        this.log.warn({ err, node: this.node?.key }, 'a report could not be stored; the filter will resend it');
        this.finish(grpc.status.UNAVAILABLE, 'shared pairing unavailable: reconnect and resend');
      },
    );
  }

  private safely<T>(what: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      this.log.error({ err, node: this.node?.key }, `${what} handler failed; message dropped`);
    }
  }

  private refuse(code: grpc.status, details: string): void {
    this.log.warn({ code: grpc.status[code], details, node: this.node?.key }, 'stream refused');
    this.finish(code, details);
  }

  /** Ends our side with a status (once); grpc-js turns an 'error' on the call into that status. */
  private finish(code: grpc.status, details: string): void {
    if (this.ended) return;
    this.cleanup(grpc.status[code]);
    if (code === grpc.status.OK) this.call.end();
    else this.call.emit('error', { code, details, metadata: new grpc.Metadata() });
  }

  private cleanup(why: string): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.helloTimer);
    clearTimeout(this.drainTimer);
    this.unwatch?.();
    if (this.node) {
      this.node.disconnect();
      this.log.info({ node: this.node.key, why }, 'node disconnected');
    }
    this.resolveDone();
  }
}
