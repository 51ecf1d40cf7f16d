// The mirror ramp as a pure state machine: which sampling cap a policy's edge filters run under, and
// when it moves. No I/O and no clock of its own: `now` is an argument, so tests run a ramp through
// hours of hold time in microseconds, and controller.ts owns timers, observations and the store.
//
//   idle ──start──► running(0) ──hold passed, guards ok──► running(1) … ──last hold passed──► completed
//                    │  ▲ resume                     breach: onBreach 'pause' → paused (cap kept)
//                    ▼  │                                     onBreach 'revert' → reverted (cap 0 %)
//                   paused / reverted ──abort──► aborted (cap 0 %)      start again from stage 0
//
// Every transition is recorded with its reason ("guard mismatchRate: POST /refunds/{id} 12.5% > 5%")
// and who caused it ('ramp' for the evaluator, the principal's name for a command). A breach also
// yields an alert event. Observations are measured by the controller over the windows documented on
// RampObservations; this file only compares them with the limits.
import type { RampGuards, RampSpec } from '../domain/types.js';
import { comparedPairs } from '../reports/evidence.js';
import type { Percentiles } from '../reports/latency-verdict.js';
import { checkGuards, minFor } from './guards.js';
import { resolveRamp } from './spec.js';

export { checkGuards } from './guards.js';
export { rampSpecProblem, resolveRamp, type RampSpecProblem } from './spec.js';

export type RampStatus = 'idle' | 'running' | 'paused' | 'completed' | 'aborted' | 'reverted';
export type RampAction = 'start' | 'pause' | 'resume' | 'abort';
export type GuardName =
  | 'shadowErrorRate'
  | 'mismatchRate'
  | 'egressDenied'
  | 'egressRateLimited'
  | 'latencyP99Ms'
  | 'filterDrops'
  | 'capacity'
  | 'latencyRatio';
/** fail: a limit is broken; pass: it holds with enough evidence; inconclusive: not enough evidence yet */
export type GuardStatus = 'pass' | 'fail' | 'inconclusive';

export interface ResolvedRamp {
  stages: number[];
  holdMs: number[]; // one per stage
  evaluateEveryMs: number;
  onBreach: 'pause' | 'revert';
  /** how long past the hold a stage waits for evidence before pausing as inconclusive */
  maxWaitMs: number;
  guards: RampGuards & { minPairs: number; capacity: boolean; coverage: number; latencyMinDeltaMs: number };
}

export interface RampTransition {
  at: number;
  from: RampStatus;
  to: RampStatus;
  /** stage number (1 = the first stage, as in every message and the dashboard) and cap after the transition */
  stage: number;
  percent: number;
  reason: string;
  /** 'ramp' for the evaluator, else the principal who sent the command */
  by: string;
}

export interface GuardValue {
  guard: GuardName;
  /** observed value; null when there is not enough data yet (fewer than minPairs pairs) */
  value: number | null;
  limit: number;
  status: GuardStatus;
  /** status === 'pass' */
  ok: boolean;
  detail: string;
}

export interface RampEvaluation {
  at: number;
  guards: GuardValue[];
  breaches: string[];
  /** the guards without enough evidence: why the stage holds */
  inconclusive: string[];
}

export interface RampState {
  policy: string;
  status: RampStatus;
  stage: number;
  percent: number;
  startedAt?: number;
  stageStartedAt?: number;
  lastEvaluation?: RampEvaluation;
  /** oldest first, the last MAX_TRANSITIONS */
  transitions: RampTransition[];
}

/**
 * What the control plane saw. Windows: pairs, shadow5xx, endpoints, latency and filterDrops since the
 * current stage started (a stage is judged on its own traffic, not on the totals of smaller stages);
 * egress counts over the last evaluation period (a burst of denied side effects is news now, not
 * diluted by the stage); capacity as the blast-radius map has it now (its own sliding window).
 */
export interface RampObservations {
  pairs: number;
  shadow5xx: number;
  /** notCompared: pairs the engine could not compare (absent = 0); latency over the run (latencyRatio) */
  endpoints: ReadonlyArray<{
    endpoint: string;
    pairs: number;
    mismatched: number;
    notCompared?: number;
    latency?: { pairs: number; live: Percentiles; shadow: Percentiles };
  }>;
  shadowLatencyP99Ms?: number;
  egressDenied: number;
  egressRateLimited: number;
  /** length of the egress window, for the reason text */
  egressWindowS?: number;
  filterDrops: number;
  overCapacity: ReadonlyArray<{ destination: string; allowedRate: number; capacity: number }>;
}

export type RampEvent =
  | { type: 'transition'; transition: RampTransition }
  | {
      type: 'alert';
      /** breach: a guard failed; inconclusive: the stage waited maxWaitSeconds for evidence */
      kind: 'breach' | 'inconclusive';
      at: number;
      policy: string;
      guard: GuardName;
      endpoint?: string;
      value: number;
      pairs: number;
      message: string;
    };

export const MAX_TRANSITIONS = 200;
export function initialRampState(policy: string): RampState {
  return { policy, status: 'idle', stage: 0, percent: 0, transitions: [] };
}

const stageOf = (state: RampState, ramp: ResolvedRamp): number =>
  Math.min(Math.max(0, state.stage), ramp.stages.length - 1);

/** The sampling cap for edge filters: nothing is mirrored before start, after a revert or an abort. */
export function rampCap(state: RampState, ramp: ResolvedRamp): number {
  switch (state.status) {
    case 'running':
    case 'paused':
    case 'completed':
      return ramp.stages[stageOf(state, ramp)];
    default:
      return 0;
  }
}

export function nextAdvanceAt(state: RampState, ramp: ResolvedRamp): number | undefined {
  if (state.status !== 'running' || state.stageStartedAt === undefined) return undefined;
  return state.stageStartedAt + ramp.holdMs[stageOf(state, ramp)];
}

type Result = { state: RampState; events: RampEvent[] };

function transition(
  state: RampState,
  ramp: ResolvedRamp,
  to: RampStatus,
  stage: number,
  at: number,
  reason: string,
  by: string,
  extra: Partial<RampState> = {},
): Result {
  const next: RampState = { ...state, ...extra, status: to, stage };
  next.percent = rampCap(next, ramp);
  const t: RampTransition = { at, from: state.status, to, stage: stage + 1, percent: next.percent, reason, by };
  next.transitions = [...state.transitions, t].slice(-MAX_TRANSITIONS);
  return { state: next, events: [{ type: 'transition', transition: t }] };
}

const pct = (n: number): string => `${Number(n.toFixed(2))}%`;

export function command(
  state: RampState,
  ramp: ResolvedRamp,
  action: RampAction,
  now: number,
  by: string,
): ({ ok: true } & Result) | { ok: false; error: string } {
  const at = `${state.status}${state.status === 'running' || state.status === 'paused' ? ` at stage ${state.stage + 1} (${pct(state.percent)})` : ''}`;
  switch (action) {
    case 'start':
      if (state.status === 'running' || state.status === 'paused') {
        return {
          ok: false,
          error: `the ramp of policy '${state.policy}' is already ${at}; resume, pause or abort it instead`,
        };
      }
      return {
        ok: true,
        ...transition(state, ramp, 'running', 0, now, `started by ${by}`, by, {
          startedAt: now,
          stageStartedAt: now,
          lastEvaluation: undefined,
        }),
      };
    case 'pause':
      if (state.status !== 'running')
        return { ok: false, error: `the ramp of policy '${state.policy}' is ${at}; only a running ramp can be paused` };
      return { ok: true, ...transition(state, ramp, 'paused', state.stage, now, `paused by ${by}`, by) };
    case 'resume':
      if (state.status !== 'paused' && state.status !== 'reverted') {
        return {
          ok: false,
          error: `the ramp of policy '${state.policy}' is ${at}; only a paused or reverted ramp can be resumed`,
        };
      }
      // The stage restarts its hold and its guard windows: it is judged on traffic after the resume.
      return {
        ok: true,
        ...transition(state, ramp, 'running', stageOf(state, ramp), now, `resumed by ${by}`, by, {
          stageStartedAt: now,
        }),
      };
    case 'abort':
      if (state.status !== 'running' && state.status !== 'paused' && state.status !== 'reverted') {
        return { ok: false, error: `the ramp of policy '${state.policy}' is ${at}; there is nothing to abort` };
      }
      return { ok: true, ...transition(state, ramp, 'aborted', state.stage, now, `aborted by ${by}`, by) };
  }
}

/**
 * One evaluation of a running ramp. A failed guard pauses (or reverts) at once. Otherwise the stage
 * advances only when its hold has passed and every guard passes; an inconclusive guard holds the
 * stage, and once the hold plus maxWaitSeconds has passed the ramp pauses with an inconclusive alert.
 */
export function evaluate(state: RampState, spec: RampSpec | ResolvedRamp, o: RampObservations, now: number): Result {
  const ramp = 'holdMs' in spec ? spec : resolveRamp(spec);
  if (typeof ramp === 'string' || state.status !== 'running') return { state, events: [] };
  const guards = checkGuards(ramp, o);
  const breaches = guards.filter((g) => g.status === 'fail').map((g) => `guard ${g.guard}: ${g.detail}`);
  const inconclusive = guards.filter((g) => g.status === 'inconclusive').map((g) => `guard ${g.guard}: ${g.detail}`);
  const evaluated: RampState = { ...state, lastEvaluation: { at: now, guards, breaches, inconclusive } };
  const stage = stageOf(state, ramp);
  const where = `stage ${stage + 1} (${pct(ramp.stages[stage])})`;
  if (breaches.length > 0) {
    const to = ramp.onBreach === 'revert' ? 'reverted' : 'paused';
    const r = transition(evaluated, ramp, to, stage, now, breaches.join('; '), 'ramp');
    const first = guards.find((g) => g.status === 'fail')!;
    const mismatch =
      first.guard === 'mismatchRate'
        ? [...o.endpoints]
            .filter((e) => comparedPairs(e).compared >= minFor(ramp.guards, 'mismatchRate'))
            .sort((a, b) => b.mismatched / b.pairs - a.mismatched / a.pairs)[0]
        : undefined;
    r.events.push({
      type: 'alert',
      kind: 'breach',
      at: now,
      policy: state.policy,
      guard: first.guard,
      value: first.value ?? 0,
      pairs: mismatch?.pairs ?? o.pairs,
      ...(mismatch ? { endpoint: mismatch.endpoint } : {}),
      message: `${state.policy}: ramp ${to === 'reverted' ? 'reverted to 0%' : 'paused'} at ${where}: ${breaches.join('; ')}`,
    });
    return r;
  }
  const due = nextAdvanceAt(state, ramp);
  if (due === undefined || now < due) return { state: evaluated, events: [] };
  if (inconclusive.length > 0) {
    if (now < due + ramp.maxWaitMs) return { state: evaluated, events: [] };
    const waited = Math.round((now - (state.stageStartedAt ?? now)) / 1000);
    const reason = `inconclusive after ${waited} s at ${where}: ${inconclusive.join('; ')}`;
    const r = transition(evaluated, ramp, 'paused', stage, now, reason, 'ramp');
    const first = guards.find((g) => g.status === 'inconclusive')!;
    r.events.push({
      type: 'alert',
      kind: 'inconclusive',
      at: now,
      policy: state.policy,
      guard: first.guard,
      value: first.value ?? 0,
      pairs: o.pairs,
      message: `${state.policy}: ramp paused at ${where}, not enough evidence after ${waited} s: ${inconclusive.join('; ')}`,
    });
    return r;
  }
  const held = `held ${pct(ramp.stages[stage])} for ${Math.round((now - (state.stageStartedAt ?? now)) / 1000)} s with every guard passing`;
  if (stage >= ramp.stages.length - 1) return transition(evaluated, ramp, 'completed', stage, now, held, 'ramp');
  return transition(
    evaluated,
    ramp,
    'running',
    stage + 1,
    now,
    `${held}; advancing to stage ${stage + 2} (${pct(ramp.stages[stage + 1])})`,
    'ramp',
    { stageStartedAt: now },
  );
}
