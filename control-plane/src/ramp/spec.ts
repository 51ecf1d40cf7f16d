// A declared ramp spec, checked and resolved: rampSpecProblem is the one validation (stage order, one
// hold per stage, positive periods; used by the policy routes before a write and by resolveRamp), and
// resolveRamp fills the defaults (300-s holds, 10-s evaluations, pause on breach, 1800-s maximum wait
// for evidence, 20 pairs, 80 % coverage, capacity checked) from the policy schema.
import { policyDocument } from '../domain/contract-schemas.gen.js';
import type { AlertSpec, RampSpec } from '../domain/types.js';
import { latencyConfig } from '../reports/latency-verdict.js';
import type { ResolvedRamp } from './state-machine.js';

// The defaults are the policy schema's own `default`s, so the document an operator reads and the
// ramp that runs cannot disagree.
const RAMP = policyDocument.properties.ramp.properties;
const GUARDS = RAMP.guards.properties;

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
  const hold = spec.holdSeconds ?? RAMP.holdSeconds.default;
  if (Array.isArray(hold) && hold.length !== stages.length) {
    return { field: '/holdSeconds', message: `must have one entry per stage (${stages.length}), got ${hold.length}` };
  }
  if ((Array.isArray(hold) ? hold : [hold]).some((h) => !(typeof h === 'number' && h > 0)))
    return { field: '/holdSeconds', message: 'must be positive' };
  const every = spec.evaluateEverySeconds ?? RAMP.evaluateEverySeconds.default;
  if (!(typeof every === 'number' && every > 0)) return { field: '/evaluateEverySeconds', message: 'must be positive' };
  return undefined;
}

/** `alerts` lends the latency guard its minimum slowdown (alerts.latencyMinDeltaMs, default 5 ms). */
export function resolveRamp(spec: RampSpec, alerts?: AlertSpec): ResolvedRamp | string {
  const problem = rampSpecProblem(spec);
  // "ramp.stages[1] must be …": the field as a reader of the policy document spells it.
  if (problem) return `ramp${problem.field.replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.')} ${problem.message}`;
  const stages = spec.stages;
  const hold = spec.holdSeconds ?? RAMP.holdSeconds.default;
  const holdS = Array.isArray(hold) ? hold : stages.map(() => hold);
  const every = spec.evaluateEverySeconds ?? RAMP.evaluateEverySeconds.default;
  return {
    stages: [...stages],
    holdMs: holdS.map((h) => h * 1000),
    evaluateEveryMs: every * 1000,
    onBreach: spec.onBreach ?? RAMP.onBreach.default,
    maxWaitMs: (spec.maxWaitSeconds ?? RAMP.maxWaitSeconds.default) * 1000,
    guards: {
      ...spec.guards,
      minPairs: spec.guards?.minPairs ?? GUARDS.minPairs.default,
      capacity: spec.guards?.capacity ?? GUARDS.capacity.default,
      coverage: spec.guards?.coverage ?? GUARDS.coverage.default,
      latencyMinDeltaMs: latencyConfig(alerts).minDeltaMs,
    },
  };
}
