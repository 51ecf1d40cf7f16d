// Shared pairing for the replicated mode: the halves of one mirrored request meet in Redis, whichever
// replica each half reached. One Lua script makes arrival atomic — late (the pair already completed:
// a done marker), duplicate (that side is already there), stored, or complete (all halves returned
// and the pair deleted in the same step) — so exactly one replica receives each complete pair and
// compares it. Expiry pops due pairs atomically (a deadline sorted set): the replica that pops a pair
// holding live + candidate but missing its secondary compares it degraded; the rest are orphans.
// Bounds hold in Redis too: at most maxPending pairs and maxPendingBytes held, oldest evicted first.
// Counters (PairerStats) are shared, so every replica reports the same figures.
//
// Halves travel as the stream's own protobuf (codec.ts): compact, and decoded by the same code.
// The scripts touch keys they derive (the oldest pair to evict): a standalone Redis or a primary,
// not Redis Cluster.
import { Redis } from 'ioredis';
import type { Half } from '../domain/types.js';
import { decodeFilterMessage, encodeFilterMessage } from '../stream/codec.js';
import { halfBytes, PAIRING_DEFAULTS, type CompletePair, type PairerStats } from './pairer.js';

const PREFIX = 'sg:';
const DEADLINES = `${PREFIX}pairs:deadlines`;
const STATS = `${PREFIX}pairs:stats`;
const COUNTERS = ['completed', 'late', 'duplicate', 'orphaned', 'evicted', 'degraded', 'invalid', 'oversized'] as const;

// KEYS: pair hash, done marker, deadlines, stats. ARGV: side, half bytes, needsSecondary (0/1),
// deadline (ms), ttl (ms), done ttl (ms), maxPending, maxPendingBytes, cost.
const ADD = `
local pair, done, deadlines, stats = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local side, half, needs = ARGV[1], ARGV[2], ARGV[3]
local deadline, ttl, doneTtl = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local maxPending, maxBytes, cost = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
if redis.call('EXISTS', done) == 1 then redis.call('HINCRBY', stats, 'late', 1) return {'late'} end
if redis.call('HEXISTS', pair, side) == 1 then redis.call('HINCRBY', stats, 'duplicate', 1) return {'duplicate'} end
local has = function(s) return s == side or redis.call('HEXISTS', pair, s) == 1 end
if has('live') and has('candidate') and (needs == '0' or has('secondary')) then
  local held = redis.call('HMGET', pair, 'live', 'candidate', 'secondary', 'cost')
  local out = {'complete', side == 'live' and half or held[1], side == 'candidate' and half or held[2],
               side == 'secondary' and half or held[3]}
  redis.call('DEL', pair)
  redis.call('ZREM', deadlines, pair)
  redis.call('SET', done, '1', 'PX', doneTtl)
  redis.call('HINCRBY', stats, 'pendingBytes', -(tonumber(held[4]) or 0))
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

// KEYS: deadlines, stats. ARGV: now (ms), batch size, done ttl (ms), done key prefix.
// Pops due pairs; returns [live, candidate] of those that only miss their secondary.
const EXPIRE = `
local deadlines, stats = KEYS[1], KEYS[2]
local due = redis.call('ZRANGEBYSCORE', deadlines, '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, pair in ipairs(due) do
  local h = redis.call('HMGET', pair, 'live', 'candidate', 'needs', 'cost')
  redis.call('DEL', pair)
  redis.call('ZREM', deadlines, pair)
  redis.call('HINCRBY', stats, 'pendingBytes', -(tonumber(h[4]) or 0))
  redis.call('SET', ARGV[4] .. string.sub(pair, string.len(ARGV[5]) + 1), '1', 'PX', tonumber(ARGV[3]))
  if h[1] and h[2] and h[3] == '1' then
    redis.call('HINCRBY', stats, 'degraded', 1)
    table.insert(out, h[1]); table.insert(out, h[2])
  else
    redis.call('HINCRBY', stats, 'orphaned', 1)
  end
end
return out
`;

export interface RedisPairerOptions {
  url: string;
  windowMs?: number;
  maxPending?: number;
  maxPendingBytes?: number;
  now?: () => number;
}

type RedisWithScripts = Redis & {
  // the *Buffer variants ioredis defines beside each script: replies stay bytes (halves are protobuf)
  sgAddBuffer(...args: Array<string | Buffer | number>): Promise<Array<Buffer | null>>;
  sgExpireBuffer(...args: Array<string | Buffer | number>): Promise<Buffer[]>;
};

export class RedisPairer {
  readonly redis: RedisWithScripts;
  private readonly windowMs: number;
  private readonly maxPending: number;
  private readonly maxPendingBytes: number;
  private readonly now: () => number;
  private stats_: PairerStats = emptyStats();
  private readonly local = { invalid: 0 };

  constructor(opts: RedisPairerOptions) {
    this.windowMs = opts.windowMs ?? PAIRING_DEFAULTS.windowMs;
    this.maxPending = opts.maxPending ?? PAIRING_DEFAULTS.maxPending;
    this.maxPendingBytes = opts.maxPendingBytes ?? PAIRING_DEFAULTS.maxPendingBytes;
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
    this.redis.defineCommand('sgAdd', { numberOfKeys: 4, lua: ADD });
    this.redis.defineCommand('sgExpire', { numberOfKeys: 2, lua: EXPIRE });
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
    const bytes = Buffer.from(encodeFilterMessage({ kind: 'half', half, seq: 0 }));
    const r = await this.redis.sgAddBuffer(
      `${PREFIX}pair:${id}`,
      `${PREFIX}done:${id}`,
      DEADLINES,
      STATS,
      side,
      bytes,
      needsSecondary ? '1' : '0',
      this.now() + this.windowMs,
      this.windowMs * 2,
      this.windowMs * 2,
      this.maxPending,
      this.maxPendingBytes,
      halfBytes(half),
    );
    if (String(r[0]) !== 'complete') return undefined;
    const pair: CompletePair = { pairId, live: decodeHalf(r[1]), candidate: decodeHalf(r[2]) };
    if (r[3]) pair.secondary = decodeHalf(r[3]);
    return pair;
  }

  /** Pops the pairs past their window (any replica may; each pair is popped once): the degraded ones to compare. */
  async expire(): Promise<CompletePair[]> {
    const out: CompletePair[] = [];
    const flat = await this.redis.sgExpireBuffer(
      DEADLINES,
      STATS,
      this.now(),
      1000,
      this.windowMs * 2,
      `${PREFIX}done:`,
      `${PREFIX}pair:`,
    );
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const live = decodeHalf(flat[i]);
      out.push({ pairId: live.pairId, live, candidate: decodeHalf(flat[i + 1]) });
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
  return {
    pending: 0,
    pendingBytes: 0,
    completed: 0,
    late: 0,
    duplicate: 0,
    orphaned: 0,
    evicted: 0,
    degraded: 0,
    invalid: 0,
    oversized: 0,
  };
}
