// The replicated mode's observation log: "compare once, aggregate everywhere". The replica that
// completes a pair compares it (the expensive part, once) and appends the result to a Redis Stream;
// egress events go there too. Every replica reads the stream in order and applies each entry to its
// own report book and blast radius, so a report read on any replica shows every replica's pairs
// within milliseconds. Bounded: XADD MAXLEN ~ keeps the newest entries; a replica that falls behind
// past the trim skips the gap (counted) rather than replaying what is gone.
//
// A compared pair whose example a report would keep travels with that example already built
// (ComparedPair.example is a function the report book calls for the few pairs it keeps; across
// processes it must be data). The comparing replica asks its own report (ReportBook.wantsExample: the
// first few per endpoint, then one pair in ten by pair id — the same answer on every replica), so a
// mismatching pair costs one redacted example only when it will be shown. The example is a field of
// the entry of its own ('x', beside the observation 'o'): ~90 % of an entry's bytes on 2 KiB bodies,
// it is parsed by a replica only when its report book keeps it.
//
// Exactly once into the log: a compared pair is appended by the commit of its claim (RedisPairer.finish:
// the append and the pair's deletion are one script), and an egress event by a script that keeps each
// sender's highest appended seq — a filter that reconnects to another replica resends what was not
// acknowledged, and what an earlier replica already appended is dropped here instead of counted twice.
import { Redis } from 'ioredis';
import type { ComparedPair, PairExample } from '../compare/index.js';
import type { EgressEvent } from '../domain/types.js';
import type { LogEntry } from '../pairing/redis-pairer.js';
import type { ReportOrigin } from '../stream/delivery.js';

const STREAM = 'sg:observations';
const SENDERS = 'sg:sender:';

// KEYS: the sender's high-water mark, the stream. ARGV: seq (0: unnumbered), mark ttl (ms), max length, entry.
const APPEND_ONCE = `
local seq = tonumber(ARGV[1])
if seq > 0 then
  if seq <= tonumber(redis.call('GET', KEYS[1]) or '0') then return 0 end
  redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'o', ARGV[4])
return 1
`;

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
  private readonly writer: WriterRedis;
  private readonly reader: Redis;
  private readonly maxEntries: number;
  private running = false;
  private loop?: Promise<void>;
  private lastId = '$';
  /** gaps: a resume found its position already trimmed from the log (what was between is not replayed) */
  readonly counters = { appended: 0, applied: 0, unreadable: 0, appendErrors: 0, resent: 0, gaps: 0 };

  constructor(private readonly opts: ObservationLogOptions) {
    this.maxEntries = opts.maxEntries ?? 100_000;
    this.writer = new Redis(opts.url, {
      enableAutoPipelining: true, // the egress events of one Batch message leave in one write
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    }) as WriterRedis;
    this.writer.defineCommand('sgAppendOnce', { numberOfKeys: 2, lua: APPEND_ONCE });
    // a blocking XREAD needs a connection of its own
    this.reader = new Redis(opts.url, { maxRetriesPerRequest: null });
    for (const r of [this.writer, this.reader]) r.on('error', () => undefined);
  }

  /**
   * The log entry of an observation, appended by append() or by a commit's own script
   * (RedisPairer.finish). `withExample`: the pair's example travels too (replication.ts decides).
   */
  entry(o: Observation, withExample = false): LogEntry {
    if (o.kind !== 'pair') return { stream: STREAM, maxLen: this.maxEntries, data: JSON.stringify(o) };
    const data = JSON.stringify({ ...o, pair: { ...o.pair, example: undefined } });
    const example = withExample ? o.pair.example() : undefined;
    return { stream: STREAM, maxLen: this.maxEntries, data, ...(example ? { example: JSON.stringify(example) } : {}) };
  }

  /**
   * Appends one observation; resolves when Redis has it (callers ack after this). With an origin, a
   * copy of a report some replica already appended is dropped (resolves false).
   */
  async append(o: Observation, origin?: ReportOrigin, withExample = false): Promise<boolean> {
    const e = this.entry(o, withExample);
    try {
      const r = await this.writer.sgAppendOnce(
        `${SENDERS}${origin?.sender ?? ''}`,
        STREAM,
        origin?.seq ?? 0,
        SENDER_MARK_TTL_MS,
        e.maxLen,
        e.data,
      );
      if (r === 1) this.counters.appended++;
      else this.counters.resent++;
      return r === 1;
    } catch (err) {
      this.counters.appendErrors++;
      throw err;
    }
  }

  /** The id of the last entry applied (a restart resumes after it), or undefined before the first read. */
  position(): string | undefined {
    return this.lastId === '$' ? undefined : this.lastId;
  }

  /**
   * Reads every observation in order and hands it to `apply`: from now on, or after `from` (a saved
   * position) — then the entries appended before this start are `replayed` (reports catch up; the ramp
   * and the alerts, which judge the present, skip them). A position older than what the log still
   * holds (trimmed) resumes at its oldest entry, and says so.
   */
  async start(apply: (o: Observation, replayed: boolean) => void, from?: string): Promise<void> {
    if (this.running) return;
    this.running = true;
    // the newest entry now: reading starts after it, or replays up to it
    const startedAt = (await this.reader.xrevrange(STREAM, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
    let replayUntil = '0-0';
    if (from) {
      const head = await this.reader.xrange(STREAM, '-', '+', 'COUNT', 1);
      if (head[0] && compareIds(head[0][0], from) > 0 && compareIds(from, '0-0') > 0) this.counters.gaps++;
      this.lastId = from;
      replayUntil = startedAt;
    } else this.lastId = startedAt;
    this.loop = (async () => {
      while (this.running) {
        try {
          // As bytes: an entry's example field is decoded only if a report keeps it (parse()).
          const r = (await this.reader.xreadBuffer(
            'COUNT',
            500,
            'BLOCK',
            500,
            'STREAMS',
            STREAM,
            this.lastId,
          )) as Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;
          for (const [, entries] of r ?? []) {
            for (const [rawId, fields] of entries) {
              const id = rawId.toString();
              this.lastId = id;
              const o = parse(fields);
              if (!o) {
                this.counters.unreadable++;
                continue;
              }
              this.counters.applied++;
              // past the replayed part, no id needs comparing again
              const replayed = replayUntil !== '0-0' && compareIds(id, replayUntil) <= 0;
              if (!replayed) replayUntil = '0-0';
              apply(o, replayed);
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

// A sender's mark outlives any reconnect and resend of its queue (the filter resends within seconds).
const SENDER_MARK_TTL_MS = 10 * 60_000;

type WriterRedis = Redis & { sgAppendOnce(...args: Array<string | number>): Promise<number> };

/** Orders two stream ids ("ms-seq"). */
function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am !== bm ? am - bm : (as ?? 0) - (bs ?? 0);
}

/** The value of the one-letter field `name` ('o', 'x') in an entry's [name, value, name, value…]. */
function field(fields: Buffer[], name: 'o' | 'x'): Buffer | undefined {
  const c = name.charCodeAt(0);
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i].length === 1 && fields[i][0] === c) return fields[i + 1];
  return undefined;
}

function parse(fields: Buffer[]): Observation | undefined {
  try {
    const o = JSON.parse(field(fields, 'o')?.toString() ?? '') as {
      kind?: string;
      pair?: Omit<ComparedPair, 'example'> & { example?: PairExample };
      candidateStatus?: number;
      event?: EgressEvent;
    };
    if (o.kind === 'pair' && o.pair) {
      const x = field(fields, 'x');
      // an entry from before examples had a field of their own carries it inside the pair
      let example = o.pair.example;
      const lazy = () => (example ??= x ? (JSON.parse(x.toString()) as PairExample) : undefined);
      return {
        kind: 'pair',
        pair: { ...o.pair, example: lazy as () => PairExample },
        candidateStatus: o.candidateStatus ?? 0,
      };
    }
    if (o.kind === 'egress' && o.event) return { kind: 'egress', event: o.event };
  } catch {
    // counted by the caller
  }
  return undefined;
}
