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
//
// API:
//   resolveRamp(spec: RampSpec): ResolvedRamp | string        (string = why the spec is unusable)
//   rampSpecProblem(spec): { field, message } | undefined     (the same check, for the policy routes)
//   initialRampState(policy): RampState
//   rampCap(state, ramp): number                              sampling cap in percent for edge filters
//   nextAdvanceAt(state, ramp): number | undefined
//   command(state, ramp, action, now, by): { ok: true; state; events } | { ok: false; error }
//   evaluate(state, ramp, observations, now): { state; events }
//   checkGuards(ramp, observations): GuardValue[]
import type { RampGuards, RampSpec } from '../domain/types.js';

export type RampStatus = 'idle' | 'running' | 'paused' | 'completed' | 'aborted' | 'reverted';
export type RampAction = 'start' | 'pause' | 'resume' | 'abort';
export type GuardName =
  | 'shadowErrorRate'
  | 'mismatchRate'
  | 'egressDenied'
  | 'egressRateLimited'
  | 'latencyP99Ms'
  | 'filterDrops'
  | 'capacity';

export interface ResolvedRamp {
  stages: number[];
  holdMs: number[]; // one per stage
  evaluateEveryMs: number;
  onBreach: 'pause' | 'revert';
  guards: RampGuards & { minPairs: number; capacity: boolean };
}

export interface RampTransition {
  at: number;
  from: RampStatus;
  to: RampStatus;
  /** stage index and cap after the transition */
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
  ok: boolean;
  detail: string;
}

export interface RampEvaluation {
  at: number;
  guards: GuardValue[];
  breaches: string[];
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
  endpoints: ReadonlyArray<{ endpoint: string; pairs: number; mismatched: number }>;
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
      at: number;
      policy: string;
      guard: GuardName;
      endpoint?: string;
      value: number;
      pairs: number;
      message: string;
    };

export const MAX_TRANSITIONS = 200;
const DEFAULT_HOLD_S = 300;

/** What is wrong with a ramp spec: `field` is a JSON pointer under `ramp` ("/stages", "/holdSeconds"). */
export interface RampSpecProblem {
  field: string;
  message: string;
}

/**
 * The checks the schema cannot express (order of stages, one hold per stage), plus the ones it does
 * (so a spec stored before a schema change is still judged): the one validation of a ramp spec, used
 * by resolveRamp and by the policy routes before a write (so such a policy is refused with 400).
 */
export function rampSpecProblem(spec: RampSpec): RampSpecProblem | undefined {
  const stages = spec.stages;
  if (!Array.isArray(stages) || stages.length === 0)
    return { field: '/stages', message: 'must list at least one percent' };
  for (let i = 0; i < stages.length; i++) {
    const p = stages[i];
    if (typeof p !== 'number' || !(p > 0 && p <= 100))
      return { field: `/stages/${i}`, message: `must be a percent in (0, 100], got ${String(p)}` };
    if (i > 0 && p <= stages[i - 1])
      return { field: '/stages', message: `must be strictly increasing: ${p} follows ${stages[i - 1]}` };
  }
  const hold = spec.holdSeconds ?? DEFAULT_HOLD_S;
  if (Array.isArray(hold) && hold.length !== stages.length) {
    return { field: '/holdSeconds', message: `must have one entry per stage (${stages.length}), got ${hold.length}` };
  }
  if ((Array.isArray(hold) ? hold : [hold]).some((h) => !(typeof h === 'number' && h > 0)))
    return { field: '/holdSeconds', message: 'must be positive' };
  const every = spec.evaluateEverySeconds ?? 10;
  if (!(typeof every === 'number' && every > 0)) return { field: '/evaluateEverySeconds', message: 'must be positive' };
  return undefined;
}

export function resolveRamp(spec: RampSpec): ResolvedRamp | string {
  const problem = rampSpecProblem(spec);
  // "ramp.stages[1] must be …": the field as a reader of the policy document spells it.
  if (problem) return `ramp${problem.field.replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.')} ${problem.message}`;
  const stages = spec.stages;
  const hold = spec.holdSeconds ?? DEFAULT_HOLD_S;
  const holdS = Array.isArray(hold) ? hold : stages.map(() => hold);
  const every = spec.evaluateEverySeconds ?? 10;
  return {
    stages: [...stages],
    holdMs: holdS.map((h) => h * 1000),
    evaluateEveryMs: every * 1000,
    onBreach: spec.onBreach ?? 'pause',
    guards: { ...spec.guards, minPairs: spec.guards?.minPairs ?? 20, capacity: spec.guards?.capacity ?? true },
  };
}

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
  const t: RampTransition = { at, from: state.status, to, stage, percent: next.percent, reason, by };
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

export function checkGuards(ramp: ResolvedRamp, o: RampObservations): GuardValue[] {
  const g = ramp.guards;
  const out: GuardValue[] = [];
  const enough = o.pairs >= g.minPairs;
  if (g.shadowErrorRate !== undefined) {
    const value = enough ? (o.shadow5xx / o.pairs) * 100 : null;
    const ok = value === null || value <= g.shadowErrorRate;
    out.push({
      guard: 'shadowErrorRate',
      value,
      limit: g.shadowErrorRate,
      ok,
      detail:
        value === null
          ? `${o.pairs} of ${g.minPairs} pairs needed`
          : `${pct(value)} of ${o.pairs} pairs answered 5xx ${ok ? '≤' : '>'} ${pct(g.shadowErrorRate)}`,
    });
  }
  if (g.mismatchRate !== undefined) {
    let worst: { endpoint: string; rate: number; pairs: number } | undefined;
    for (const e of o.endpoints) {
      if (e.pairs < g.minPairs) continue;
      const rate = (e.mismatched / e.pairs) * 100;
      if (!worst || rate > worst.rate) worst = { endpoint: e.endpoint, rate, pairs: e.pairs };
    }
    const ok = !worst || worst.rate <= g.mismatchRate;
    out.push({
      guard: 'mismatchRate',
      value: worst ? worst.rate : null,
      limit: g.mismatchRate,
      ok,
      detail: worst
        ? `${worst.endpoint} ${pct(worst.rate)} ${ok ? '≤' : '>'} ${pct(g.mismatchRate)}`
        : `no endpoint has ${g.minPairs} pairs yet`,
    });
  }
  const window = o.egressWindowS !== undefined ? ` in the last ${Number(o.egressWindowS.toFixed(1))} s` : '';
  for (const [guard, value, what] of [
    ['egressDenied', o.egressDenied, 'denied'],
    ['egressRateLimited', o.egressRateLimited, 'rate-limited'],
  ] as const) {
    const limit = g[guard];
    if (limit === undefined) continue;
    const ok = value <= limit;
    out.push({ guard, value, limit, ok, detail: `${value} egress calls ${what}${window} ${ok ? '≤' : '>'} ${limit}` });
  }
  if (g.latencyP99Ms !== undefined) {
    const value = enough && o.shadowLatencyP99Ms !== undefined ? o.shadowLatencyP99Ms : null;
    const ok = value === null || value <= g.latencyP99Ms;
    out.push({
      guard: 'latencyP99Ms',
      value,
      limit: g.latencyP99Ms,
      ok,
      detail:
        value === null
          ? `${o.pairs} of ${g.minPairs} pairs needed`
          : `shadow p99 ${Number(value.toFixed(1))} ms ${ok ? '≤' : '>'} ${g.latencyP99Ms} ms`,
    });
  }
  if (g.filterDrops !== undefined) {
    const ok = o.filterDrops <= g.filterDrops;
    out.push({
      guard: 'filterDrops',
      value: o.filterDrops,
      limit: g.filterDrops,
      ok,
      detail: `${o.filterDrops} halves/events dropped by filters ${ok ? '≤' : '>'} ${g.filterDrops}`,
    });
  }
  if (g.capacity) {
    const over = [...o.overCapacity].sort((a, b) => b.allowedRate / b.capacity - a.allowedRate / a.capacity)[0];
    out.push({
      guard: 'capacity',
      value: o.overCapacity.length,
      limit: 0,
      ok: !over,
      detail: over
        ? `${over.destination} ${Number(over.allowedRate.toFixed(2))} rps > ${over.capacity} rps`
        : 'every destination within capacity',
    });
  }
  return out;
}

export function evaluate(state: RampState, spec: RampSpec | ResolvedRamp, o: RampObservations, now: number): Result {
  const ramp = 'holdMs' in spec ? spec : resolveRamp(spec);
  if (typeof ramp === 'string' || state.status !== 'running') return { state, events: [] };
  const guards = checkGuards(ramp, o);
  const breaches = guards.filter((g) => !g.ok).map((g) => `guard ${g.guard}: ${g.detail}`);
  const evaluated: RampState = { ...state, lastEvaluation: { at: now, guards, breaches } };
  const stage = stageOf(state, ramp);
  if (breaches.length > 0) {
    const to = ramp.onBreach === 'revert' ? 'reverted' : 'paused';
    const r = transition(evaluated, ramp, to, stage, now, breaches.join('; '), 'ramp');
    const first = guards.find((g) => !g.ok)!;
    const mismatch =
      first.guard === 'mismatchRate'
        ? [...o.endpoints]
            .filter((e) => e.pairs >= ramp.guards.minPairs)
            .sort((a, b) => b.mismatched / b.pairs - a.mismatched / a.pairs)[0]
        : undefined;
    r.events.push({
      type: 'alert',
      at: now,
      policy: state.policy,
      guard: first.guard,
      value: first.value ?? 0,
      pairs: mismatch?.pairs ?? o.pairs,
      ...(mismatch ? { endpoint: mismatch.endpoint } : {}),
      message: `${state.policy}: ramp ${to === 'reverted' ? 'reverted to 0%' : 'paused'} at stage ${stage + 1} (${pct(ramp.stages[stage])}): ${breaches.join('; ')}`,
    });
    return r;
  }
  const due = nextAdvanceAt(state, ramp);
  if (due === undefined || now < due) return { state: evaluated, events: [] };
  const held = `held ${pct(ramp.stages[stage])} for ${Math.round((now - (state.stageStartedAt ?? now)) / 1000)} s with every guard ok`;
  if (stage >= ramp.stages.length - 1) return transition(evaluated, ramp, 'completed', stage, now, held, 'ramp');
  return transition(
    evaluated,
    ramp,
    'running',
    stage + 1,
    now,
    `${held}; advancing to ${pct(ramp.stages[stage + 1])}`,
    'ramp',
    { stageStartedAt: now },
  );
}
