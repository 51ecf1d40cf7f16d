// Pairing: joins the halves of one mirrored request (live, candidate, and secondary when the policy
// deploys one) by pair id within a window. Pure and synchronous; time comes from an injected clock.
//
// Promises:
// - A pair completes with live + candidate (+ secondary when needsSecondary); `add` returns it once.
// - Late halves (pair already completed, expired or evicted), duplicates (same side twice) and
//   orphans (incomplete past the window) are counted, never thrown, never kept.
// - Memory is bounded: at most `maxPending` pending pairs and at most `maxPendingBytes` held bytes
//   (each held half costs its body length + HALF_OVERHEAD_BYTES); past either bound the oldest pairs
//   are evicted and counted. A half that alone costs more than the byte bound is never stored (counted
//   as oversized). At most `recentCapacity` remembered closed ids (only used to tell "late" from "new").
//   The count bound alone is not enough: 100k pairs × 1 MiB bodies would be gigabytes.
import type { Half } from '../domain/types.js';

export interface CompletePair {
  pairId: string;
  live: Half;
  candidate: Half;
  secondary?: Half;
  /** shared pairing: the claim this replica holds on the pair until its comparison is committed (RedisPairer.finish) */
  claim?: PairClaim;
}

/** A replica's hold on a completed pair in Redis: whoever holds it when the comparison is committed wins. */
export interface PairClaim {
  key: string;
  token: string;
}

export interface PairerOptions {
  windowMs?: number;
  maxPending?: number;
  /** bound on the bytes held (pending halves and expired pairs not yet handed over by expire()) */
  maxPendingBytes?: number;
  recentCapacity?: number;
  now?: () => number;
}

export interface PairerStats {
  pending: number;
  /** accounted bytes held: pending halves plus expired pairs awaiting expire() (≤ maxPendingBytes) */
  pendingBytes: number;
  completed: number;
  late: number;
  duplicate: number;
  orphaned: number;
  evicted: number;
  /** completed at expiry without their secondary (returned by expire()) */
  degraded: number;
  /** halves without a pair id or with an unknown side */
  invalid: number;
  /** halves that alone cost more than maxPendingBytes: dropped, never stored */
  oversized: number;
  /** shared pairing: completed pairs whose replica did not commit a comparison in time, handed to another */
  reclaimed?: number;
  /** shared pairing: claimed pairs given up after too many handovers (a pair no replica can compare) */
  abandoned?: number;
}

/** The PairerStats counters every pairer keeps (the shared one adds its handover counters). */
export const PAIR_COUNTERS = [
  'completed',
  'late',
  'duplicate',
  'orphaned',
  'evicted',
  'degraded',
  'invalid',
  'oversized',
] as const;

export const zeroCounts = <K extends string>(keys: readonly K[]): Record<K, number> =>
  Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

/**
 * Accounted per held half on top of its body: the Half object, its header arrays, the body's Buffer
 * object and the pairer's own entry, plus the first STRING_ALLOWANCE characters of strings. Measured
 * (bench/pairing-memory.ts, issue 13): ~1,450 B beside a 2 KiB body for ~220 characters of strings.
 */
export const HALF_OVERHEAD_BYTES = 1280;
/**
 * The one home of the pairing limits' defaults: the Pairer, the RedisPairer and the process
 * configuration (config.ts DEFAULTS.pairing) all read them here.
 */
export const PAIRING_DEFAULTS = { windowMs: 30_000, maxPending: 100_000, maxPendingBytes: 256 * 1024 * 1024 } as const;

type Side = 'live' | 'candidate' | 'secondary';

interface Pending {
  live?: Half;
  candidate?: Half;
  secondary?: Half;
  needsSecondary: boolean;
  deadline: number;
  /** accounted bytes of the halves held */
  bytes: number;
}

export class Pairer {
  private readonly windowMs: number;
  private readonly maxPending: number;
  private readonly maxPendingBytes: number;
  private readonly recentCapacity: number;
  private readonly now: () => number;
  private readonly pending = new Map<string, Pending>();
  // First-seen order of pending ids (== deadline order, one fixed window). Completed ids stay in it
  // until they reach the head or a compaction, so expiry and eviction are O(1) amortized. (Deleting
  // from the head of a Map and iterating from its start is O(holes) in V8, hence the explicit queue.)
  private queue: Array<{ id: string; p: Pending }> = [];
  private head = 0;
  // Recently closed ids for "late" detection: a ring of fixed size plus a Set for membership.
  private readonly recent = new Set<string>();
  private readonly ring: Array<string | undefined>;
  private ringPos = 0;
  private readonly counters = zeroCounts(PAIR_COUNTERS);
  // Expired pairs that only miss their secondary, until expire() hands them over; their bytes stay
  // accounted until then.
  private degradedQueue: Array<{ pair: CompletePair; bytes: number }> = [];
  private bytes = 0;

  constructor(opts: PairerOptions = {}) {
    this.windowMs = positive(opts.windowMs, PAIRING_DEFAULTS.windowMs, 'windowMs');
    this.maxPending = positive(opts.maxPending, PAIRING_DEFAULTS.maxPending, 'maxPending');
    this.maxPendingBytes = positive(opts.maxPendingBytes, PAIRING_DEFAULTS.maxPendingBytes, 'maxPendingBytes');
    this.recentCapacity = positive(opts.recentCapacity, this.maxPending * 2, 'recentCapacity');
    this.ring = new Array<string | undefined>(this.recentCapacity);
    this.now = opts.now ?? Date.now;
  }

  add(half: Half, needsSecondary: boolean, scope?: string): CompletePair | undefined {
    const now = this.now();
    this.sweep(now);
    const pairId = half?.pairId;
    if (typeof pairId !== 'string' || pairId === '') {
      this.counters.invalid++;
      return undefined;
    }
    const side = half.side as Side;
    if (side !== 'live' && side !== 'candidate' && side !== 'secondary') {
      this.counters.invalid++;
      return undefined;
    }
    const id = scope === undefined ? pairId : `${scope}\u0000${pairId}`;
    if (this.recent.has(id)) {
      this.counters.late++;
      return undefined;
    }
    let p = this.pending.get(id);
    if (p !== undefined) {
      // the policy decides; the latest half carries the latest policy view
      p.needsSecondary = needsSecondary;
      if (p[side]) {
        this.counters.duplicate++;
        return undefined;
      }
      const live = side === 'live' ? half : p.live;
      const candidate = side === 'candidate' ? half : p.candidate;
      const secondary = side === 'secondary' ? half : p.secondary;
      if (live && candidate && (secondary || !needsSecondary)) {
        // completes: handed over at once, never held, so it needs no room
        this.drop(id, p);
        this.counters.completed++;
        const pair: CompletePair = { pairId, live, candidate };
        if (secondary) pair.secondary = secondary;
        return pair;
      }
    }
    const cost = halfBytes(half);
    if (cost > this.maxPendingBytes) {
      this.counters.oversized++;
      return undefined;
    }
    if (p === undefined && this.pending.size >= this.maxPending) this.evictOldestPending();
    // Oldest held first: expired pairs awaiting expire() (older than any pending), then pending pairs.
    while (this.bytes + cost > this.maxPendingBytes && (this.evictDegraded() || this.evictOldestPending())) {
      // its own older half was the oldest: the pair is gone (counted as evicted), so is this half
      if (p !== undefined && this.pending.get(id) !== p) return undefined;
    }
    if (p === undefined) {
      p = { needsSecondary, deadline: now + this.windowMs, bytes: 0 };
      this.pending.set(id, p);
      this.queue.push({ id, p });
    }
    p[side] = half;
    p.bytes += cost;
    this.bytes += cost;
    return undefined;
  }

  expire(): CompletePair[] {
    this.sweep(this.now());
    return this.handOver();
  }

  flushDegraded(): CompletePair[] {
    this.sweep(this.now());
    const out = this.handOver();
    for (const [id, p] of this.pending) {
      // insertion order: oldest first
      const { live, candidate } = p;
      if (!live || !candidate) continue;
      this.drop(id, p);
      this.counters.degraded++;
      out.push({ pairId: live.pairId, live, candidate });
    }
    this.compact();
    return out;
  }

  stats(): PairerStats {
    return { pending: this.pending.size, pendingBytes: this.bytes, ...this.counters };
  }

  size(): number {
    return this.pending.size;
  }

  private sweep(now: number): void {
    while (this.head < this.queue.length) {
      const e = this.queue[this.head];
      if (this.pending.get(e.id) !== e.p) {
        this.head++;
        continue;
      } // already closed
      if (e.p.deadline > now) break;
      this.head++;
      const p = e.p;
      if (p.live && p.candidate) {
        // only the secondary is missing: still worth comparing live vs candidate
        this.close(e.id); // its bytes move to the degraded queue
        this.counters.degraded++;
        // bounded like pending: the caller drains it with expire()
        if (this.degradedQueue.length >= this.maxPending) this.evictDegraded();
        this.degradedQueue.push({
          pair: { pairId: p.live.pairId, live: p.live, candidate: p.candidate },
          bytes: p.bytes,
        });
      } else {
        this.drop(e.id, p);
        this.counters.orphaned++;
      }
    }
    this.compact();
  }

  /** Evicts the oldest pending pair; false when none is pending. */
  private evictOldestPending(): boolean {
    while (this.head < this.queue.length) {
      const e = this.queue[this.head++];
      if (this.pending.get(e.id) !== e.p) continue;
      this.drop(e.id, e.p);
      this.counters.evicted++;
      return true;
    }
    return false;
  }

  /** Evicts the oldest expired pair not yet handed over; false when there is none. */
  private evictDegraded(): boolean {
    const d = this.degradedQueue.shift();
    if (d === undefined) return false;
    this.bytes -= d.bytes;
    this.counters.evicted++;
    return true;
  }

  private handOver(): CompletePair[] {
    const out: CompletePair[] = [];
    for (const d of this.degradedQueue) {
      out.push(d.pair);
      this.bytes -= d.bytes;
    }
    this.degradedQueue = [];
    return out;
  }

  /**
   * Closes a held pair and releases its bytes, and its halves: the queue keeps closed entries until
   * they reach its head or a compaction (up to 2 × pending + 1024 of them), and an entry that still
   * held its halves kept ~2 halves alive per pending one uncounted (measured, issue 13).
   */
  private drop(id: string, p: Pending): void {
    this.close(id);
    this.bytes -= p.bytes;
    p.live = p.candidate = p.secondary = undefined;
  }

  /** keep the queue proportional to the pending pairs, not to the traffic */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.queue.length - this.head > 2 * this.pending.size + 1024) {
      this.queue = this.queue.slice(this.head).filter((e) => this.pending.get(e.id) === e.p);
      this.head = 0;
    }
  }

  private close(id: string): void {
    this.pending.delete(id);
    const old = this.ring[this.ringPos];
    if (old !== undefined) this.recent.delete(old);
    this.ring[this.ringPos] = id;
    this.ringPos = (this.ringPos + 1) % this.recentCapacity;
    this.recent.add(id);
  }
}

/**
 * What a held half retains: its body, every string it carries (path, query, host, ids, header names
 * and values) at 2 bytes a character (V8's two-byte strings; an upper bound), and fixed object
 * overhead, which covers the first STRING_ALLOWANCE bytes of strings. Counting only the body let
 * 25,000 halves with 60 KiB queries hold 1.5 GB under a 25 MB reported bound (issue 14 finding 10).
 * The body is a copy made at decode into memory of its own (stream/codec.ts), never a view keeping a
 * message or a shared pool slab alive: its length is what it holds.
 */
export function halfBytes(h: Half): number {
  const body = h.body as Buffer | string | undefined;
  let chars =
    len(h.pairId) + len(h.service) + len(h.method) + len(h.host) + len(h.path) + len(h.query) + len(h.requestId);
  chars += len(h.nodeId);
  const hs = Array.isArray(h.headers) ? h.headers : [];
  for (let i = 0; i < hs.length; i++) chars += len(hs[i]?.[0]) + len(hs[i]?.[1]) + 16;
  let bytes = body?.length ?? 0;
  const req = h.request; // the captured request (edge, opt-in): its body and headers are held too
  if (req) {
    bytes += req.body?.length ?? 0;
    for (const [n, v] of Array.isArray(req.headers) ? req.headers : []) chars += len(n) + len(v) + 16;
  }
  return bytes + HALF_OVERHEAD_BYTES + Math.max(0, 2 * chars - STRING_ALLOWANCE);
}

const STRING_ALLOWANCE = 512;
function len(s: unknown): number {
  return typeof s === 'string' ? s.length : 0;
}

function positive(v: number | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`Pairer: ${name} must be a positive number, got ${v}`);
  return Math.floor(v);
}
