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

// KEYS: pair hash, done marker, deadlines, stats, claims. ARGV: side, half bytes, needsSecondary (0/1),
// deadline (ms), ttl (ms), done ttl (ms), maxPending, maxPendingBytes, cost, claim token, claim deadline (ms).
const ADD = `
local pair, done, deadlines, stats, claims = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local side, half, needs = ARGV[1], ARGV[2], ARGV[3]
local deadline, ttl, doneTtl = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local maxPending, maxBytes, cost = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
if redis.call('EXISTS', done) == 1 then redis.call('HINCRBY', stats, 'late', 1) return {'late'} end
if redis.call('HEXISTS', pair, side) == 1 then redis.call('HINCRBY', stats, 'duplicate', 1) return {'duplicate'} end
local has = function(s) return s == side or redis.call('HEXISTS', pair, s) == 1 end
if has('live') and has('candidate') and (needs == '0' or has('secondary')) then
  local held = redis.call('HMGET', pair, 'live', 'candidate', 'secondary')
  local out = {'complete', side == 'live' and half or held[1], side == 'candidate' and half or held[2],
               side == 'secondary' and half or held[3]}
  -- claimed, not deleted: kept (with this half) until finish() commits the comparison
  redis.call('HSET', pair, side, half, 'claim', ARGV[10])
  redis.call('HINCRBY', pair, 'cost', cost)
  redis.call('PEXPIRE', pair, ttl)
  redis.call('ZREM', deadlines, pair)
  redis.call('ZADD', claims, tonumber(ARGV[11]), pair)
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

// KEYS: pair hash, claims, stats, stream. ARGV: claim token, stream max length, the entry's one field.
// Commits a claimed pair: appends its comparison to the observation log and deletes it, in one step,
// only while the token still holds the claim (0: another replica took it over, drop this result).
const FINISH = `
if redis.call('HGET', KEYS[1], 'claim') ~= ARGV[1] then return 0 end
if ARGV[3] ~= '' then redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[2], '*', 'o', ARGV[3]) end
local cost = redis.call('HGET', KEYS[1], 'cost')
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], KEYS[1])
redis.call('HINCRBY', KEYS[3], 'pendingBytes', -(tonumber(cost) or 0))
return 1
`;

/** An observation-log entry a commit appends (cluster/observation-log.ts encodes it). */
export interface LogEntry {
  stream: string;
  maxLen: number;
  data: string;
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
  sgAddBuffer(...args: Array<string | Buffer | number>): Promise<Array<Buffer | null>>;
  sgExpireBuffer(...args: Array<string | Buffer | number>): Promise<Buffer[]>;
  sgFinish(...args: Array<string | Buffer | number>): Promise<number>;
};

let replicas = 0;

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
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      lazyConnect: false,
      retryStrategy: (times) => Math.min(times * 100, 1000),
    }) as RedisWithScripts;
    this.redis.on('error', () => undefined); // reconnects by itself; each failed command is reported to its caller
    this.redis.defineCommand('sgAdd', { numberOfKeys: 5, lua: ADD });
    this.redis.defineCommand('sgExpire', { numberOfKeys: 3, lua: EXPIRE });
    this.redis.defineCommand('sgFinish', { numberOfKeys: 4, lua: FINISH });
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
  async add(half: Half, needsSecondary: boolean, scope?: string): Promise<CompletePair | undefined> {
    const pairId = half?.pairId;
    const side = half?.side;
    if (typeof pairId !== 'string' || pairId === '' || !['live', 'candidate', 'secondary'].includes(side)) {
      this.local.invalid++;
      return undefined;
    }
    const id = `${scope ?? ''}\u0000${pairId}`;
    const key = `${PREFIX}pair:${id}`;
    const token = this.token();
    const bytes = Buffer.from(encodeFilterMessage({ kind: 'half', half, seq: 0 }));
    const now = this.now();
    const r = await this.redis.sgAddBuffer(
      key,
      `${PREFIX}done:${id}`,
      DEADLINES,
      STATS,
      CLAIMS,
      side,
      bytes,
      needsSecondary ? '1' : '0',
      now + this.windowMs,
      this.pairTtl(),
      this.windowMs * 2,
      this.maxPending,
      this.maxPendingBytes,
      halfBytes(half),
      token,
      now + this.claimMs,
    );
    if (String(r[0]) !== 'complete') return undefined;
    const pair: CompletePair = {
      pairId,
      live: decodeHalf(r[1]),
      candidate: decodeHalf(r[2]),
      claim: { key, token },
    };
    if (r[3]) pair.secondary = decodeHalf(r[3]);
    return pair;
  }

  /**
   * Commits a claimed pair: appends `entry` (its comparison, for the observation log) and deletes the
   * pair in one step. false when the claim was taken over meanwhile (the new holder commits instead).
   */
  async finish(claim: PairClaim, entry?: LogEntry): Promise<boolean> {
    const r = await this.redis.sgFinish(
      claim.key,
      CLAIMS,
      STATS,
      entry?.stream ?? `${PREFIX}none`,
      claim.token,
      entry?.maxLen ?? 0,
      entry?.data ?? '',
    );
    return r === 1;
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
