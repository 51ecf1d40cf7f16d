import { describe, expect, it } from 'vitest';
import { comparePair } from '../../../control-plane/src/compare/index.js';
import type { PolicySpec } from '../../../control-plane/src/domain/types.js';
import { ReportBook } from '../../../control-plane/src/reports/aggregate.js';
import { diffyScores, noiseConfig, verdict } from '../../../control-plane/src/reports/noise.js';
import { orderBody, pairOf } from '../../fixtures/halves.js';

describe("Diffy's noise rule (reference §3.4)", () => {
  it('computes absolute = |r−n|/T and relative = |r−n|/(r+n), in percent', () => {
    expect(diffyScores(10, 8, 100)).toEqual({ absolute: 2, relative: (2 / 18) * 100 });
    expect(diffyScores(0, 0, 0)).toEqual({ absolute: 0, relative: 0 });
  });

  it('calls a field a regression only when r > n and both thresholds are strictly passed', () => {
    const cfg = noiseConfig({ relativeThreshold: 20, absoluteThreshold: 3 });
    const t = { pairs: 100, noisePairs: 100 };
    expect(verdict({ raw: 100, noise: 98, volatile: 0 }, t, cfg)).toBe('noise'); // request ids: r ≈ n
    expect(verdict({ raw: 10, noise: 0, volatile: 0 }, t, cfg)).toBe('regression'); // candidate only
    expect(verdict({ raw: 3, noise: 0, volatile: 0 }, t, cfg)).toBe('noise'); // absolute 3 is not > 3
    expect(verdict({ raw: 12, noise: 8, volatile: 0 }, t, cfg)).toBe('noise'); // relative 20 is not > 20
    expect(verdict({ raw: 13, noise: 8, volatile: 0 }, t, cfg)).toBe('regression');
    expect(verdict({ raw: 5, noise: 10, volatile: 0 }, t, cfg)).toBe('noise'); // r < n
    // half the pairs lost their secondary: n is scaled to all pairs
    expect(verdict({ raw: 50, noise: 25, volatile: 0 }, { pairs: 100, noisePairs: 50 }, cfg)).toBe('noise');
  });

  it('cancels fields that differ against the secondary too, and keeps a real regression on one field', () => {
    const spec: PolicySpec = { services: ['orders'], secondary: true };
    const book = new ReportBook();
    for (let i = 0; i < 50; i++) {
      const pair = pairOf({
        shared: { path: '/orders/1042' },
        live: { json: orderBody({ noiseSeed: 3 * i + 1 }) },
        candidate: { json: orderBody({ noiseSeed: 3 * i + 2, status: i % 5 === 0 ? 'CONFIRMED' : 'confirmed' }) },
        secondary: { json: orderBody({ noiseSeed: 3 * i + 3 }) },
      });
      book.add(comparePair(pair, 'checkout', spec), spec);
    }
    const d = book.endpoint('checkout', 'GET /orders/{id}')!;
    const byPath = Object.fromEntries(d.fields.map((f) => [f.path, f]));
    for (const p of ['body.request_id', 'body.generated_at', 'body.trace.span', 'body.order.payment.session_token']) {
      expect(byPath[p]).toMatchObject({ verdict: 'noise', raw: 50, noise: 50 });
    }
    expect(byPath['body.order.status']).toMatchObject({ verdict: 'regression', raw: 10, noise: 0 });
    expect(d.fields[0].path).toBe('body.order.status');
    expect(d).toMatchObject({ pairs: 50, verdict: 'critical', regressionFields: 1, hasSecondary: true });
    expect(d.mismatchRate).toBeCloseTo(20, 5);
    expect(d.fields[0].examples[0]).toMatchObject({ live: 'confirmed', shadow: 'CONFIRMED', kind: 'value' });
  });

  it('without a secondary reports volatile fields as likely noise instead of hiding them or failing every pair', () => {
    const spec: PolicySpec = { services: ['orders'], normalize: { ignorePaths: ['trace'] } };
    const book = new ReportBook();
    for (let i = 0; i < 40; i++) {
      const live = orderBody({ noiseSeed: 2 * i + 1 });
      const cand = orderBody({ noiseSeed: 2 * i + 2, price: i % 4 === 0 ? () => 0 : undefined });
      book.add(comparePair(pairOf({ live: { json: live }, candidate: { json: cand } }), 'checkout', spec), spec);
    }
    const d = book.endpoint('checkout', 'GET /orders/{id}')!;
    const verdicts = Object.fromEntries(d.fields.map((f) => [f.path, f.verdict]));
    expect(verdicts).toEqual({
      'body.order.items.*.price': 'regression',
      'body.request_id': 'likely-noise',
      'body.generated_at': 'likely-noise',
      'body.order.payment.session_token': 'likely-noise',
    });
    expect(d.likelyNoiseFields).toBe(3);
    expect(d.mismatchRate).toBeCloseTo(25, 5);
    expect(d.suggestions.map((s) => [s.path, s.detector, s.count])).toEqual(
      expect.arrayContaining([
        ['body.request_id', 'uuid', 40],
        ['body.generated_at', 'timestamp', 40],
        ['body.order.payment.session_token', 'token', 40],
      ]),
    );
    expect(d.suggestions.find((s) => s.detector === 'uuid')?.hint).toMatch(/normalize\.detectors\.uuid/);
  });
});
