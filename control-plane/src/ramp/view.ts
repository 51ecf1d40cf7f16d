// What GET /api/v1/policies/{name}/ramp shows: the state machine's state read against the policy's
// ramp (current cap, stage, when the hold ends, when the next evaluation runs), and the transitions
// newest first. Plain JSON; api/schemas/ramp.ts is its response schema.
import {
  nextAdvanceAt,
  rampCap,
  type RampEvaluation,
  type RampStatus,
  type RampTransition,
  type ResolvedRamp,
} from './state-machine.js';
import type { RampState } from './state-machine.js';

export interface RampView {
  policy: string;
  status: RampStatus;
  /** sampling cap pushed to the policy's edge filters, percent */
  percent: number;
  /** stage number of the current (or last) stage: 1 = stages[0] (one convention: API, messages, UI) */
  stage: number;
  stages: number[];
  holdSeconds: number[];
  evaluateEverySeconds: number;
  onBreach: 'pause' | 'revert';
  maxWaitSeconds: number;
  /** running: when the stage pauses if its guards are still inconclusive */
  pausesInconclusiveAt: number | null;
  startedAt: number | null;
  stageStartedAt: number | null;
  /** when the current stage's hold ends (running only); it advances at the first evaluation after it */
  nextAdvanceAt: number | null;
  nextEvaluationAt: number | null;
  lastEvaluation: RampEvaluation | null;
  /** newest first */
  transitions: RampTransition[];
  /** why the declared ramp cannot run (then percent is 0) */
  problem?: string;
}

export function rampView(state: RampState, ramp: ResolvedRamp | string, nextEvalAt: number | undefined): RampView {
  const ok = typeof ramp !== 'string';
  const view: RampView = {
    policy: state.policy,
    status: state.status,
    percent: ok ? rampCap(state, ramp) : 0,
    stage: (ok ? Math.min(state.stage, ramp.stages.length - 1) : state.stage) + 1,
    stages: ok ? ramp.stages : [],
    holdSeconds: ok ? ramp.holdMs.map((h) => h / 1000) : [],
    evaluateEverySeconds: ok ? ramp.evaluateEveryMs / 1000 : 0,
    onBreach: ok ? ramp.onBreach : 'pause',
    maxWaitSeconds: ok ? ramp.maxWaitMs / 1000 : 0,
    pausesInconclusiveAt: ok ? pausesAt(state, ramp) : null,
    startedAt: state.startedAt ?? null,
    stageStartedAt: state.stageStartedAt ?? null,
    nextAdvanceAt: ok ? (nextAdvanceAt(state, ramp) ?? null) : null,
    nextEvaluationAt: state.status === 'running' ? (nextEvalAt ?? null) : null,
    lastEvaluation: state.lastEvaluation
      ? {
          ...state.lastEvaluation,
          inconclusive: state.lastEvaluation.inconclusive ?? [],
          // records saved before guards had a status: ok meant "not failing"
          guards: state.lastEvaluation.guards.map((g) => ({ ...g, status: g.status ?? (g.ok ? 'pass' : 'fail') })),
        }
      : null,
    transitions: [...state.transitions].reverse(),
  };
  if (!ok) view.problem = ramp;
  return view;
}

function pausesAt(state: RampState, ramp: ResolvedRamp): number | null {
  const due = nextAdvanceAt(state, ramp);
  return due === undefined ? null : due + ramp.maxWaitMs;
}
