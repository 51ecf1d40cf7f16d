// Shared pairing on a real Redis 7: halves of one pair reach different replicas (two RedisPairers on
// one server) and every pair completes exactly once; late, duplicate, orphaned and degraded halves are
// counted; the count and byte bounds evict the oldest; a Redis outage fails the add (the half is not
// acknowledged) without crashing, and pairing resumes when Redis is back.
import { afterEach, describe, expect, it } from 'vitest';
import { RedisPairer } from '../../../control-plane/src/pairing/redis-pairer.js';
import { half } from '../../fixtures/halves.js';
import { throwawayRedis } from '../../fixtures/redis.js';

const redis = throwawayRedis();
const open: RedisPairer[] = [];
afterEach(async () => {
  await open
    .at(-1)
    ?.redis.flushall()
    .catch(() => undefined);
  for (const p of open.splice(0)) await p.close();
});

let clock = 1_000_000;
const pairer = async (over: Partial<ConstructorParameters<typeof RedisPairer>[0]> = {}) => {
  const p = new RedisPairer({ url: redis.url(), windowMs: 1000, now: () => clock, ...over });
  open.push(p);
  await p.ready();
  return p;
};

describe('RedisPairer', () => {
  it('completes each pair exactly once when its halves land on different replicas, concurrently', async () => {
    const a = await pairer();
    const b = await pairer();
    const n = 300;
    const adds = [];
    for (let i = 0; i < n; i++) {
      const live = half('live', { pairId: `p${i}`, json: { i, side: 'live' } });
      const cand = half('candidate', { pairId: `p${i}`, json: { i, side: 'candidate' } });
      // alternate which replica sees which side
      adds.push(i % 2 ? a.add(live, false, 'shop') : b.add(live, false, 'shop'));
      adds.push(i % 2 ? b.add(cand, false, 'shop') : a.add(cand, false, 'shop'));
    }
    const pairs = (await Promise.all(adds)).filter((p) => p !== undefined);
    expect(pairs).toHaveLength(n);
    expect(new Set(pairs.map((p) => p!.pairId)).size).toBe(n);
    for (const p of pairs) {
      expect(JSON.parse(p!.live.body.toString())).toEqual({ i: Number(p!.pairId.slice(1)), side: 'live' });
      expect(JSON.parse(p!.candidate.body.toString()).side).toBe('candidate');
      expect(p!.live.headers.map(([n]) => n)).toContain('content-type');
    }
    // completed pairs are held (claimed) until their comparison is committed
    expect((await a.refresh()).pendingBytes).toBeGreaterThan(0);
    expect(await Promise.all(pairs.map((p) => a.finish(p!.claim!)))).toEqual(pairs.map(() => true));
    expect(await a.refresh()).toMatchObject({ completed: n, pending: 0, pendingBytes: 0, late: 0, duplicate: 0 });
  });

  it('stores the halves added in one turn with one script call, each as if it came alone', async () => {
    const a = await pairer();
    await a.add(half('live', { pairId: 'warm' }), false, 'shop'); // the script is loaded once
    const scriptCalls = async () => {
      const stats = await a.redis.info('commandstats');
      return [...stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
    };
    const before = await scriptCalls();
    const first = half('live', { pairId: 'p1', json: { first: true } });
    const results = await Promise.all([
      a.add(first, false, 'shop'),
      a.add(half('candidate', { pairId: 'p1' }), false, 'shop'), // completes p1 within the same call
      a.add(half('live', { pairId: 'p1', json: { first: false } }), false, 'shop'), // late now: p1 is done
      a.add(half('live', { pairId: '' }), false, 'shop'), // invalid: never sent
      a.add(half('live', { pairId: 'p2' }), false, 'shop'),
      a.add(half('live', { pairId: 'p2' }), false, 'shop'), // duplicate side
    ]);
    expect(await scriptCalls()).toBe(before + 1);
    expect(results.map((r) => r?.pairId)).toEqual([undefined, 'p1', undefined, undefined, undefined, undefined]);
    expect(JSON.parse(results[1]!.live.body.toString())).toEqual({ first: true });
    expect(await a.refresh()).toMatchObject({ completed: 1, late: 1, duplicate: 1, invalid: 1, pending: 2 });
  });

  it('commits the comparisons of one turn with one script call, each only while its claim holds', async () => {
    const a = await pairer();
    const pairs = [];
    for (let i = 0; i < 4; i++) {
      await a.add(half('live', { pairId: `c${i}` }), false, 'shop');
      pairs.push((await a.add(half('candidate', { pairId: `c${i}` }), false, 'shop'))!);
    }
    const calls = async () => {
      const stats = await a.redis.info('commandstats');
      return [...stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
    };
    await a.finish({ key: 'sg:pair:warm', token: 'x' }); // the script is loaded once
    const before = await calls();
    const entry = (i: number) => ({
      stream: 'sg:test-log',
      maxLen: 100,
      data: `o${i}`,
      ...(i % 2 ? { example: `x${i}` } : {}),
    });
    const results = await Promise.all([
      a.finish(pairs[0].claim!, entry(0)),
      a.finish(pairs[1].claim!, entry(1)),
      a.finish({ ...pairs[2].claim!, token: 'not-the-holder' }, entry(2)), // refused: not this claim
      a.finish(pairs[3].claim!), // discarded: nothing appended
      a.finish(pairs[0].claim!, entry(0)), // a second commit of c0 in the same call: already gone
    ]);
    expect(await calls()).toBe(before + 1);
    expect(results).toEqual([true, true, false, true, false]);
    const log = await a.redis.xrange('sg:test-log', '-', '+');
    expect(log.map(([, f]) => f)).toEqual([
      ['o', 'o0'],
      ['o', 'o1', 'x', 'x1'],
    ]);
    // c2 is still claimed and held (its holder commits it, or its claim expires); the rest are gone
    expect(await a.refresh()).toMatchObject({ completed: 4, pending: 0 });
    expect(await a.redis.exists(pairs[2].claim!.key, pairs[0].claim!.key, pairs[3].claim!.key)).toBe(1);
    expect(await a.finish(pairs[2].claim!, entry(2))).toBe(true);
    expect((await a.refresh()).pendingBytes).toBe(0);
  });

  it('counts a duplicate side and a late half, keeps scopes apart, and waits for a secondary', async () => {
    const a = await pairer();
    const b = await pairer();
    expect(await a.add(half('live', { pairId: 'x' }), true, 'shop')).toBeUndefined();
    expect(await b.add(half('live', { pairId: 'x' }), true, 'shop')).toBeUndefined(); // duplicate
    expect(await b.add(half('candidate', { pairId: 'x' }), true, 'other')).toBeUndefined(); // another policy's id
    expect(await b.add(half('candidate', { pairId: 'x' }), true, 'shop')).toBeUndefined(); // waits for the secondary
    const done = await a.add(half('secondary', { pairId: 'x' }), true, 'shop');
    expect(done && [done.live.side, done.candidate.side, done.secondary?.side]).toEqual([
      'live',
      'candidate',
      'secondary',
    ]);
    expect(await a.add(half('candidate', { pairId: 'x' }), true, 'shop')).toBeUndefined(); // late
    expect(await a.refresh()).toMatchObject({ completed: 1, duplicate: 1, late: 1, pending: 1 });
  });

  it('expires incomplete pairs once, across replicas: live + candidate without their secondary are compared degraded', async () => {
    const a = await pairer();
    const b = await pairer();
    await a.add(half('live', { pairId: 'd' }), true, 'shop');
    await b.add(half('candidate', { pairId: 'd' }), true, 'shop');
    await a.add(half('live', { pairId: 'o' }), false, 'shop');
    expect(await a.expire()).toEqual([]); // not due yet
    clock += 1001;
    const [fromA, fromB] = await Promise.all([a.expire(), b.expire()]);
    const degraded = [...fromA, ...fromB];
    expect(degraded.map((p) => [p.pairId, p.live.side, p.candidate.side])).toEqual([['d', 'live', 'candidate']]);
    expect(await b.finish(degraded[0].claim!)).toBe(true);
    expect(await b.refresh()).toMatchObject({ degraded: 1, orphaned: 1, pending: 0, pendingBytes: 0 });
    expect(await b.add(half('candidate', { pairId: 'o' }), false, 'shop')).toBeUndefined(); // late now
    expect((await b.refresh()).late).toBe(1);
  });

  it('hands a completed pair whose replica never committed it to another replica, and commits it once', async () => {
    const a = await pairer({ claimMs: 500 });
    const b = await pairer({ claimMs: 500 });
    await a.add(half('live', { pairId: 'k' }), false, 'shop');
    const done = await a.add(half('candidate', { pairId: 'k' }), false, 'shop');
    expect(done?.claim).toBeDefined();
    // A dies here (no finish). Within its claim nobody takes the pair; after it, the next expiry does.
    expect(await b.expire()).toEqual([]);
    clock += 501;
    const [taken, none] = await Promise.all([b.expire(), a.expire()]).then(([x, y]) => (x.length ? [x, y] : [y, x]));
    expect(none).toEqual([]);
    expect(taken.map((p) => [p.pairId, p.live.side, p.candidate.side])).toEqual([['k', 'live', 'candidate']]);
    expect(taken[0].claim!.token).not.toBe(done!.claim!.token);
    // A comes back late: its commit is refused; the new holder's commit appends the entry once.
    const entry = { stream: 'sg:test-log', maxLen: 100, data: '{"kind":"pair"}' };
    expect(await a.finish(done!.claim!, entry)).toBe(false);
    expect(await b.finish(taken[0].claim!, entry)).toBe(true);
    expect(await b.finish(taken[0].claim!, entry)).toBe(false);
    expect(await b.redis.xlen('sg:test-log')).toBe(1);
    expect(await b.refresh()).toMatchObject({ completed: 1, reclaimed: 1, pending: 0, pendingBytes: 0 });
    expect(await b.add(half('candidate', { pairId: 'k' }), false, 'shop')).toBeUndefined(); // late: never twice
  });

  it('abandons a claimed pair after maxClaims handovers, so a pair no replica can compare does not circulate', async () => {
    const a = await pairer({ claimMs: 100, maxClaims: 2 });
    await a.add(half('live', { pairId: 'z' }), false, 'shop');
    await a.add(half('candidate', { pairId: 'z' }), false, 'shop');
    const handed: number[] = [];
    for (let i = 0; i < 4; i++) {
      clock += 101;
      handed.push((await a.expire()).length);
    }
    expect(handed).toEqual([1, 1, 0, 0]);
    expect(await a.refresh()).toMatchObject({ reclaimed: 2, abandoned: 1, pendingBytes: 0 });
  });

  it('holds at most maxPending pairs and maxPendingBytes, evicting the oldest; an oversized half is never stored', async () => {
    const a = await pairer({ maxPending: 3, maxPendingBytes: 64 * 1024 });
    for (let i = 0; i < 5; i++) await a.add(half('live', { pairId: `e${i}`, body: 'x'.repeat(10) }), false, 's');
    expect(await a.refresh()).toMatchObject({ pending: 3, evicted: 2 });
    // the two oldest were evicted: their candidates now start new pairs (and evict again)
    expect(await a.add(half('candidate', { pairId: 'e4' }), false, 's')).toBeDefined();
    await a.add(half('live', { pairId: 'big' }), false, 's');
    expect(await a.add(half('live', { pairId: 'huge', body: 'y'.repeat(70 * 1024) }), false, 's')).toBeUndefined();
    const s = await a.refresh();
    expect(s.oversized).toBe(1);
    expect(s.pendingBytes).toBeLessThanOrEqual(64 * 1024);
    // bytes: 20 KiB halves under a 64 KiB bound keep at most 3 (each costs its body + overhead)
    const b = await pairer({ maxPending: 1000, maxPendingBytes: 64 * 1024 });
    await b.redis.flushall();
    for (let i = 0; i < 6; i++) await b.add(half('live', { pairId: `m${i}`, body: 'z'.repeat(20 * 1024) }), false, 's');
    const t = await b.refresh();
    expect(t.pending).toBe(3);
    expect(t.pendingBytes).toBeLessThanOrEqual(64 * 1024);
    expect(t.evicted).toBe(3);
  });

  it('counts at least what Redis holds for a pending half, so maxPendingBytes bounds Redis memory', async () => {
    const a = await pairer();
    await a.redis.flushall();
    const used = async () => Number(/used_memory:(\d+)/.exec(await a.redis.info('memory'))?.[1]);
    const body = { items: Array.from({ length: 40 }, (_, i) => ({ id: i, name: `item-${i}`, price: i * 3 })) };
    const n = 1000;
    const before = await used();
    for (let i = 0; i < n; i++) await a.add(half('live', { pairId: `mem-${i}`, json: body }), false, 's');
    const perHalf = ((await used()) - before) / n;
    const counted = (await a.refresh()).pendingBytes / n;
    if (process.env.SG_REPORT)
      console.log(`Redis holds ${perHalf.toFixed(0)} B per pending half, counted ${counted} B`);
    expect(perHalf).toBeGreaterThan(0);
    expect(perHalf).toBeLessThanOrEqual(counted);
  });

  it('fails the add while Redis is away (nothing held, nothing thrown past the caller) and pairs again once it is back', async () => {
    const a = await pairer();
    await a.add(half('live', { pairId: 'r1' }), false, 'shop');
    await redis.stop();
    await expect(a.add(half('candidate', { pairId: 'r1' }), false, 'shop')).rejects.toThrow();
    await redis.start(); // a new, empty server (ports differ): a fresh pairer reaches it
    const b = await pairer();
    await b.add(half('live', { pairId: 'r2' }), false, 'shop');
    expect(await b.add(half('candidate', { pairId: 'r2' }), false, 'shop')).toBeDefined();
  });
});
