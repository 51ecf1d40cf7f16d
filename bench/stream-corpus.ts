// The stream bench's traffic, shared by the bench (bench/stream.bench.ts) and its child-process fake
// filters (bench/stream-sender.ts): 64 distinct ~2 KiB JSON pairs (noise on every pair, a price
// regression on one in ten), the policy spec they are compared under, and the node identities.
import type { Half, NodeHello, PolicySpec } from '../control-plane/src/domain/types.js';
import { nodeHello } from '../test/control-plane/api/grpc-client.js';
import { half, orderBody } from '../test/fixtures/halves.js';

export const SERVICE = 'orders';
export const spec: PolicySpec = {
  services: [SERVICE],
  normalize: {
    ignorePaths: ['trace.span'],
    redactPaths: ['order.customer.email'],
    unorderedArrays: ['order.items.*.tags'],
  },
};

export const corpus: Array<{ live: Half; candidate: Half }> = [];
for (let i = 0; i < 64; i++) {
  const orderId = 1000 + i;
  const mk = (side: 'live' | 'candidate', body: unknown) =>
    half(side, { service: SERVICE, path: `/orders/${orderId}`, json: body, latencyUs: 8000 + i * 100 });
  corpus.push({
    live: mk('live', orderBody({ orderId, noiseSeed: 2 * i + 1 })),
    candidate: mk(
      'candidate',
      orderBody({ orderId, noiseSeed: 2 * i + 2, price: i % 10 === 0 ? (k) => k : undefined }),
    ),
  });
}

/** Batch number b of `size` pairs: fresh pair ids (the pairer must never see a duplicate), same bodies. */
export function pairsOf(b: number, size: number): Array<{ live: Half; candidate: Half }> {
  return Array.from({ length: size }, (_, i) => {
    const t = corpus[i % corpus.length];
    const pairId = `b${b}-${i}`;
    return { live: { ...t.live, pairId, requestId: pairId }, candidate: { ...t.candidate, pairId, requestId: pairId } };
  });
}

export const edgeHello = (k: number): NodeHello =>
  nodeHello({ nodeId: `edge-${k}`, service: SERVICE, workload: 'orders-v1', worker: k });
export const shadowHello = (k: number): NodeHello =>
  nodeHello({
    nodeId: `shadow-${k}`,
    service: SERVICE,
    workload: 'orders-v2',
    role: 'shadow',
    variant: 'candidate',
    worker: k,
  });
