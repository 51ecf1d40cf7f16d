// Defects found in review of the engine: pairing across services, an unbounded blast-radius map,
// an alert raised at 0 % mismatch.
import { describe, expect, it } from 'vitest';
import { comparePair } from '../../../control-plane/src/compare/index.js';
import { pino } from 'pino';
import type { Policy, PolicySpec } from '../../../control-plane/src/domain/types.js';
import { Ingest } from '../../../control-plane/src/ingest.js';
import { Pairer } from '../../../control-plane/src/pairing/pairer.js';
import { ReportBook } from '../../../control-plane/src/reports/aggregate.js';
import { BlastRadius, MAX_SERVICES } from '../../../control-plane/src/reports/blast-radius.js';
import { egress, half, pairOf } from '../../fixtures/halves.js';

describe('pairing keeps policies apart', () => {
  // x-request-id propagates through the mesh and the edge samples by its hash, so two services under
  // two policies report halves with the same pair id; each pair must join only its own halves.
  it('does not join halves of two policies that share a pair id', () => {
    const orders: Policy = {
      name: 'orders',
      version: 1,
      spec: { services: ['orders'] },
      updatedAt: '',
      updatedBy: 't',
    };
    const payments: Policy = {
      name: 'payments',
      version: 1,
      spec: { services: ['payments'] },
      updatedAt: '',
      updatedBy: 't',
    };
    const reports = new ReportBook();
    const pairer = new Pairer();
    const ingest = new Ingest({
      policyFor: (s) => (s === 'orders' ? orders : s === 'payments' ? payments : undefined),
      pairer,
      compare: comparePair,
      reports,
      blast: new BlastRadius(),
      store: {
        addAlert: async () => {
          throw new Error('no alerts expected');
        },
        markAlertDelivered: async () => {},
      },
      logger: pino({ level: 'silent' }),
    });
    ingest.half(half('live', { pairId: 'r1', service: 'orders', path: '/orders/1', json: { a: 1 } }));
    ingest.half(half('candidate', { pairId: 'r1', service: 'payments', path: '/charges/1', json: { b: 2 } }));
    expect(ingest.stats().pairs).toBe(0);
    ingest.half(half('candidate', { pairId: 'r1', service: 'orders', path: '/orders/1', json: { a: 1 } }));
    ingest.half(half('live', { pairId: 'r1', service: 'payments', path: '/charges/1', json: { b: 2 } }));
    expect(ingest.stats().pairs).toBe(2);
    expect(pairer.stats()).toMatchObject({ completed: 2, late: 0, duplicate: 0 });
    expect(reports.endpoints('orders').map((e) => [e.endpoint, e.pairs, e.mismatchRate])).toEqual([
      ['GET /orders/{id}', 1, 0],
    ]);
    expect(reports.endpoints('payments').map((e) => [e.endpoint, e.pairs, e.mismatchRate])).toEqual([
      ['GET /charges/{id}', 1, 0],
    ]);
  });
});

describe('BlastRadius memory', () => {
  it('bounds the number of services it tracks (service names come from the filters)', () => {
    const b = new BlastRadius();
    for (let i = 0; i < MAX_SERVICES + 50; i++) b.add(egress({ service: `svc-${i}`, destination: 'x.example' }));
    const services = Object.keys((b.toJSON() as { services: Record<string, unknown> }).services);
    expect(services.length).toBeLessThanOrEqual(MAX_SERVICES);
    expect(b.stats().dropped).toBe(50);
    // a service already known keeps being counted
    b.add(egress({ service: 'svc-0', destination: 'x.example' }));
    expect(b.map(['svc-0']).services[0].total).toBe(2);
  });
});

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
