// Issue 14 findings 6, 8 and 9: pairs whose bodies were not compared are their own category, never a
// match; comparison cost is bounded for adversarial shapes; deep JSON is reported, not lost.
// Through the ingest sequencer, the report book and the REST API (app.inject).
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { comparePair } from '../../control-plane/src/compare/index.js';
import type { Half, Policy, PolicySpec } from '../../control-plane/src/domain/types.js';
import { ReportBook } from '../../control-plane/src/reports/aggregate.js';
import { SqliteStore } from '../../control-plane/src/store/sqlite.js';
import { half, ingestFor } from '../control-plane/api/engine-fixtures.js';
import { EDITOR, testApp } from '../control-plane/api/helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function setup(spec: Partial<PolicySpec> = {}) {
  const p: Policy = {
    name: 'checkout',
    version: 1,
    spec: { services: ['checkout'], alerts: { mismatchRate: 5, minPairs: 5 }, ...spec } as PolicySpec,
    updatedAt: '',
    updatedBy: 't',
  };
  const store = new SqliteStore({ dataDir: ':memory:' });
  cleanups.push(() => store.close());
  const reports = new ReportBook();
  const alerts: unknown[] = [];
  const ingest = ingestFor([p], { reports, store });
  const pair = (id: string, live: Half, cand: Half) => {
    ingest.half(live);
    const before = reports.summary('checkout')?.alerting.length ?? 0;
    ingest.half(cand);
    if ((reports.summary('checkout')?.alerting.length ?? 0) > before) alerts.push(id);
  };
  const report = async () => {
    const t = await testApp({ reports });
    cleanups.push(() => t.app.close());
    const list = await t.as(EDITOR, { method: 'GET', url: '/api/v1/reports/checkout' });
    expect(list.statusCode).toBe(200);
    return list.json().endpoints[0];
  };
  return { pair, report, alerts, reports };
}

describe('pairs whose bodies were not compared (finding 6)', () => {
  it('50 truncated pairs with different bodies: not compared, no match rate, no alert', async () => {
    const { pair, report, alerts } = setup();
    for (let i = 0; i < 50; i++) {
      const id = `t${i}`;
      pair(
        id,
        half(id, 'live', { amount: 1, pad: 'x'.repeat(100) }, { truncated: true }),
        half(id, 'candidate', { amount: 2 }, { truncated: true }),
      );
    }
    const r = await report();
    expect(r).toMatchObject({
      notCompared: 50,
      notComparedReasons: { truncated: 50 },
      pairs: 0,
      verdict: 'inconclusive',
    });
    expect(r.matchRate).not.toBe(100);
    expect(alerts).toEqual([]);
  });

  it('bodies over the decode cap and undecodable encodings are not compared; compared pairs keep their rate', async () => {
    const { pair, report } = setup();
    const bomb = gzipSync(Buffer.alloc(9 * 1024 * 1024, 0x20));
    const gz = [
      ['content-type', 'application/json'],
      ['content-encoding', 'gzip'],
    ] as Array<[string, string]>;
    pair(
      'b1',
      half('b1', 'live', {}, { body: bomb, headers: gz }),
      half('b1', 'candidate', {}, { body: bomb, headers: gz }),
    );
    // declared gzip, not compressed: never read as plain JSON
    pair('g1', half('g1', 'live', { a: 1 }, { headers: gz }), half('g1', 'candidate', { a: 2 }, { headers: gz }));
    for (let i = 0; i < 3; i++) pair(`ok${i}`, half(`ok${i}`, 'live', { a: 1 }), half(`ok${i}`, 'candidate', { a: 1 }));
    const r = await report();
    expect(r).toMatchObject({
      pairs: 3,
      matchRate: 100,
      notCompared: 2,
      notComparedReasons: { 'decode-cap': 1, 'decode-failed': 1 },
    });
  });

  it('a not-compared pair neither raises nor clears an alert', async () => {
    const { pair, reports } = setup();
    for (let i = 0; i < 5; i++) pair(`m${i}`, half(`m${i}`, 'live', { a: 1 }), half(`m${i}`, 'candidate', { a: 2 }));
    expect(reports.summary('checkout')?.alerting).toHaveLength(1);
    for (let i = 0; i < 20; i++)
      pair(
        `t${i}`,
        half(`t${i}`, 'live', { a: 1 }, { truncated: true }),
        half(`t${i}`, 'candidate', { a: 1 }, { truncated: true }),
      );
    expect(reports.summary('checkout')?.alerting).toHaveLength(1);
  });

  it('a body declared in another charset is compared byte for byte, not parsed as UTF-8 JSON', async () => {
    const { pair, report } = setup();
    const u16 = [['content-type', 'application/json; charset=utf-16le']] as Array<[string, string]>;
    const body = (v: string) => Buffer.from(JSON.stringify({ v }), 'utf16le');
    pair(
      'c1',
      half('c1', 'live', {}, { headers: u16, body: body('a') }),
      half('c1', 'candidate', {}, { headers: u16, body: body('b') }),
    );
    const r = await report();
    expect(r).toMatchObject({ pairs: 1, mismatchRate: 100 });
  });
});

describe('comparison cost is bounded (finding 8) and deep documents are reported (finding 9)', () => {
  const unorderedSpec = { normalize: { unorderedArrays: ['**'] } } as Partial<PolicySpec>;

  /** Compares a with b under unordered '**' after a warm-up; the time of one parse of both, and of one compare. */
  function timedCompare(a: unknown, b: unknown) {
    const spec = { services: ['checkout'], ...unorderedSpec } as PolicySpec;
    const t0 = performance.now();
    JSON.parse(JSON.stringify(a));
    JSON.parse(JSON.stringify(b));
    const parse = performance.now() - t0;
    const pairOf = () => ({ pairId: 'p', live: half('p', 'live', a), candidate: half('p', 'candidate', b) });
    comparePair(pairOf(), 'checkout', spec); // warm-up
    const t1 = performance.now();
    const r = comparePair(pairOf(), 'checkout', spec);
    return { r, parse, cost: performance.now() - t1 };
  }

  it('32 × 1,000 nested unordered arrays: compared in a small multiple of the parse time', () => {
    const outer = (seed: number) =>
      Array.from({ length: 32 }, (_, i) =>
        Array.from({ length: 1000 }, (_, j) => ({ k: (i * 1000 + j + seed) % 997, j })),
      );
    const a = outer(0);
    const b = outer(0).reverse();
    b[5][7] = { k: -1, j: 7 };
    const { r, parse, cost } = timedCompare(a, b);
    expect(r.notCompared).toBeUndefined();
    expect(r.candidate.length).toBeGreaterThan(0);
    // deterministic bound: compared within the work budget (64 units per body byte); wall time is loose on a shared machine
    expect(cost).toBeLessThan(Math.max(300, parse * 60));
  });

  it('32 objects each holding 1,000 unordered elements (small arrays are matched pairwise): bounded too', () => {
    const outer = (seed: number) =>
      Array.from({ length: 32 }, (_, i) => ({
        id: i,
        tags: Array.from({ length: 1000 }, (_, j) => ({ k: (i * 1000 + j + seed) % 997, j })),
      }));
    const a = outer(0);
    const b = outer(0).reverse();
    b[5].tags[7] = { k: -1, j: 7 };
    const { r, parse, cost } = timedCompare(a, b);
    // either compared within the budget or refused as too costly: never an unbounded stall
    if (r.notCompared) expect(r.notCompared.reason).toBe('too-costly');
    else expect(r.candidate.length).toBeGreaterThan(0);
    expect(cost).toBeLessThan(Math.max(300, parse * 60));
  });

  it('an adversarial shape past the work budget is not compared: too-costly', () => {
    // 190 levels of unordered arrays over a 100 KB leaf: each level's multiset key holds everything
    // below it, so keys alone would be depth × size characters
    const spec = { services: ['checkout'], ...unorderedSpec } as PolicySpec;
    const deep = (tag: number) => {
      let v: unknown = `${'x'.repeat(100_000)}${tag}`;
      for (let d = 0; d < 190; d++) v = [v, d];
      return v;
    };
    const t0 = performance.now();
    const r = comparePair(
      { pairId: 'p', live: half('p', 'live', deep(1)), candidate: half('p', 'candidate', deep(2)) },
      'checkout',
      spec,
    );
    expect(performance.now() - t0).toBeLessThan(500);
    expect(r.notCompared).toEqual({ reason: 'too-costly' });
  });

  it('JSON 5,000 levels deep is not compared (too-deep), and the pair is counted, not lost', async () => {
    const { pair, report } = setup();
    const deep = (leaf: number) => Buffer.from(`${'['.repeat(5000)}${leaf}${']'.repeat(5000)}`);
    pair('d1', half('d1', 'live', null, { body: deep(1) }), half('d1', 'candidate', null, { body: deep(2) }));
    const r = await report();
    expect(r).toMatchObject({ notCompared: 1, notComparedReasons: { 'too-deep': 1 } });
  });
});
