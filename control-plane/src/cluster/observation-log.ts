// The replicated mode's observation log: "compare once, aggregate everywhere". The replica that
// completes a pair compares it (the expensive part, once) and appends the result to a Redis Stream;
// egress events go there too. Every replica reads the stream in order and applies each entry to its
// own report book and blast radius, so a report read on any replica shows every replica's pairs
// within milliseconds. Bounded: XADD MAXLEN ~ keeps the newest entries; a replica that falls behind
// past the trim skips the gap (counted) rather than replaying what is gone.
//
// A compared pair with differences travels with its example already built (ComparedPair.example is a
// function the report book calls for the few pairs it keeps; across processes it must be data), which
// costs the comparing replica one redacted example per such pair.
import { Redis } from 'ioredis';
import type { ComparedPair, PairExample } from '../compare/index.js';
import type { EgressEvent } from '../domain/types.js';

const STREAM = 'sg:observations';

/** A compared pair (with its candidate's status: the ramp's shadow-error guard reads it) or an egress event. */
export type Observation =
  | { kind: 'pair'; pair: ComparedPair; candidateStatus: number }
  | { kind: 'egress'; event: EgressEvent };

export interface ObservationLogOptions {
  url: string;
  /** entries kept in Redis (approximate, XADD MAXLEN ~) */
  maxEntries?: number;
  onError?(err: unknown): void;
}

export class ObservationLog {
  private readonly writer: Redis;
  private readonly reader: Redis;
  private readonly maxEntries: number;
  private running = false;
  private loop?: Promise<void>;
  private lastId = '$';
  readonly counters = { appended: 0, applied: 0, unreadable: 0, appendErrors: 0 };

  constructor(private readonly opts: ObservationLogOptions) {
    this.maxEntries = opts.maxEntries ?? 100_000;
    this.writer = new Redis(opts.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    // a blocking XREAD needs a connection of its own
    this.reader = new Redis(opts.url, { maxRetriesPerRequest: null });
    for (const r of [this.writer, this.reader]) r.on('error', () => undefined);
  }

  /** Appends one observation; resolves when Redis has it (callers ack their halves after this). */
  async append(o: Observation): Promise<void> {
    // The report book asks for an example only for a pair with a regression, so a pair without any
    // difference travels without one (most pairs of a healthy candidate: the example is the costly part).
    const data =
      o.kind === 'pair'
        ? JSON.stringify({
            ...o,
            pair: { ...o.pair, example: o.pair.candidate.length > 0 ? o.pair.example() : undefined },
          })
        : JSON.stringify(o);
    try {
      await this.writer.xadd(STREAM, 'MAXLEN', '~', this.maxEntries, '*', 'o', data);
      this.counters.appended++;
    } catch (err) {
      this.counters.appendErrors++;
      throw err;
    }
  }

  /** Reads every observation appended from now on, in order, and hands it to `apply`. */
  start(apply: (o: Observation) => void): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          const r = (await this.reader.xread('COUNT', 500, 'BLOCK', 500, 'STREAMS', STREAM, this.lastId)) as Array<
            [string, Array<[string, string[]]>]
          > | null;
          for (const [, entries] of r ?? []) {
            for (const [id, fields] of entries) {
              this.lastId = id;
              const o = parse(fields[1]);
              if (!o) {
                this.counters.unreadable++;
                continue;
              }
              this.counters.applied++;
              apply(o);
            }
          }
        } catch (err) {
          if (!this.running) return;
          this.opts.onError?.(err);
          await new Promise((res) => setTimeout(res, 500));
        }
      }
    })();
  }

  async close(): Promise<void> {
    this.running = false;
    this.reader.disconnect();
    // A read blocked while Redis is away may never settle: do not wait for it past a second.
    await Promise.race([this.loop?.catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
    await this.writer.quit().catch(() => this.writer.disconnect());
  }
}

function parse(data: string | undefined): Observation | undefined {
  try {
    const o = JSON.parse(data ?? '') as {
      kind?: string;
      pair?: ComparedPair & { example: PairExample };
      candidateStatus?: number;
      event?: EgressEvent;
    };
    if (o.kind === 'pair' && o.pair) {
      const example = o.pair.example;
      return { kind: 'pair', pair: { ...o.pair, example: () => example }, candidateStatus: o.candidateStatus ?? 0 };
    }
    if (o.kind === 'egress' && o.event) return { kind: 'egress', event: o.event };
  } catch {
    // counted by the caller
  }
  return undefined;
}
