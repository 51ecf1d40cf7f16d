// Builders of halves and egress events for the ingest and restart tests.

import type { EgressEvent, Half, Side } from '../../../control-plane/src/domain/types.js';

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
