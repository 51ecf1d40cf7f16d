// Pairing is scoped by policy: halves of two services that share a pair id never join.
import { describe, expect, it } from 'vitest';
import { Pairer } from '../../../control-plane/src/pairing/pairer.js';
import { ReportBook } from '../../../control-plane/src/reports/aggregate.js';
import { half } from '../../fixtures/halves.js';
import { ingestFor } from '../api/engine-fixtures.js';
import { policy } from '../stream/fixtures.js';

describe('pairing keeps policies apart', () => {
  // x-request-id propagates through the mesh and the edge samples by its hash, so two services under
  // two policies report halves with the same pair id; each pair must join only its own halves.
  it('does not join halves of two policies that share a pair id', () => {
    const reports = new ReportBook();
    const pairer = new Pairer();
    const ingest = ingestFor(
      [policy('orders', { services: ['orders'] }), policy('payments', { services: ['payments'] })],
      {
        pairer,
        reports,
        store: {
          addAlert: async () => {
            throw new Error('no alerts expected');
          },
          markAlertDelivered: async () => {},
        },
      },
    );
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
