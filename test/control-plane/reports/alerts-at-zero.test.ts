// Path-specific alerts never fire on an endpoint without a mismatched pair.
import { describe, expect, it } from 'vitest';
import { comparePair } from '../../../control-plane/src/compare/index.js';
import type { PolicySpec } from '../../../control-plane/src/domain/types.js';
import { ReportBook } from '../../../control-plane/src/reports/aggregate.js';
import { pairOf } from '../../fixtures/halves.js';

describe('ReportBook alerts', () => {
  it('never alerts on an endpoint that has no mismatched pair, even with alerts.mismatchRate 0', () => {
    const spec: PolicySpec = { services: ['shop'], alerts: { mismatchRate: 0, minPairs: 2 } };
    const book = new ReportBook();
    const same = () => comparePair(pairOf({ live: { json: { a: 1 } }, candidate: { json: { a: 1 } } }), 'shop', spec);
    expect(book.add(same(), spec)).toEqual([]);
    expect(book.add(same(), spec)).toEqual([]);
    expect(book.add(same(), spec)).toEqual([]);
    expect(book.summary('shop')?.alerting).toEqual([]);
    // the first real mismatch alerts
    const diff = comparePair(pairOf({ live: { json: { a: 1 } }, candidate: { json: { a: 2 } } }), 'shop', spec);
    expect(book.add(diff, spec)).toHaveLength(1);
  });
});
