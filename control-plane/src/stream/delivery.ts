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
//
// Public API:
//   interface DeliveryStats { accepted; duplicates; unnumbered; senders; forgotten }
//   class DeliveryLedger {
//     constructor(opts?: { maxSenders?: number /* 65 536 */ })
//     sender(hello: NodeHello): Sender   // on Hello; a reconnect of the same sender resumes its mark
//     unnumbered(): void                 // counts a report without seq (always accepted)
//     stats(): DeliveryStats
//   }
//   interface Sender { readonly delivered: number; accept(seq: number): boolean }
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

export interface Sender {
  /** highest seq received from this sender: everything up to it is delivered */
  readonly delivered: number;
  /** true for a first copy (hand it to ingest), false for a duplicate (drop it); seq 0 is unnumbered: accepted */
  accept(seq: number): boolean;
}

interface Mark {
  delivered: number;
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
    const mark = this.marks.get(key) ?? { delivered: 0 };
    this.marks.delete(key); // re-insert: Map order is recency of connection
    this.marks.set(key, mark);
    for (const oldest of this.marks.keys()) {
      if (this.marks.size <= this.maxSenders) break;
      this.marks.delete(oldest);
      this.counters.forgotten++;
    }
    const c = this.counters;
    return {
      get delivered() {
        return mark.delivered;
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
