// Delivery: at-least-once halves and events made exactly-once at ingest (docs/architecture.md,
// "Delivery guarantees"). Pure bookkeeping, no I/O: the session asks accept(seq) before handing a
// numbered report to ingest, and sends the sender's high-water mark back as Delivered.
//
// A sender is one filter VM's report queue: Hello node_id + plugin + worker + epoch (the epoch is
// drawn when the queue is created, so a restarted VM numbering from 1 again is a new sender). The
// filter numbers 1, 2, 3… and sends in order on each stream, resending after a reconnect from its
// oldest unacknowledged message; so one high-water mark per sender is the whole dedup state: a seq at
// or below it was already received. Gaps (messages the filter's full queue dropped) are fine.
// Bounded: at most maxSenders marks, least recently connected forgotten first (counted: a forgotten
// sender's late resend would be accepted again, so the bound is far above the live VM count).
import type { NodeHello } from '../domain/types.js';
import { nodeKey } from '../nodes/registry.js';

export interface DeliveryStats {
  /** numbered reports accepted (first copies) */
  accepted: number;
  /** numbered reports dropped as copies of ones already received */
  duplicates: number;
  /** reports without a seq (filters older than delivery numbering): accepted, never deduplicated */
  unnumbered: number;
  /** senders whose high-water mark is kept */
  senders: number;
  /** senders forgotten to stay within maxSenders */
  forgotten: number;
}

/** Where a numbered report came from: one filter VM's queue (Sender.key) and its seq. */
export interface ReportOrigin {
  sender: string;
  seq: number;
}

export interface Sender {
  /** the filter VM's report queue across its streams: node, plugin, worker and the queue's epoch */
  readonly key: string;
  /** everything up to this seq is delivered: received, and stored when its handling was asynchronous */
  readonly delivered: number;
  /** true for a first copy (hand it to ingest), false for a duplicate (drop it); seq 0 is unnumbered: accepted */
  accept(seq: number): boolean;
  /**
   * An accepted seq whose handling finishes later (the replicated mode stores halves in Redis):
   * `delivered` stays below it until `done` settles. A failure rewinds the mark below it, so the
   * filter's resend after a reconnect is accepted again; the returned promise rejects with it.
   */
  settle(seq: number, done: Promise<unknown>): Promise<void>;
}

/** A function that asks for a Delivered: the first call in an event-loop turn schedules one send of the
 *  sender's mark after the turn, so every message read in it is acknowledged by one message. */
export function coalescedAck(sender: Sender, send: (seq: number) => void): () => void {
  let due = false;
  return () => {
    if (due) return;
    due = true;
    setImmediate(() => {
      due = false;
      send(sender.delivered);
    });
  };
}

interface Mark {
  /** highest seq received */
  delivered: number;
  /** accepted seqs still being handled, ascending */
  inFlight: number[];
}

export class DeliveryLedger {
  private readonly marks = new Map<string, Mark>();
  private readonly maxSenders: number;
  private readonly counters = { accepted: 0, duplicates: 0, unnumbered: 0, forgotten: 0 };

  constructor(opts: { maxSenders?: number } = {}) {
    this.maxSenders = opts.maxSenders ?? 65_536;
  }

  sender(hello: NodeHello): Sender {
    const key = `${nodeKey(hello)}@${hello.epoch ?? 0}`;
    const mark = this.marks.get(key) ?? { delivered: 0, inFlight: [] };
    this.marks.delete(key); // re-insert: Map order is recency of connection
    this.marks.set(key, mark);
    for (const oldest of this.marks.keys()) {
      if (this.marks.size <= this.maxSenders) break;
      this.marks.delete(oldest);
      this.counters.forgotten++;
    }
    const c = this.counters;
    return {
      key,
      get delivered() {
        return mark.inFlight.length > 0 ? Math.min(mark.delivered, mark.inFlight[0] - 1) : mark.delivered;
      },
      settle(seq: number, done: Promise<unknown>): Promise<void> {
        mark.inFlight.push(seq); // seqs arrive in order on a stream: the array stays sorted
        const remove = () => {
          const i = mark.inFlight.indexOf(seq);
          if (i >= 0) mark.inFlight.splice(i, 1);
        };
        return done.then(remove, (err: unknown) => {
          remove();
          mark.delivered = Math.min(mark.delivered, seq - 1);
          throw err;
        });
      },
      accept(seq: number): boolean {
        if (seq === 0) {
          c.unnumbered++;
          return true;
        }

        if (seq <= mark.delivered) {
          c.duplicates++;
          return false;
        }
        mark.delivered = seq;
        c.accepted++;
        return true;
      },
    };
  }

  unnumbered(): void {
    this.counters.unnumbered++;
  }

  stats(): DeliveryStats {
    return { ...this.counters, senders: this.marks.size };
  }
}
