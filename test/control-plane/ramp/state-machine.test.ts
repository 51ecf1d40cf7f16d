// The mirror ramp's pure state machine (control-plane/src/ramp/state-machine.ts) in accelerated time: the
// clock is a number the test moves, so a ramp with minute-long holds runs in microseconds.
import { describe, expect, it } from 'vitest';
import type { RampSpec } from '../../../control-plane/src/domain/types.js';
import {
  checkGuards,
  command,
  evaluate,
  initialRampState,
  nextAdvanceAt,
  rampCap,
  resolveRamp,
  type RampObservations,
  type RampState,
  type ResolvedRamp,
} from '../../../control-plane/src/ramp/state-machine.js';

const S = 1000;
const quiet = (over: Partial<RampObservations> = {}): RampObservations => ({
  pairs: 0,
  shadow5xx: 0,
  endpoints: [],
  egressDenied: 0,
  egressRateLimited: 0,
  filterDrops: 0,
  overCapacity: [],
  ...over,
});

/** A stage with evidence: 40 clean pairs on one endpoint. */
const clean = (over: Partial<RampObservations> = {}): RampObservations =>
  quiet({ pairs: 40, endpoints: [{ endpoint: 'GET /users/{id}', pairs: 40, mismatched: 0 }], ...over });

function resolved(spec: RampSpec): ResolvedRamp {
  const r = resolveRamp(spec);
  if (typeof r === 'string') throw new Error(r);
  return r;
}

function started(ramp: ResolvedRamp, at = 0): RampState {
  const r = command(initialRampState('checkout'), ramp, 'start', at, 'eddie');
  if (!r.ok) throw new Error(r.error);
  return r.state;
}

describe('resolving a declared ramp', () => {
  it('fills the defaults: 300 s holds, 10 s evaluations, pause on breach, 20 pairs, capacity checked', () => {
    expect(resolved({ stages: [1, 5] })).toEqual({
      stages: [1, 5],
      holdMs: [300 * S, 300 * S],
      evaluateEveryMs: 10 * S,
      onBreach: 'pause',
      maxWaitMs: 1800 * S,
      guards: { minPairs: 20, capacity: true, coverage: 80, latencyMinDeltaMs: 5 },
    });
    expect(resolved({ stages: [1, 5], holdSeconds: [30, 60] }).holdMs).toEqual([30 * S, 60 * S]);
  });

  it('says why stages that do not increase, or holds that do not match them, cannot run', () => {
    expect(resolveRamp({ stages: [1, 10, 5] })).toBe('ramp.stages must be strictly increasing: 5 follows 10');
    expect(resolveRamp({ stages: [5, 5] })).toBe('ramp.stages must be strictly increasing: 5 follows 5');
    expect(resolveRamp({ stages: [0, 5] })).toMatch(/ramp.stages\[0\] must be a percent in \(0, 100\]/);
    expect(resolveRamp({ stages: [1, 5], holdSeconds: [10] })).toBe(
      'ramp.holdSeconds must have one entry per stage (2), got 1',
    );
  });
});

describe('a ramp driven by its clock', () => {
  const ramp = resolved({ stages: [1, 5, 10], holdSeconds: [60, 120, 60], evaluateEverySeconds: 10 });

  it('mirrors nothing before it starts, then advances 1 → 5 → 10 → completed as each hold passes', () => {
    const idle = initialRampState('checkout');
    expect(rampCap(idle, ramp)).toBe(0);
    let s = started(ramp, 1_000);
    expect([s.status, rampCap(s, ramp), nextAdvanceAt(s, ramp)]).toEqual(['running', 1, 61_000]);

    for (let t = 11_000; t < 61_000; t += 10_000) {
      const r = evaluate(s, ramp, clean(), t);
      expect(r.events).toEqual([]);
      s = r.state;
    }
    expect(rampCap(s, ramp)).toBe(1);
    expect(s.lastEvaluation?.at).toBe(51_000);

    let r = evaluate(s, ramp, clean(), 61_000);
    expect([r.state.status, r.state.stage, rampCap(r.state, ramp), r.state.stageStartedAt]).toEqual([
      'running',
      1,
      5,
      61_000,
    ]);
    expect(r.events).toEqual([
      {
        type: 'transition',
        transition: {
          at: 61_000,
          from: 'running',
          to: 'running',
          stage: 2,
          percent: 5,
          by: 'ramp',
          reason: 'held 1% for 60 s with every guard passing; advancing to stage 2 (5%)',
        },
      },
    ]);
    // the second stage holds 120 s, not 60
    expect(evaluate(r.state, ramp, clean(), 121_000).state.stage).toBe(1);
    r = evaluate(r.state, ramp, clean(), 181_000);
    expect([r.state.stage, rampCap(r.state, ramp)]).toEqual([2, 10]);
    r = evaluate(r.state, ramp, clean(), 241_000);
    expect([r.state.status, rampCap(r.state, ramp), nextAdvanceAt(r.state, ramp)]).toEqual([
      'completed',
      10,
      undefined,
    ]);
    expect(r.state.transitions.map((t) => `${t.from}→${t.to}@${t.percent}`)).toEqual([
      'idle→running@1',
      'running→running@5',
      'running→running@10',
      'running→completed@10',
    ]);
  });

  it('reverts to 0 % on a breach when the policy says revert, naming the endpoint, and raises an alert', () => {
    const revert = resolved({
      stages: [1, 5, 10],
      holdSeconds: 60,
      onBreach: 'revert',
      guards: { mismatchRate: 5, minPairs: 10 },
    });
    const s = evaluate(started(revert), revert, clean(), 61_000).state;
    const obs = quiet({
      pairs: 60,
      endpoints: [
        { endpoint: 'GET /users/{id}', pairs: 40, mismatched: 0 },
        { endpoint: 'POST /refunds/{id}', pairs: 16, mismatched: 2 },
        { endpoint: 'GET /rare', pairs: 4, mismatched: 4 }, // below minPairs: not judged yet
      ],
    });
    const r = evaluate(s, revert, obs, 71_000);
    expect([r.state.status, rampCap(r.state, revert), r.state.stage]).toEqual(['reverted', 0, 1]);
    const reason = 'guard mismatchRate: POST /refunds/{id} 12.5% > 5%';
    expect(r.state.transitions.at(-1)).toMatchObject({
      from: 'running',
      to: 'reverted',
      percent: 0,
      reason,
      by: 'ramp',
    });
    expect(r.events[1]).toEqual({
      type: 'alert',
      kind: 'breach',
      at: 71_000,
      policy: 'checkout',
      guard: 'mismatchRate',
      endpoint: 'POST /refunds/{id}',
      value: 12.5,
      pairs: 16,
      message: `checkout: ramp reverted to 0% at stage 2 (5%): ${reason}`,
    });
    expect(r.state.lastEvaluation?.breaches).toEqual([reason]);
    // a reverted ramp is not evaluated until resumed
    expect(evaluate(r.state, revert, quiet(), 200_000).state).toBe(r.state);
  });

  it('pauses on a breach by default and keeps the current percent', () => {
    const pause = resolved({ stages: [1, 5], holdSeconds: 60, guards: { shadowErrorRate: 2, minPairs: 20 } });
    const r = evaluate(started(pause), pause, quiet({ pairs: 40, shadow5xx: 3 }), 10_000);
    expect([r.state.status, rampCap(r.state, pause)]).toEqual(['paused', 1]);
    expect(r.state.transitions.at(-1)?.reason).toBe('guard shadowErrorRate: 7.5% of 40 pairs answered 5xx > 2%');
  });

  it('does not judge rates or latency before minPairs pairs', () => {
    const g = resolved({ stages: [1], guards: { shadowErrorRate: 1, latencyP99Ms: 100, minPairs: 20 } });
    const few = checkGuards(g, quiet({ pairs: 5, shadow5xx: 5, shadowLatencyP99Ms: 900 }));
    expect(few.map((v) => [v.guard, v.value, v.status])).toEqual([
      ['shadowErrorRate', null, 'inconclusive'],
      ['latencyP99Ms', null, 'inconclusive'],
      ['capacity', 0, 'inconclusive'],
    ]);
    const many = checkGuards(g, quiet({ pairs: 20, shadow5xx: 0, shadowLatencyP99Ms: 812.4 }));
    expect(many.find((v) => v.guard === 'latencyP99Ms')).toMatchObject({
      ok: false,
      detail: 'shadow p99 812.4 ms > 100 ms',
    });
  });

  it('checks egress, filter drops and capacity, and reports every breach in one reason', () => {
    const g = resolved({
      stages: [1, 5],
      holdSeconds: 60,
      onBreach: 'revert',
      guards: { egressDenied: 0, egressRateLimited: 10, filterDrops: 5 },
    });
    const r = evaluate(
      started(g),
      g,
      quiet({
        egressDenied: 3,
        egressWindowS: 10,
        egressRateLimited: 4,
        filterDrops: 6,
        overCapacity: [{ destination: 'pay.example', allowedRate: 12.25, capacity: 10 }],
      }),
      10_000,
    );
    expect(r.state.transitions.at(-1)?.reason).toBe(
      [
        'guard egressDenied: 3 egress calls denied in the last 10 s > 0',
        'guard filterDrops: 6 halves/events dropped by filters > 5',
        'guard capacity: pay.example peaked at 12.25 rps > 10 rps',
      ].join('; '),
    );
    const noCapacity = resolved({ stages: [1], guards: { capacity: false } });
    expect(
      checkGuards(noCapacity, quiet({ overCapacity: [{ destination: 'x', allowedRate: 2, capacity: 1 }] })),
    ).toEqual([]);
  });
});

describe('operator commands', () => {
  const ramp = resolved({ stages: [1, 5, 10], holdSeconds: 60 });

  it('pause holds the percent, resume restarts the stage hold, abort mirrors nothing, start begins again', () => {
    let s = evaluate(started(ramp), ramp, clean(), 60_000).state; // stage 2 (5 %)
    const p = command(s, ramp, 'pause', 70_000, 'eddie');
    if (!p.ok) throw new Error(p.error);
    expect([p.state.status, rampCap(p.state, ramp)]).toEqual(['paused', 5]);
    expect(evaluate(p.state, ramp, quiet(), 500_000).state.stage).toBe(1); // paused: the hold does not run out
    const r = command(p.state, ramp, 'resume', 100_000, 'eddie');
    if (!r.ok) throw new Error(r.error);
    expect([r.state.status, r.state.stageStartedAt, nextAdvanceAt(r.state, ramp)]).toEqual([
      'running',
      100_000,
      160_000,
    ]);
    const a = command(r.state, ramp, 'abort', 110_000, 'vera');
    if (!a.ok) throw new Error(a.error);
    expect([a.state.status, rampCap(a.state, ramp)]).toEqual(['aborted', 0]);
    expect(a.state.transitions.at(-1)).toMatchObject({ reason: 'aborted by vera', by: 'vera' });
    const again = command(a.state, ramp, 'start', 120_000, 'eddie');
    if (!again.ok) throw new Error(again.error);
    s = again.state;
    expect([s.status, s.stage, rampCap(s, ramp)]).toEqual(['running', 0, 1]);
  });

  it('refuses a command the status does not allow, saying which status it is in', () => {
    const s = started(ramp);
    expect(command(s, ramp, 'start', 1, 'e')).toEqual({
      ok: false,
      error: "the ramp of policy 'checkout' is already running at stage 1 (1%); resume, pause or abort it instead",
    });
    expect(command(s, ramp, 'resume', 1, 'e')).toMatchObject({
      ok: false,
      error: expect.stringContaining('only a paused or reverted ramp can be resumed'),
    });
    const idle = initialRampState('checkout');
    expect(command(idle, ramp, 'pause', 1, 'e')).toMatchObject({
      ok: false,
      error: "the ramp of policy 'checkout' is idle; only a running ramp can be paused",
    });
    expect(command(idle, ramp, 'abort', 1, 'e')).toMatchObject({
      ok: false,
      error: expect.stringContaining('nothing to abort'),
    });
  });
});

describe('evidence before advancing (issue 10)', () => {
  const ramp = resolved({
    stages: [5, 25, 50, 100],
    holdSeconds: 60,
    maxWaitSeconds: 300,
    guards: { mismatchRate: 10, minPairs: 10 },
  });

  it('never advances a ramp without traffic: inconclusive, then paused with an alert after the maximum wait', () => {
    let s = started(ramp);
    for (let t = 10_000; t < 360_000; t += 10_000) {
      const r = evaluate(s, ramp, quiet(), t);
      expect(r.events).toEqual([]);
      s = r.state;
    }
    expect([s.status, s.stage, rampCap(s, ramp)]).toEqual(['running', 0, 5]);
    expect(s.lastEvaluation?.guards.map((g) => [g.guard, g.status])).toEqual([
      ['mismatchRate', 'inconclusive'],
      ['capacity', 'inconclusive'],
    ]);
    expect(s.lastEvaluation?.inconclusive[0]).toBe('guard mismatchRate: no pairs in this stage yet');
    const r = evaluate(s, ramp, quiet(), 360_000); // hold 60 s + max wait 300 s
    expect([r.state.status, rampCap(r.state, ramp)]).toEqual(['paused', 5]);
    expect(r.state.transitions.at(-1)?.reason).toMatch(
      /^inconclusive after 360 s at stage 1 \(5%\): guard mismatchRate/,
    );
    expect(r.events[1]).toMatchObject({ type: 'alert', kind: 'inconclusive', guard: 'mismatchRate' });
  });

  it('holds a stage while a regressing endpoint has too few pairs, then pauses once the evidence exists', () => {
    let s = started(ramp);
    const obs = (refunds: number) =>
      quiet({
        pairs: 200 + refunds,
        endpoints: [
          { endpoint: 'GET /users/{id}', pairs: 200, mismatched: 0 },
          { endpoint: 'POST /refunds/{id}', pairs: refunds, mismatched: refunds },
        ],
      });
    // the hold has passed, users are clean, but the refunds endpoint (100 % mismatch) has 3 pairs: hold
    let r = evaluate(s, ramp, obs(3), 70_000);
    expect([r.state.status, r.state.stage]).toEqual(['running', 0]);
    expect(r.state.lastEvaluation?.inconclusive).toEqual([
      'guard mismatchRate: not enough evidence: POST /refunds/{id} 3 of 10 compared pairs',
    ]);
    s = r.state;
    r = evaluate(s, ramp, obs(10), 80_000);
    expect([r.state.status, r.state.stage]).toEqual(['paused', 0]);
    expect(r.state.transitions.at(-1)?.reason).toBe('guard mismatchRate: POST /refunds/{id} 100% > 10%');
  });

  it('needs minPairs on the busiest endpoints that carry `coverage` % of the pairs, not on the clean tail', () => {
    const endpoints = [
      { endpoint: 'GET /a', pairs: 70, mismatched: 0 },
      { endpoint: 'GET /b', pairs: 5, mismatched: 0 },
      { endpoint: 'GET /c', pairs: 5, mismatched: 0 },
    ];
    // 70 of 80 pairs = 87.5 % ≥ 80 %: the clean tail needs no evidence
    expect(checkGuards(ramp, quiet({ pairs: 80, endpoints }))[0].status).toBe('pass');
    const stricter = resolved({ stages: [5], guards: { mismatchRate: 10, minPairs: 10, coverage: 95 } });
    expect(checkGuards(stricter, quiet({ pairs: 80, endpoints }))[0]).toMatchObject({
      status: 'inconclusive',
      detail: 'not enough evidence: GET /b 5 of 10 compared pairs, GET /c 5 of 10 compared pairs',
    });
  });

  it('treats an endpoint whose pairs were mostly not compared as no evidence (issue 14 notCompared)', () => {
    const judge = (pairs: number, notCompared: number) =>
      checkGuards(ramp, quiet({ pairs, endpoints: [{ endpoint: 'GET /big', pairs, mismatched: 0, notCompared }] }))[0];
    // 10 compared pairs is enough by count, but 30 of 40 were not compared: no evidence
    expect(judge(40, 30)).toMatchObject({
      status: 'inconclusive',
      detail: 'not enough evidence: GET /big 30 of 40 pairs not compared',
    });
    expect(judge(40, 35)).toMatchObject({
      status: 'inconclusive',
      detail: 'not enough evidence: GET /big 5 of 10 compared pairs',
    });
    expect(judge(40, 10).status).toBe('pass');
  });

  it('uses per-guard minimum pairs', () => {
    const g = resolved({
      stages: [5],
      guards: { shadowErrorRate: 5, minPairs: 10, minPairsFor: { shadowErrorRate: 100 } },
    });
    expect(checkGuards(g, clean())[0]).toMatchObject({
      status: 'inconclusive',
      detail: '40 of 100 pairs needed in this stage',
    });
  });

  it('fails the latencyRatio guard on one endpoint 3× slower than live, passes a clean one', () => {
    const g = resolved({ stages: [5], guards: { latencyRatio: 2, minPairs: 10, capacity: false } });
    const lat = (liveMs: number, shadowMs: number) => ({
      pairs: 40,
      live: { p50Us: liveMs * 1000, p99Us: liveMs * 2000 },
      shadow: { p50Us: shadowMs * 1000, p99Us: shadowMs * 2000 },
    });
    const endpoints = [
      { endpoint: 'GET /fast', pairs: 40, mismatched: 0, latency: lat(20, 21) },
      { endpoint: 'GET /slow', pairs: 40, mismatched: 0, latency: lat(20, 60) },
    ];
    expect(checkGuards(g, quiet({ pairs: 80, endpoints }))).toEqual([
      {
        guard: 'latencyRatio',
        value: 3,
        limit: 2,
        status: 'fail',
        ok: false,
        detail: 'GET /slow shadow p50 60 ms is 3× live 20 ms (limit 2×)',
      },
    ]);
    expect(checkGuards(g, quiet({ pairs: 40, endpoints: [endpoints[0]] }))[0].status).toBe('pass');
  });
});
