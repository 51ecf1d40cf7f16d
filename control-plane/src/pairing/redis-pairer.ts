// Shared pairing for the replicated mode: the halves of one mirrored request meet in Redis, whichever
// replica each half reached. One Lua script makes arrival atomic — late (the pair already completed:
// a done marker), duplicate (that side is already there), stored, or complete — so exactly one replica
// receives each complete pair and compares it. Expiry pops due pairs atomically (a deadline sorted
// set): the replica that pops a pair holding live + candidate but missing its secondary compares it
// degraded; the rest are orphans. Bounds hold in Redis too: at most maxPending pairs and
// maxPendingBytes held, oldest evicted first. Counters (PairerStats) are shared, so every replica
// reports the same figures.
//
// A completed pair is claimed, not deleted: it stays in Redis with the completing replica's token
// until finish() commits the comparison (appending it to the observation log in the same script) and
// deletes it. A replica killed between completion and commit leaves a claim that expires after
// claimMs; the next expiry tick on any replica takes it over with a new token and compares it, and a
// late commit under the old token is refused — so a kill never loses a pair its halves' filters saw
// acknowledged, and no pair reaches the log twice. After maxClaims handovers the pair is abandoned
// (counted): a pair that crashes every replica's comparison must not circulate for ever.
//
// Halves travel as the stream's own protobuf (codec.ts): compact, and decoded by the same code.
// The scripts touch keys they derive (the oldest pair to evict): a standalone Redis or a primary,
// not Redis Cluster.
import { Redis } from 'ioredis';
import type { Half } from '../domain/types.js';
import { decodeFilterMessage, encodeFilterMessage } from '../stream/codec.js';
import {
  halfBytes,
  PAIR_COUNTERS,
  PAIRING_DEFAULTS,
  zeroCounts,
  type CompletePair,
  type PairClaim,
  type PairerStats,
} from './pairer.js';

const PREFIX = 'sg:';
const DEADLINES = `${PREFIX}pairs:deadlines`;
const CLAIMS = `${PREFIX}pairs:claims`;
const STATS = `${PREFIX}pairs:stats`;
const COUNTERS = [...PAIR_COUNTERS, 'reclaimed', 'abandoned'] as const;

// The halves that reach add() in one turn of the event loop (a Batch message carries up to 32 per
// stream) arrive in one call of this script, each in turn exactly as if alone: one command instead of
// one per half (ioredis's command building and Redis's dispatch were ~12 % of a replica's CPU).
// KEYS: deadlines, stats, claims, then per half its pair hash and done marker.
// ARGV: deadline (ms), ttl (ms), done ttl (ms), maxPending, maxPendingBytes, claim deadline (ms), then
// per half: side, half bytes, needsSecondary (0/1), cost, claim token.
// Returns per half {'late'|'duplicate'|'oversized'|'stored'} or {'complete', live, candidate, secondary},
// the arriving side's own half left empty (the replica holds it already: no copy back, no decode).
const ADD = `
local deadlines, stats, claims = KEYS[1], KEYS[2], KEYS[3]
local deadline, ttl, doneTtl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local maxPending, maxBytes, claimUntil = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local arrive = function(pair, done, side, half, needs, cost, token)
  if redis.call('EXISTS', done) == 1 then redis.call('HINCRBY', stats, 'late', 1) return {'late'} end
  if redis.call('HEXISTS', pair, side) == 1 then redis.call('HINCRBY', stats, 'duplicate', 1) return {'duplicate'} end
  local has = function(s) return s == side or redis.call('HEXISTS', pair, s) == 1 end
  if has('live') and has('candidate') and (needs == '0' or has('secondary')) then
    local held = redis.call('HMGET', pair, 'live', 'candidate', 'secondary')
    local out = {'complete', side == 'live' and '' or held[1], side == 'candidate' and '' or held[2],
                 side == 'secondary' and '' or held[3]}
    -- claimed, not deleted: kept (with this half) until finish() commits the comparison
    redis.call('HSET', pair, side, half, 'claim', token)
    redis.call('HINCRBY', pair, 'cost', cost)
    redis.call('PEXPIRE', pair, ttl)
    redis.call('ZREM', deadlines, pair)
    redis.call('ZADD', claims, claimUntil, pair)
    redis.call('SET', done, '1', 'PX', doneTtl)
    redis.call('HINCRBY', stats, 'pendingBytes', cost)
    redis.call('HINCRBY', stats, 'completed', 1)
    return out
  end
  if cost > maxBytes then redis.call('HINCRBY', stats, 'oversized', 1) return {'oversized'} end
  local fresh = redis.call('EXISTS', pair) == 0
  local bytes = tonumber(redis.call('HGET', stats, 'pendingBytes') or '0')
  while (fresh and redis.call('ZCARD', deadlines) >= maxPending) or bytes + cost > maxBytes do
    local oldest = redis.call('ZRANGE', deadlines, 0, 0)[1]
    if not oldest then break end
    local c = tonumber(redis.call('HGET', oldest, 'cost') or '0')
    redis.call('DEL', oldest)
    redis.call('ZREM', deadlines, oldest)
    bytes = redis.call('HINCRBY', stats, 'pendingBytes', -c)
    redis.call('HINCRBY', stats, 'evicted', 1)
    if oldest == pair then fresh = true end
  end
  if fresh then redis.call('ZADD', deadlines, deadline, pair) end
  redis.call('HSET', pair, side, half, 'needs', needs)
  redis.call('HINCRBY', pair, 'cost', cost)
  redis.call('PEXPIRE', pair, ttl)
  redis.call('HINCRBY', stats, 'pendingBytes', cost)
  return {'stored'}
end
local out = {}
for i = 0, (#KEYS - 3) / 2 - 1 do
  local a = 7 + 5 * i
  out[i + 1] = arrive(KEYS[4 + 2 * i], KEYS[5 + 2 * i], ARGV[a], ARGV[a + 1], ARGV[a + 2], tonumber(ARGV[a + 3]), ARGV[a + 4])
end
return out
`;

// KEYS: deadlines, stats, claims. ARGV: now (ms), batch size, done ttl (ms), done key prefix, pair key
// prefix, claim token prefix, claim deadline (ms), pair ttl (ms), max claims.
// Pops due pairs and stale claims; returns [key, live, candidate, secondary or '', token] for each pair
// this replica now holds: those that only miss their secondary, and completed pairs whose claim expired.
const EXPIRE = `
local deadlines, stats, claims = KEYS[1], KEYS[2], KEYS[3]
local now, batch, tokens, claimUntil = ARGV[1], tonumber(ARGV[2]), ARGV[6], tonumber(ARGV[7])
local out = {}
local hold = function(pair, token, live, candidate, secondary)
  redis.call('HSET', pair, 'claim', token)
  redis.call('PEXPIRE', pair, tonumber(ARGV[8]))
  redis.call('ZADD', claims, claimUntil, pair)
  for _, v in ipairs({pair, live, candidate, secondary or '', token}) do table.insert(out, v) end
end
local drop = function(pair, cost, counter)
  redis.call('DEL', pair)
  redis.call('HINCRBY', stats, 'pendingBytes', -(tonumber(cost) or 0))
  redis.call('HINCRBY', stats, counter, 1)
end
local due = redis.call('ZRANGEBYSCORE', deadlines, '-inf', now, 'LIMIT', 0, batch)
for i, pair in ipairs(due) do
  local h = redis.call('HMGET', pair, 'live', 'candidate', 'needs', 'cost')
  redis.call('ZREM', deadlines, pair)
  redis.call('SET', ARGV[4] .. string.sub(pair, string.len(ARGV[5]) + 1), '1', 'PX', tonumber(ARGV[3]))
  if h[1] and h[2] and h[3] == '1' then
    redis.call('HINCRBY', stats, 'degraded', 1)
    hold(pair, tokens .. 'd' .. i, h[1], h[2], nil)
  else
    drop(pair, h[4], 'orphaned')
  end
end
local stale = redis.call('ZRANGEBYSCORE', claims, '-inf', now, 'LIMIT', 0, batch)
for i, pair in ipairs(stale) do
  local h = redis.call('HMGET', pair, 'live', 'candidate', 'secondary', 'cost')
  if not h[1] then
    redis.call('ZREM', claims, pair)
  elseif redis.call('HINCRBY', pair, 'handovers', 1) > tonumber(ARGV[9]) then
    redis.call('ZREM', claims, pair)
    drop(pair, h[4], 'abandoned')
  else
    redis.call('HINCRBY', stats, 'reclaimed', 1)
    hold(pair, tokens .. 'r' .. i, h[1], h[2], h[3])
  end
end
return out
`;

// Commits claimed pairs: appends each one's comparison to the observation log and deletes it, in one
// step, only while its token still holds the claim (0: another replica took it over, drop this result).
// The commits of one event-loop turn go in one call, each as if alone (like arrivals: one command).
// KEYS: claims, stats, stream, then each pair's hash. ARGV: stream max length, then per pair: claim
// token, the entry's observation ('' for none) and its example ('' for none).
const FINISH = `
local claims, stats, stream, maxLen = KEYS[1], KEYS[2], KEYS[3], ARGV[1]
local out = {}
for i = 4, #KEYS do
  local pair, a = KEYS[i], 2 + 3 * (i - 4)
  local data, example = ARGV[a + 1], ARGV[a + 2]
  if redis.call('HGET', pair, 'claim') ~= ARGV[a] then out[i - 3] = 0 else
    if data ~= '' then
      if example ~= '' then redis.call('XADD', stream, 'MAXLEN', '~', maxLen, '*', 'o', data, 'x', example)
      else redis.call('XADD', stream, 'MAXLEN', '~', maxLen, '*', 'o', data) end
    end
    local cost = redis.call('HGET', pair, 'cost')
    redis.call('DEL', pair)
    redis.call('ZREM', claims, pair)
    redis.call('HINCRBY', stats, 'pendingBytes', -(tonumber(cost) or 0))
    out[i - 3] = 1
  end
end
return out
`;

/** An observation-log entry a commit appends (cluster/observation-log.ts encodes it). */
export interface LogEntry {
  stream: string;
  maxLen: number;
  data: string;
  /** the compared pair's example, a field of its own (replicas parse it only when a report keeps it) */
  example?: string;
}

export interface RedisPairerOptions {
  url: string;
  windowMs?: number;
  maxPending?: number;
  maxPendingBytes?: number;
  /** how long a completed pair waits for its replica's commit before another replica takes it over */
  claimMs?: number;
  /** handovers before a claimed pair is abandoned */
  maxClaims?: number;
  now?: () => number;
}

type RedisWithScripts = Redis & {
  // the *Buffer variants ioredis defines beside each script: replies stay bytes (halves are protobuf)
  sgAddBuffer(...args: Array<string | Buffer | number>): Promise<Array<Array<Buffer | null>>>;
  sgExpireBuffer(...args: Array<string | Buffer | number>): Promise<Buffer[]>;
  sgFinish(...args: Array<string | Buffer | number>): Promise<number[]>;
};

let replicas = 0;

/** A half on its way into Redis: sendArrivals() settles its add() promise with the script's answer. */
interface Arrival {
  half: Half;
  id: string;
  needsSecondary: boolean;
  token?: string;
  resolve(pair: CompletePair | undefined): void;
  reject(err: unknown): void;
}
/** A commit on its way to Redis: sendFinishes() settles its finish() promise. */
interface Commit {
  claim: PairClaim;
  entry?: LogEntry;
  resolve(committed: boolean): void;
  reject(err: unknown): void;
}
/** halves (and commits) per script call at most (a call blocks Redis while it runs: ~10 µs a half) */
const MAX_ARRIVALS = 128;

/**
 * What reaches it in one turn of the event loop, handed over together right after that turn (at most
 * MAX_ARRIVALS at a time, the rest in the next tick): one script call instead of one per item.
 */
class TurnQueue<T> {
  private items: T[] = [];
  constructor(private readonly send: (taken: T[]) => void) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length === 1) process.nextTick(() => this.flush());
  }

  private flush(): void {
    const taken = this.items.splice(0, MAX_ARRIVALS);
    if (this.items.length > 0) process.nextTick(() => this.flush());
    this.send(taken);
  }
}

export class RedisPairer {
  readonly redis: RedisWithScripts;
  private readonly windowMs: number;
  private readonly maxPending: number;
  private readonly maxPendingBytes: number;
  private readonly claimMs: number;
  private readonly maxClaims: number;
  private readonly now: () => number;
  // claim tokens: unique per pairer instance (process id, instance, a counter), never reused
  private readonly tokenPrefix = `${process.pid}.${++replicas}.${Date.now().toString(36)}.`;
  private tokens = 0;
  private stats_: PairerStats = emptyStats();
  /** halves added in this turn of the event loop, for one script call (sendArrivals) */
  private readonly arriving = new TurnQueue<Arrival>((taken) => this.sendArrivals(taken));
  /** commits asked for in this turn of the event loop, for one script call (sendFinishes) */
  private readonly finishing = new TurnQueue<Commit>((taken) => this.sendFinishes(taken));
  private readonly local = { invalid: 0 };

  constructor(opts: RedisPairerOptions) {
    this.windowMs = opts.windowMs ?? PAIRING_DEFAULTS.windowMs;
    this.maxPending = opts.maxPending ?? PAIRING_DEFAULTS.maxPending;
    this.maxPendingBytes = opts.maxPendingBytes ?? PAIRING_DEFAULTS.maxPendingBytes;
    this.claimMs = opts.claimMs ?? 10_000;
    this.maxClaims = opts.maxClaims ?? 3;
    this.now = opts.now ?? Date.now;
    // Fail fast instead of queueing commands while Redis is away: a half that cannot be stored is
    // not acknowledged (the filter resends it), it is never held here without bound.
    this.redis = new Redis(opts.url, {
      // The halves of one Batch message reach add() in one event-loop turn: their scripts leave in one
      // socket write instead of one write (and one Redis read) each — 15 % of a replica's CPU in the
      // stream bench's profile was those writes.
      enableAutoPipelining: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      lazyConnect: false,
      retryStrategy: (times) => Math.min(times * 100, 1000),
    }) as RedisWithScripts;
    this.redis.on('error', () => undefined); // reconnects by itself; each failed command is reported to its caller
    this.redis.defineCommand('sgAdd', { lua: ADD }); // the number of keys is the call's first argument
    this.redis.defineCommand('sgExpire', { numberOfKeys: 3, lua: EXPIRE });
    this.redis.defineCommand('sgFinish', { lua: FINISH }); // the number of keys is the call's first argument
  }

  /** Resolves when connected (start-up waits for it: a replica without its shared pairing is not ready). */
  async ready(timeoutMs = 10_000): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        this.redis.off('ready', ok);
        reject(new Error(`Redis did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const ok = () => {
        clearTimeout(t);
        resolve();
      };
      this.redis.once('ready', ok);
    });
  }

  /** Resolves once the half is stored in Redis (or counted late/duplicate); with the pair when it completed it. */
  add(half: Half, needsSecondary: boolean, scope?: string): Promise<CompletePair | undefined> {
    const pairId = half?.pairId;
    const side = half?.side;
    if (typeof pairId !== 'string' || pairId === '' || !['live', 'candidate', 'secondary'].includes(side)) {
      this.local.invalid++;
      return Promise.resolve(undefined);
    }
    const id = `${scope ?? ''}\u0000${pairId}`;
    return new Promise((resolve, reject) => {
      this.arriving.push({ half, id, needsSecondary, resolve, reject });
    });
  }

  private sendArrivals(taken: Arrival[]): void {
    const batch: Arrival[] = [];
    const keys: string[] = [];
    const perHalf: Array<string | Buffer | number> = [];
    for (const a of taken) {
      let bytes: Buffer;
      try {
        bytes = encodeFilterMessage({ kind: 'half', half: a.half, seq: 0 }); // a Buffer already: no copy
      } catch (err) {
        a.reject(err); // this half only (in a tick of its own: a throw here would end the process)
        continue;
      }
      a.token = this.token();
      batch.push(a);
      keys.push(`${PREFIX}pair:${a.id}`, `${PREFIX}done:${a.id}`);
      perHalf.push(a.half.side, bytes, a.needsSecondary ? '1' : '0', halfBytes(a.half), a.token);
    }
    if (batch.length === 0) return;
    const now = this.now();
    this.redis
      .sgAddBuffer(
        3 + keys.length,
        DEADLINES,
        STATS,
        CLAIMS,
        ...keys,
        now + this.windowMs,
        this.pairTtl(),
        this.windowMs * 2,
        this.maxPending,
        this.maxPendingBytes,
        now + this.claimMs,
        ...perHalf,
      )
      .then(
        (replies) => {
          for (const [i, a] of batch.entries()) {
            try {
              a.resolve(this.arrived(a, replies[i]));
            } catch (err) {
              a.reject(err);
            }
          }
        },
        (err: unknown) => {
          for (const a of batch) a.reject(err);
        },
      );
  }

  /** The pair an arrival completed, from the script's reply for it (undefined: stored, late, …). */
  private arrived(a: Arrival, r: Array<Buffer | null>): CompletePair | undefined {
    if (String(r[0]) !== 'complete') return undefined;
    const { half } = a;
    const held = (i: number, s: Half['side']) => (s === half.side ? half : decodeHalf(r[i]));
    const pair: CompletePair = {
      pairId: half.pairId,
      live: held(1, 'live'),
      candidate: held(2, 'candidate'),
      claim: { key: `${PREFIX}pair:${a.id}`, token: a.token! },
    };
    if (half.side === 'secondary' || r[3]) pair.secondary = held(3, 'secondary');
    return pair;
  }

  /**
   * Commits a claimed pair: appends `entry` (its comparison, for the observation log) and deletes the
   * pair in one step. false when the claim was taken over meanwhile (the new holder commits instead).
   */
  finish(claim: PairClaim, entry?: LogEntry): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.finishing.push({ claim, entry, resolve, reject });
    });
  }

  /**
   * This turn's commits in one script call per log stream (there is one: observation-log.ts), at most
   * MAX_ARRIVALS a call; a commit without an entry appends nothing and joins any call.
   */
  private sendFinishes(taken: Commit[]): void {
    const calls = new Map<string, { maxLen: number; commits: Commit[] }>();
    for (const c of taken) {
      const stream = c.entry?.stream ?? calls.keys().next().value ?? `${PREFIX}none`;
      const call = calls.get(stream) ?? calls.set(stream, { maxLen: 0, commits: [] }).get(stream)!;
      if (c.entry) call.maxLen = c.entry.maxLen;
      call.commits.push(c);
    }
    for (const [stream, { maxLen, commits }] of calls) {
      const keys = commits.map((c) => c.claim.key);
      const perPair = commits.flatMap((c) => [c.claim.token, c.entry?.data ?? '', c.entry?.example ?? '']);
      this.redis.sgFinish(3 + keys.length, CLAIMS, STATS, stream, ...keys, maxLen, ...perPair).then(
        (r) => {
          for (const [i, c] of commits.entries()) c.resolve(r[i] === 1);
        },
        (err: unknown) => {
          for (const c of commits) c.reject(err);
        },
      );
    }
  }

  /** Lets go of a claimed pair nobody will compare (ingest: no policy, or the engine refused it). */
  discard(pair: CompletePair): void {
    if (pair.claim) this.finish(pair.claim).catch(() => undefined); // else its claim expires: abandoned after maxClaims
  }

  /**
   * Pops the pairs past their window and the claims past their deadline (any replica may; each is
   * taken once): the pairs to compare here, each claimed by this replica until finish().
   */
  async expire(): Promise<CompletePair[]> {
    const out: CompletePair[] = [];
    const now = this.now();
    const flat = await this.redis.sgExpireBuffer(
      DEADLINES,
      STATS,
      CLAIMS,
      now,
      1000,
      this.windowMs * 2,
      `${PREFIX}done:`,
      `${PREFIX}pair:`,
      this.token(),
      now + this.claimMs,
      this.pairTtl(),
      this.maxClaims,
    );
    for (let i = 0; i + 4 < flat.length; i += 5) {
      const live = decodeHalf(flat[i + 1]);
      const pair: CompletePair = {
        pairId: live.pairId,
        live,
        candidate: decodeHalf(flat[i + 2]),
        claim: { key: flat[i].toString(), token: flat[i + 4].toString() },
      };
      if (flat[i + 3].length > 0) pair.secondary = decodeHalf(flat[i + 3]);
      out.push(pair);
    }
    return out;
  }

  /** Nothing to hand over at shutdown: pending pairs stay in Redis for the other replicas. */
  flushDegraded(): CompletePair[] {
    return [];
  }

  /** The shared counters as last read (refresh() reads them; /metrics calls it before a scrape). */
  stats(): PairerStats {
    return { ...this.stats_, invalid: this.stats_.invalid + this.local.invalid };
  }

  async refresh(): Promise<PairerStats> {
    const [h, pending] = await Promise.all([this.redis.hgetall(STATS), this.redis.zcard(DEADLINES)]);
    const s = emptyStats();
    for (const k of COUNTERS) s[k] = Number(h[k] ?? 0);
    s.pendingBytes = Number(h.pendingBytes ?? 0);
    s.pending = pending;
    this.stats_ = s;
    return this.stats();
  }

  private token(): string {
    return `${this.tokenPrefix}${++this.tokens}.`;
  }

  /** A held pair outlives every claim it can go through (each handover extends it again). */
  private pairTtl(): number {
    return Math.max(this.windowMs * 2, this.claimMs * (this.maxClaims + 2));
  }

  size(): number {
    return this.stats_.pending;
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

function decodeHalf(b: Buffer | null | undefined): Half {
  const d = b ? decodeFilterMessage(b) : undefined;
  if (!d?.ok || d.value.kind !== 'half') throw new Error('a pending half in Redis is unreadable');
  return d.value.half;
}

function emptyStats(): PairerStats {
  return { pending: 0, pendingBytes: 0, ...zeroCounts(COUNTERS) };
}
