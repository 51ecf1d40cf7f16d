import { describe, expect, it } from 'vitest';
import { comparePair } from '../../../control-plane/src/compare/index.js';
import type { PolicySpec } from '../../../control-plane/src/domain/types.js';
import { MAX_ENDPOINTS, ReportBook, type Alert } from '../../../control-plane/src/reports/aggregate.js';
import { LatencySketch } from '../../../control-plane/src/reports/latency.js';
import { orderBody, pairOf } from '../../fixtures/halves.js';

const spec: PolicySpec = {
  services: ['shop'],
  secondary: true,
  endpoints: ['POST /refunds/{id}'],
  alerts: { mismatchRate: 10, minPairs: 20 },
};

/** one pair on an endpoint; `bad` makes the candidate change a business field */
function pairFor(method: string, path: string, i: number, bad: boolean) {
  return comparePair(
    pairOf({
      shared: { method, path, latencyUs: 10_000 + (i % 10) * 1000 },
      live: { json: orderBody({ noiseSeed: 3 * i + 1 }) },
      candidate: {
        json: orderBody({ noiseSeed: 3 * i + 2, status: bad ? 'refunded_twice' : undefined }),
        latencyUs: 20_000,
      },
      secondary: { json: orderBody({ noiseSeed: 3 * i + 3 }) },
    }),
    'shop',
    spec,
  );
}

function feed(book: ReportBook, n: number, badEvery: number, from = 0): Alert[] {
  const alerts: Alert[] = [];
  for (let i = from; i < from + n; i++) {
    alerts.push(...book.add(pairFor('GET', `/orders/${i}`, i, false), spec));
    alerts.push(...book.add(pairFor('GET', `/users/${i}`, i, false), spec));
    alerts.push(...book.add(pairFor('POST', `/refunds/r-${i}`, i, badEvery > 0 && i % badEvery === 0), spec));
  }
  return alerts;
}

describe('ReportBook', () => {
  it('alerts once on the one bad endpoint while the aggregate stays green', () => {
    const book = new ReportBook();
    const alerts = feed(book, 60, 3);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ policy: 'shop', endpoint: 'POST /refunds/{id}', pairs: 20 });
    expect(alerts[0].rate).toBeGreaterThanOrEqual(10);
    expect(alerts[0].message).toMatch(/POST \/refunds\/\{id\}/);
    const summary = book.summary('shop')!;
    expect(summary.matchRate).toBeGreaterThan(88);
    expect(summary.alerting).toEqual(['POST /refunds/{id}']);
    const list = book.endpoints('shop');
    expect(list.map((e) => e.endpoint)).toEqual(['POST /refunds/{id}', 'GET /orders/{id}', 'GET /users/{id}']);
    expect(list[0]).toMatchObject({ verdict: 'critical', alerting: true, matching: 40, pairs: 60 });
    expect(list[1]).toMatchObject({ verdict: 'passing', alerting: false, matchRate: 100 });
  });

  it('raises the alert again only after the endpoint has recovered', () => {
    const book = new ReportBook();
    expect(feed(book, 30, 2)).toHaveLength(1);
    expect(feed(book, 200, 0, 30)).toHaveLength(0); // recovers below 10 %
    expect(book.summary('shop')!.alerting).toEqual([]);
    expect(feed(book, 200, 1, 230).length).toBe(1); // breaches again
  });

  it('keeps five examples per field and side-by-side samples of mismatched pairs', () => {
    const book = new ReportBook();
    feed(book, 30, 1);
    const d = book.endpoint('shop', 'POST /refunds/{id}')!;
    const status = d.fields.find((f) => f.path === 'body.order.status')!;
    expect(status.examples).toHaveLength(5);
    expect(status.examples[0]).toMatchObject({ live: 'confirmed', shadow: 'refunded_twice' });
    expect(d.samples).toHaveLength(5);
    expect(d.samples[0].live.body).toMatchObject({ order: { status: 'confirmed' } });
    expect(d.samples[0].candidate.body).toMatchObject({ order: { status: 'refunded_twice' } });
    expect(d.samples[0].secondary?.bodyKind).toBe('json');
  });

  it('reports latency p50/p99 of live and shadow from the sketch', () => {
    const book = new ReportBook();
    feed(book, 100, 0);
    const e = book.endpoints('shop').find((x) => x.endpoint === 'GET /orders/{id}')!;
    expect(e.latency.live.p50Us).toBeGreaterThan(14_000 * 0.95);
    expect(e.latency.live.p50Us).toBeLessThan(15_000 * 1.05);
    expect(e.latency.live.p99Us).toBeGreaterThan(19_000 * 0.95);
    expect(e.latency.shadow.p50Us).toBeGreaterThan(20_000 * 0.95);
    expect(e.latency.shadow.p50Us).toBeLessThan(20_000 * 1.05);
    expect(e.latency.deltaP50Us).toBeGreaterThan(0);
  });

  it('survives a JSON round trip and carries on counting without re-alerting', () => {
    const book = new ReportBook();
    feed(book, 40, 3);
    const copy = ReportBook.fromJSON(JSON.parse(JSON.stringify(book)));
    expect(copy.endpoints('shop')).toEqual(book.endpoints('shop'));
    expect(JSON.parse(JSON.stringify(copy.endpoint('shop', 'POST /refunds/{id}')))).toEqual(
      JSON.parse(JSON.stringify(book.endpoint('shop', 'POST /refunds/{id}'))),
    );
    expect(feed(copy, 10, 3, 40)).toHaveLength(0);
    expect(copy.endpoints('shop')[0].pairs).toBe(50);
  });

  it('rejects a corrupt persisted state with a clear error', () => {
    expect(() => ReportBook.fromJSON({ version: 2 })).toThrow(/version: 1/);
    expect(() => ReportBook.fromJSON({ version: 1, policies: { x: { endpoints: [{}], alerting: [] } } })).toThrow(
      /endpoint/,
    );
  });

  it('bounds the number of endpoints per policy', () => {
    const book = new ReportBook();
    const r = pairFor('GET', '/x', 1, false);
    for (let i = 0; i < MAX_ENDPOINTS + 50; i++) book.add({ ...r, endpoint: `GET /e${i}` }, spec);
    const list = book.endpoints('shop');
    expect(list).toHaveLength(MAX_ENDPOINTS + 1);
    expect(list.find((e) => e.endpoint === '(other endpoints)')?.pairs).toBe(50);
  });
});

describe('LatencySketch', () => {
  it('answers quantiles within 2.5 % and round-trips through JSON', () => {
    const s = new LatencySketch();
    for (let i = 1; i <= 10_000; i++) s.add(i * 10);
    expect(Math.abs(s.quantile(0.5) - 50_000) / 50_000).toBeLessThan(0.025);
    expect(Math.abs(s.quantile(0.99) - 99_000) / 99_000).toBeLessThan(0.025);
    const t = LatencySketch.fromJSON(JSON.parse(JSON.stringify(s)));
    expect(t.quantile(0.9)).toBe(s.quantile(0.9));
    expect(t.count).toBe(10_000);
  });
});
