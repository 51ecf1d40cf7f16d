// The pairer's byte count is honest: what it accounts for a pending half stays within 25 % of what the
// half really retains after a full GC (issue 13: 3,054 B counted for a 2 KiB half that held ~6.5 KB —
// its body pinned an 8 KiB pool slab, and closed queue entries kept their halves alive).
import { describe, expect, it } from 'vitest';
import { measurePendingHalves } from '../../fixtures/pending-memory.js';

describe('Pairer byte count against retained memory', () => {
  for (const [bodyBytes, n] of [
    [2030, 3000],
    [16 * 1024, 1000],
  ]) {
    it(`counts a pending ~${bodyBytes} B half within 25 % of what it retains`, () => {
      const m = measurePendingHalves(bodyBytes, n);
      console.log(
        `${bodyBytes} B bodies: accounted ${m.accountedPerHalf.toFixed(0)} B, retained ${m.retainedPerHalf.toFixed(0)} B per half`,
      );
      expect(Math.abs(m.accountedPerHalf - m.retainedPerHalf) / m.retainedPerHalf).toBeLessThanOrEqual(0.25);
    });
  }
});
