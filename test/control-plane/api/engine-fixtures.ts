// Builders of halves, egress events and an ingest sequencer for the ingest, restart and security tests.

import { pino } from 'pino';
import { comparePair } from '../../../control-plane/src/compare/index.js';
import type { EgressEvent, Half, Policy, Side } from '../../../control-plane/src/domain/types.js';
import { Ingest, type IngestDeps } from '../../../control-plane/src/ingest.js';
import { Pairer } from '../../../control-plane/src/pairing/pairer.js';
import { ReportBook } from '../../../control-plane/src/reports/aggregate.js';
import { BlastRadius } from '../../../control-plane/src/reports/blast-radius.js';

export function half(pairId: string, side: Side, body: unknown, over: Partial<Half> = {}): Half {
  const text = JSON.stringify(body);
  return {
    pairId,
    side,
    service: 'checkout',
    method: 'GET',
    host: 'checkout.local',
    path: '/users/42',
    query: '',
    status: 200,
    headers: [['content-type', 'application/json']],
    body: Buffer.from(text),
    truncated: false,
    bodySize: text.length,
    startUnixMs: 1_700_000_000_000,
    latencyUs: 1500,
    requestId: `req-${pairId}`,
    nodeId: side === 'live' ? 'edge-1' : 'shadow-1',
    ...over,
  };
}

export function egress(over: Partial<EgressEvent> = {}): EgressEvent {
  return {
    pairId: 'p1',
    service: 'checkout',
    variant: 'candidate',
    destination: 'pay.example',
    method: 'POST',
    path: '/charges',
    decision: 'denied',
    rule: 'default',
    unixMs: 1_700_000_000_000,
    nodeId: 'shadow-1',
    ...over,
  };
}

/**
 * The real ingest path for `policies` (each owns the halves of its services): a Pairer with a 1 s
 * window, comparePair, a report book, a blast radius and a silent logger; `deps` replaces any of them
 * and adds the store or alert sink.
 */
export function ingestFor(policies: Policy[], deps: Partial<IngestDeps> = {}): Ingest {
  return new Ingest({
    policyFor: (s) => policies.find((p) => p.spec.services.includes(s)),
    pairer: new Pairer({ windowMs: 1000 }),
    compare: comparePair,
    reports: new ReportBook(),
    blast: new BlastRadius(),
    logger: pino({ level: 'silent' }),
    ...deps,
  });
}
