// The stage meter (control-plane/src/ramp/meter.ts): all-time counters of the engine in, per-stage and
// per-evaluation windows out — the semantics each ramp guard is documented to have.
import { describe, expect, it } from 'vitest';
import { StageMeter, type BlastView, type MeterSources } from '../../../control-plane/src/ramp/meter.js';

const decisions = (denied: number, rateLimited: number) => ({
  allowed: 0,
  mocked: 0,
  denied,
  rate_limited: rateLimited,
});
function blast(denied: number, rateLimited: number, over?: { allowedRate: number; capacity: number }): BlastView {
  return {
    services: [
      {
        destinations: [
          {
            destination: 'pay.example',
            decisions: decisions(denied, rateLimited),
            allowedRate: over?.allowedRate ?? 0,
            ...(over ? { capacity: over.capacity } : {}),
            flagged: over !== undefined,
          },
        ],
      },
    ],
  };
}
const src = (over: Partial<MeterSources> = {}): MeterSources => ({
  endpointCounts: [],
  nodes: [],
  blast: blast(0, 0),
  ...over,
});

describe('a stage meter', () => {
  it('judges mismatches on the pairs of this stage only, not on the totals of earlier stages', () => {
    const m = StageMeter.start(
      0,
      src({ endpointCounts: [{ endpoint: 'POST /refunds/{id}', pairs: 1000, mismatched: 0 }] }),
    );
    const o = m.observe(
      src({
        endpointCounts: [
          { endpoint: 'POST /refunds/{id}', pairs: 1008, mismatched: 1 },
          { endpoint: 'GET /new', pairs: 3, mismatched: 3 },
          { endpoint: 'GET /idle', pairs: 0, mismatched: 0 },
        ],
      }),
      10_000,
    );
    expect(o.endpoints).toEqual([
      { endpoint: 'POST /refunds/{id}', pairs: 8, mismatched: 1, notCompared: 0 },
      { endpoint: 'GET /new', pairs: 3, mismatched: 3, notCompared: 0 },
    ]);
  });

  it('rebases a counter that went backwards (report state lost) instead of counting negative pairs', () => {
    const m = StageMeter.start(0, src({ endpointCounts: [{ endpoint: 'GET /a', pairs: 50, mismatched: 5 }] }));
    expect(m.observe(src({ endpointCounts: [{ endpoint: 'GET /a', pairs: 4, mismatched: 4 }] }), 1).endpoints).toEqual(
      [],
    );
    expect(m.observe(src({ endpointCounts: [{ endpoint: 'GET /a', pairs: 6, mismatched: 4 }] }), 2).endpoints).toEqual([
      { endpoint: 'GET /a', pairs: 2, mismatched: 0, notCompared: 0 },
    ]);
  });

  it('counts denied and rate-limited egress per evaluation period', () => {
    const m = StageMeter.start(0, src({ blast: blast(10, 1) }));
    expect(m.observe(src({ blast: blast(13, 1) }), 10_000)).toMatchObject({
      egressDenied: 3,
      egressRateLimited: 0,
      egressWindowS: 10,
    });
    expect(m.observe(src({ blast: blast(13, 5) }), 20_000)).toMatchObject({
      egressDenied: 0,
      egressRateLimited: 4,
      egressWindowS: 10,
    });
  });

  it('adds up the drops filters report since the stage began, across a filter VM restart', () => {
    const node = (dropsReported: number, key = 'edge-1#0') => ({ key, service: 'checkout', stats: {}, dropsReported });
    const m = StageMeter.start(
      0,
      src({ nodes: [node(7), { key: 'edge-2#0', service: 'checkout', dropsReported: 0 }] }),
    );
    expect(m.observe(src({ nodes: [node(9)] }), 1).filterDrops).toBe(2);
    expect(m.observe(src({ nodes: [node(1)] }), 2).filterDrops).toBe(3); // counter went down: a new VM, 1 new drop
    expect(m.observe(src({ nodes: [node(1), node(4, 'edge-3#0')] }), 3).filterDrops).toBe(7); // a node first seen mid-stage
  });

  it('tracks the candidate 5xx share and p99 latency of the stage, and lists destinations over capacity', () => {
    const m = StageMeter.start(0, src());
    for (let i = 0; i < 99; i++) m.addPair(200, 20_000);
    m.addPair(503, 900_000);
    const o = m.observe(src({ blast: blast(0, 0, { allowedRate: 12, capacity: 10 }) }), 1);
    expect([o.pairs, o.shadow5xx]).toEqual([100, 1]);
    expect(o.shadowLatencyP99Ms).toBeGreaterThan(19);
    expect(o.shadowLatencyP99Ms).toBeLessThan(21);
    expect(o.overCapacity).toEqual([{ destination: 'pay.example', allowedRate: 12, capacity: 10 }]);
  });

  it('round-trips through JSON with its windows intact', () => {
    const m = StageMeter.start(
      5,
      src({ endpointCounts: [{ endpoint: 'GET /a', pairs: 10, mismatched: 0 }], blast: blast(2, 0) }),
    );
    m.addPair(500, 1000);
    const back = StageMeter.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    expect(back.stageStartedAt).toBe(5);
    expect(
      back.observe(src({ endpointCounts: [{ endpoint: 'GET /a', pairs: 11, mismatched: 1 }], blast: blast(3, 0) }), 10),
    ).toMatchObject({
      pairs: 1,
      shadow5xx: 1,
      endpoints: [{ endpoint: 'GET /a', pairs: 1, mismatched: 1 }],
      egressDenied: 1,
    });
    expect(() => StageMeter.fromJSON({ nope: 1 })).toThrow(/StageMeter.fromJSON/);
  });
});
