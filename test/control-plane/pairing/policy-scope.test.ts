// Pairing is scoped by policy: halves of two services that share a pair id never join.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { comparePair } from '../../../control-plane/src/compare/index.js';
import type { Policy } from '../../../control-plane/src/domain/types.js';
import { Ingest } from '../../../control-plane/src/ingest.js';
import { Pairer } from '../../../control-plane/src/pairing/pairer.js';
import { ReportBook } from '../../../control-plane/src/reports/aggregate.js';
import { BlastRadius } from '../../../control-plane/src/reports/blast-radius.js';
import { half } from '../../fixtures/halves.js';

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
