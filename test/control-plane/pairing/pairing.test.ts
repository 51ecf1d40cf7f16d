import { describe, expect, it } from 'vitest';
import { Pairer } from '../../../control-plane/src/pairing/pairer.js';
import { half, manualClock } from '../../fixtures/halves.js';

describe('Pairer', () => {
  it('completes a pair once live and candidate have both arrived, in any order', () => {
    const p = new Pairer();
    expect(p.add(half('candidate', { pairId: 'a' }), false)).toBeUndefined();
    const done = p.add(half('live', { pairId: 'a' }), false);
    expect(done?.pairId).toBe('a');
    expect(done?.live.side).toBe('live');
    expect(done?.candidate.side).toBe('candidate');
    expect(done?.secondary).toBeUndefined();
    expect(p.stats()).toMatchObject({ pending: 0, completed: 1 });
  });

  it('waits for the secondary when the policy deploys one', () => {
    const p = new Pairer();
    p.add(half('live', { pairId: 'a' }), true);
    expect(p.add(half('candidate', { pairId: 'a' }), true)).toBeUndefined();
    const done = p.add(half('secondary', { pairId: 'a' }), true);
    expect(done?.secondary?.side).toBe('secondary');
  });

  it('counts a half that arrives after its pair completed as late and does not keep it', () => {
    const p = new Pairer();
    p.add(half('live', { pairId: 'a' }), false);
    p.add(half('candidate', { pairId: 'a' }), false);
    expect(p.add(half('secondary', { pairId: 'a' }), false)).toBeUndefined();
    expect(p.add(half('live', { pairId: 'a' }), false)).toBeUndefined();
    expect(p.stats()).toMatchObject({ pending: 0, late: 2, completed: 1 });
  });

  it('counts the same side twice as a duplicate and keeps the first', () => {
    const p = new Pairer();
    const first = half('live', { pairId: 'a', status: 200 });
    p.add(first, false);
    p.add(half('live', { pairId: 'a', status: 500 }), false);
    const done = p.add(half('candidate', { pairId: 'a' }), false);
    expect(done?.live).toBe(first);
    expect(p.stats().duplicate).toBe(1);
  });

  it('drops incomplete pairs past the window as orphans and counts their late halves', () => {
    const clock = manualClock();
    const p = new Pairer({ windowMs: 30_000, now: clock.now });
    p.add(half('live', { pairId: 'a' }), false);
    clock.advance(29_999);
    expect(p.expire()).toEqual([]);
    expect(p.stats().pending).toBe(1);
    clock.advance(1);
    expect(p.expire()).toEqual([]);
    expect(p.stats()).toMatchObject({ pending: 0, orphaned: 1 });
    expect(p.add(half('candidate', { pairId: 'a' }), false)).toBeUndefined();
    expect(p.stats()).toMatchObject({ pending: 0, late: 1, completed: 0 });
  });

  it('returns a pair that only misses its secondary at expiry so live vs candidate is still compared', () => {
    const clock = manualClock();
    const p = new Pairer({ windowMs: 1000, now: clock.now });
    p.add(half('live', { pairId: 'a' }), true);
    p.add(half('candidate', { pairId: 'a' }), true);
    clock.advance(1000);
    const out = p.expire();
    expect(out.map((x) => [x.pairId, !!x.secondary])).toEqual([['a', false]]);
    expect(p.stats()).toMatchObject({ degraded: 1, orphaned: 0 });
    expect(p.expire()).toEqual([]);
  });

  it('evicts the oldest pending pair beyond maxPending and counts it', () => {
    const p = new Pairer({ maxPending: 3 });
    for (const id of ['a', 'b', 'c', 'd']) p.add(half('live', { pairId: id }), false);
    expect(p.stats()).toMatchObject({ pending: 3, evicted: 1 });
    expect(p.add(half('candidate', { pairId: 'a' }), false)).toBeUndefined();
    expect(p.stats().late).toBe(1);
    expect(p.add(half('candidate', { pairId: 'd' }), false)?.pairId).toBe('d');
  });

  it('stays bounded under a flood of 100k orphans', () => {
    const clock = manualClock();
    const p = new Pairer({ windowMs: 30_000, maxPending: 10_000, now: clock.now });
    const h = half('live');
    for (let i = 0; i < 100_000; i++) {
      p.add({ ...h, pairId: `o-${i}` }, false);
      if (i % 1000 === 999) clock.advance(100);
    }
    const s = p.stats();
    expect(s.pending).toBeLessThanOrEqual(10_000);
    expect(s.orphaned + s.evicted + s.pending).toBe(100_000);
    clock.advance(60_000);
    p.expire();
    expect(p.stats().pending).toBe(0);
    // the remembered-closed set is bounded too: the oldest ids are forgotten, new halves are new pairs
    p.add({ ...h, side: 'candidate', pairId: 'o-0' }, false);
    expect(p.stats().pending).toBe(1);
  });

  it('counts halves without a pair id or with an unknown side as invalid instead of throwing', () => {
    const p = new Pairer();
    expect(p.add({ ...half('live'), pairId: '' }, false)).toBeUndefined();
    expect(p.add({ ...half('live'), side: 'other' as never }, false)).toBeUndefined();
    expect(p.stats().invalid).toBe(2);
  });

  it('rejects a nonsensical window with a clear error', () => {
    expect(() => new Pairer({ windowMs: -1 })).toThrow(/windowMs/);
  });
});
