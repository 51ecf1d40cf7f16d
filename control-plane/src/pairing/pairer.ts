// Pairing: joins the halves of one mirrored request (live, candidate, and secondary when the policy
// deploys one) by pair id within a window. Pure and synchronous; time comes from an injected clock.
//
// Promises:
// - A pair completes with live + candidate (+ secondary when needsSecondary); `add` returns it once.
// - Late halves (pair already completed, expired or evicted), duplicates (same side twice) and
//   orphans (incomplete past the window) are counted, never thrown, never kept.
// - Memory is bounded: at most `maxPending` pending pairs (the oldest is evicted and counted) and at
//   most `recentCapacity` remembered closed ids (only used to tell "late" from "new").
//
// API:
//   new Pairer({ windowMs = 30_000, maxPending = 10_000, recentCapacity = 2 * maxPending, now = Date.now })
//   add(half: Half, needsSecondary: boolean, scope?: string): CompletePair | undefined
//       scope (ingest: the policy name) separates pair ids: x-request-id propagates through the
//       mesh, so two services' halves may carry the same id and must not join each other.
//   expire(): CompletePair[]   drops incomplete pairs past the window (counted as orphaned); returns the
//                              ones that only miss their secondary (live + candidate present) so their
//                              live-vs-candidate comparison is not lost (they carry no `secondary`).
//   stats(): PairerStats       pending, completed, late, duplicate, orphaned, evicted, degraded, invalid
//   size(): number             pending pairs (same as stats().pending)
import type { Half } from '../domain/types.js';

export interface CompletePair { pairId: string; live: Half; candidate: Half; secondary?: Half }

export interface PairerOptions {
  windowMs?: number;
  maxPending?: number;
  recentCapacity?: number;
  now?: () => number;
}

export interface PairerStats {
  pending: number;
  completed: number;
  late: number;
  duplicate: number;
  orphaned: number;
  evicted: number;
  /** completed at expiry without their secondary (returned by expire()) */
  degraded: number;
  /** halves without a pair id or with an unknown side */
  invalid: number;
}

interface Pending {
  live?: Half;
  candidate?: Half;
  secondary?: Half;
  needsSecondary: boolean;
  deadline: number;
}

export class Pairer {
  private readonly windowMs: number;
  private readonly maxPending: number;
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
  private readonly counters = { completed: 0, late: 0, duplicate: 0, orphaned: 0, evicted: 0, degraded: 0, invalid: 0 };
  private readonly degradedQueue: CompletePair[] = [];

  constructor(opts: PairerOptions = {}) {
    this.windowMs = positive(opts.windowMs, 30_000, 'windowMs');
    this.maxPending = positive(opts.maxPending, 10_000, 'maxPending');
    this.recentCapacity = positive(opts.recentCapacity, this.maxPending * 2, 'recentCapacity');
    this.ring = new Array<string | undefined>(this.recentCapacity);
    this.now = opts.now ?? Date.now;
  }

  add(half: Half, needsSecondary: boolean, scope?: string): CompletePair | undefined {
    const now = this.now();
    this.sweep(now);
    const pairId = half?.pairId;
    if (typeof pairId !== 'string' || pairId === '') { this.counters.invalid++; return undefined; }
    const id = scope === undefined ? pairId : `${scope}\u0000${pairId}`;
    if (this.recent.has(id)) { this.counters.late++; return undefined; }
    let p = this.pending.get(id);
    if (p === undefined) {
      if (this.pending.size >= this.maxPending) this.evictOldest();
      p = { needsSecondary, deadline: now + this.windowMs };
      this.pending.set(id, p);
      this.queue.push({ id, p });
    }
    // the policy decides; the latest half carries the latest policy view
    p.needsSecondary = needsSecondary;
    switch (half.side) {
      case 'live': if (p.live) { this.counters.duplicate++; return undefined; } p.live = half; break;
      case 'candidate': if (p.candidate) { this.counters.duplicate++; return undefined; } p.candidate = half; break;
      case 'secondary': if (p.secondary) { this.counters.duplicate++; return undefined; } p.secondary = half; break;
      default:
        this.counters.invalid++;
        if (!p.live && !p.candidate && !p.secondary) this.pending.delete(id);
        return undefined;
    }
    if (p.live && p.candidate && (p.secondary || !p.needsSecondary)) {
      this.close(id);
      this.counters.completed++;
      const pair: CompletePair = { pairId, live: p.live, candidate: p.candidate };
      if (p.secondary) pair.secondary = p.secondary;
      return pair;
    }
    return undefined;
  }

  expire(): CompletePair[] {
    this.sweep(this.now());
    return this.degradedQueue.splice(0, this.degradedQueue.length);
  }

  stats(): PairerStats {
    return { pending: this.pending.size, ...this.counters };
  }

  size(): number { return this.pending.size; }

  private sweep(now: number): void {
    while (this.head < this.queue.length) {
      const e = this.queue[this.head];
      if (this.pending.get(e.id) !== e.p) { this.head++; continue; } // already closed
      if (e.p.deadline > now) break;
      this.head++;
      this.close(e.id);
      const p = e.p;
      if (p.live && p.candidate) {
        // only the secondary is missing: still worth comparing live vs candidate
        this.counters.degraded++;
        // bounded like pending: the caller drains it with expire()
        if (this.degradedQueue.length >= this.maxPending) { this.degradedQueue.shift(); this.counters.evicted++; }
        this.degradedQueue.push({ pairId: p.live.pairId, live: p.live, candidate: p.candidate });
      } else {
        this.counters.orphaned++;
      }
    }
    this.compact();
  }

  private evictOldest(): void {
    while (this.head < this.queue.length) {
      const e = this.queue[this.head++];
      if (this.pending.get(e.id) !== e.p) continue;
      this.close(e.id);
      this.counters.evicted++;
      return;
    }
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

function positive(v: number | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`Pairer: ${name} must be a positive number, got ${v}`);
  return Math.floor(v);
}
