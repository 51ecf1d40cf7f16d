// The pairer's byte bound (pending halves × bodies up to 1 MiB must not reach gigabytes) and its
// shutdown hand-over of pairs that wait only for their secondary (flushDegraded).
import { describe, expect, it } from 'vitest';
import { HALF_OVERHEAD_BYTES, Pairer } from '../../../control-plane/src/pairing/pairer.js';
import { half, manualClock } from '../../fixtures/halves.js';

const KiB = 1024;
const big = (side: 'live' | 'candidate' | 'secondary', pairId: string, bytes = 64 * KiB) =>
  half(side, { pairId, body: Buffer.alloc(bytes, 0x61) });
const cost = (bytes = 64 * KiB) => bytes + HALF_OVERHEAD_BYTES;

describe('Pairer byte bound', () => {
  it('keeps the accounted bytes under the bound in a flood of large orphans, evicting oldest first', () => {
    const bound = 10 * cost();
    const p = new Pairer({ maxPendingBytes: bound, maxPending: 100_000 });
    for (let i = 0; i < 100; i++) {
      p.add(big('live', `o-${i}`), false);
      expect(p.stats().pendingBytes).toBeLessThanOrEqual(bound);
    }
    expect(p.stats()).toMatchObject({ pending: 10, pendingBytes: bound, evicted: 90, oversized: 0 });
    // the 90 oldest were evicted: their other half is late; the 10 newest still pair
    expect(p.add(half('candidate', { pairId: 'o-89' }), false)).toBeUndefined();
    expect(p.stats().late).toBe(1);
    for (let i = 90; i < 100; i++) expect(p.add(half('candidate', { pairId: `o-${i}` }), false)?.pairId).toBe(`o-${i}`);
    expect(p.stats()).toMatchObject({ pending: 0, pendingBytes: 0, completed: 10 });
  });

  it('evicts only as many old pairs as the new half needs', () => {
    const p = new Pairer({ maxPendingBytes: 4 * cost(16 * KiB) });
    for (const id of ['a', 'b', 'c', 'd']) p.add(big('live', id, 16 * KiB), false);
    expect(p.stats().evicted).toBe(0);
    p.add(big('live', 'e', 32 * KiB), false); // 33 KiB: two 17 KiB pairs must go
    expect(p.stats()).toMatchObject({ pending: 3, evicted: 2 });
    expect(p.add(half('candidate', { pairId: 'b' }), false)).toBeUndefined(); // evicted: late
    expect(p.add(half('candidate', { pairId: 'c' }), false)?.pairId).toBe('c');
  });

  it('counts and drops a half larger than the whole bound without storing it or evicting anything', () => {
    const p = new Pairer({ maxPendingBytes: 100 * KiB });
    p.add(big('live', 'a', 10 * KiB), true);
    const before = p.stats().pendingBytes;
    expect(p.add(big('live', 'huge', 200 * KiB), false)).toBeUndefined();
    expect(p.add(big('candidate', 'a', 200 * KiB), true)).toBeUndefined();
    expect(p.stats()).toMatchObject({ oversized: 2, evicted: 0, pending: 1, pendingBytes: before });
    // a half that completes its pair is handed over at once, never held: no bound applies to it
    expect(p.add(big('candidate', 'a', 200 * KiB), false)?.pairId).toBe('a');
    expect(p.stats()).toMatchObject({ pending: 0, pendingBytes: 0, completed: 1 });
  });

  it('drops the new half when making room evicts its own pair', () => {
    const p = new Pairer({ maxPendingBytes: 2 * cost() });
    p.add(big('live', 'a'), true);
    p.add(big('live', 'b'), true);
    // a is the oldest: room for its candidate is made by evicting a itself
    expect(p.add(big('candidate', 'a'), true)).toBeUndefined();
    expect(p.stats()).toMatchObject({ pending: 1, evicted: 1, pendingBytes: cost() });
    expect(p.add(half('secondary', { pairId: 'a' }), true)).toBeUndefined();
    expect(p.stats().late).toBe(1);
  });

  it('releases the bytes of completed, orphaned, evicted and degraded pairs: the total returns to 0', () => {
    const clock = manualClock();
    const p = new Pairer({ windowMs: 1000, maxPending: 3, now: clock.now });
    p.add(big('live', 'done'), false);
    p.add(big('candidate', 'degraded'), true);
    p.add(big('live', 'degraded'), true);
    p.add(big('live', 'orphan'), false);
    p.add(big('live', 'evictor'), false); // count bound: evicts 'done' (the oldest)
    expect(p.stats()).toMatchObject({ pending: 3, evicted: 1, pendingBytes: 4 * cost() });
    expect(p.add(big('candidate', 'evictor'), false)?.pairId).toBe('evictor');
    expect(p.stats().pendingBytes).toBe(3 * cost());
    clock.advance(1000);
    p.add(half('live', { pairId: 'late-comer' }), false); // sweeps: degraded waits for expire(), still held
    expect(p.stats()).toMatchObject({ pending: 1, orphaned: 1, degraded: 1, pendingBytes: 2 * cost() + cost(0) });
    expect(p.expire().map((x) => x.pairId)).toEqual(['degraded']);
    expect(p.stats().pendingBytes).toBe(cost(0));
    clock.advance(1000);
    expect(p.expire()).toEqual([]);
    expect(p.stats()).toMatchObject({ pending: 0, pendingBytes: 0, orphaned: 2 });
  });

  it('rejects a nonsensical byte bound with a clear error', () => {
    expect(() => new Pairer({ maxPendingBytes: 0 })).toThrow(/maxPendingBytes/);
  });
});

describe('Pairer.flushDegraded', () => {
  it('hands over now the pairs that wait only for their secondary, as expire() would at the window', () => {
    const clock = manualClock();
    const p = new Pairer({ windowMs: 1000, now: clock.now });
    p.add(half('live', { pairId: 'old' }), true);
    p.add(half('candidate', { pairId: 'old' }), true);
    clock.advance(1000);
    p.add(half('live', { pairId: 'lonely' }), true); // sweeps 'old' into the expired hand-over
    p.add(half('live', { pairId: 'a' }), true);
    p.add(half('candidate', { pairId: 'a' }), true);
    p.add(half('candidate', { pairId: 'no-live' }), true);
    const out = p.flushDegraded();
    expect(out.map((x) => [x.pairId, x.live.side, x.candidate.side, x.secondary])).toEqual([
      ['old', 'live', 'candidate', undefined],
      ['a', 'live', 'candidate', undefined],
    ]);
    // incomplete ones stay pending; the flushed ones are closed: their secondary is late
    expect(p.stats()).toMatchObject({ pending: 2, degraded: 2, orphaned: 0, pendingBytes: 2 * cost(0) });
    expect(p.add(half('secondary', { pairId: 'a' }), true)).toBeUndefined();
    expect(p.stats().late).toBe(1);
    expect(p.flushDegraded()).toEqual([]);
    expect(p.expire()).toEqual([]);
  });
});
