// The verdict a rollout controller gates on: pass, fail or inconclusive for one policy's current run,
// with every reason. Pure: main.ts gathers the inputs (reports, ramp, blast radius, run) and the API
// answers GET/POST /api/v1/policies/{name}/verdict with it (docs/api.md "Verdict").
//
//   fail          an endpoint mismatches at or above alerts.mismatchRate over at least alerts.minPairs
//                 compared pairs (its regression fields named), or its latency verdict fails
//                 (latency-verdict.ts), or a destination is over its declared capacity at its peak,
//                 or the ramp paused/reverted on a guard breach
//   inconclusive  nothing failed, but there is not enough evidence (evidence.ts: no pairs at all, or a
//                 busy or suspect endpoint short of minPairs compared pairs, or mostly not compared),
//                 or the ramp paused for lack of evidence
//   pass          neither: every endpoint that matters was judged and none failed
import { DEFAULT_COVERAGE, lackingEvidence } from './evidence.js';
import type { LatencyJudgement } from './latency-verdict.js';

export type VerdictValue = 'pass' | 'fail' | 'inconclusive';

export interface VerdictReason {
  kind: 'mismatch' | 'latency' | 'capacity' | 'ramp' | 'evidence';
  verdict: 'fail' | 'inconclusive';
  endpoint?: string;
  /** regression fields of a mismatching endpoint (at most 5) */
  fields?: string[];
  message: string;
}

export interface RunRef {
  id: number;
  candidateVersion: string;
  policyVersion: number;
  startedAt: string;
}

export interface Verdict {
  policy: string;
  verdict: VerdictValue;
  reasons: VerdictReason[];
  run: RunRef | null;
  pairs: number;
  endpoints: number;
  /** ISO-8601 */
  evaluatedAt: string;
}

export interface VerdictEndpoint {
  endpoint: string;
  pairs: number;
  /** percent of pairs with a regression field (current ignore rules applied) */
  mismatchRate: number;
  notCompared?: number;
  latencyVerdict: LatencyJudgement;
}

export interface VerdictInput {
  policy: string;
  endpoints: readonly VerdictEndpoint[];
  /** names of an endpoint's fields whose verdict is regression */
  regressionFields(endpoint: string): string[];
  alerts: { mismatchRate: number; minPairs: number };
  coverage?: number;
  ramp?: {
    status: string;
    /** the newest transition, when the ramp has one */
    last?: { to: string; by: string; reason: string };
  };
  overCapacity: ReadonlyArray<{ destination: string; peakAllowedRate: number; capacity: number }>;
  run: RunRef | null;
  now: number;
}

const pct = (n: number): string => `${Math.round(n * 100) / 100}%`;

export function judge(input: VerdictInput): Verdict {
  const fails: VerdictReason[] = [];
  const waits: VerdictReason[] = [];
  const { mismatchRate, minPairs } = input.alerts;
  let pairs = 0;
  const evidence = input.endpoints.map((e) => ({
    endpoint: e.endpoint,
    pairs: e.pairs,
    notCompared: e.notCompared,
    mismatched: Math.round((e.mismatchRate / 100) * e.pairs),
  }));
  for (const e of input.endpoints) {
    pairs += e.pairs;
    const compared = e.pairs - Math.min(e.pairs, Math.max(0, Number(e.notCompared) || 0));
    if (compared >= minPairs && e.mismatchRate > 0 && e.mismatchRate >= mismatchRate) {
      const fields = input.regressionFields(e.endpoint).slice(0, 5);
      fails.push({
        kind: 'mismatch',
        verdict: 'fail',
        endpoint: e.endpoint,
        fields,
        message: `${e.endpoint} mismatches on ${pct(e.mismatchRate)} of ${e.pairs} pairs (threshold ${pct(mismatchRate)})${fields.length ? `: ${fields.join(', ')}` : ''}`,
      });
    }
    if (e.latencyVerdict.verdict === 'fail')
      fails.push({
        kind: 'latency',
        verdict: 'fail',
        endpoint: e.endpoint,
        message: `${e.endpoint} ${e.latencyVerdict.detail}`,
      });
  }
  for (const d of input.overCapacity)
    fails.push({
      kind: 'capacity',
      verdict: 'fail',
      message: `${d.destination} took ${d.peakAllowedRate} rps of shadow traffic at its peak > capacity ${d.capacity} rps`,
    });
  const last = input.ramp?.last;
  const stopped = input.ramp && (input.ramp.status === 'paused' || input.ramp.status === 'reverted');
  if (stopped && last?.by === 'ramp') {
    const inconclusive = last.reason.startsWith('inconclusive');
    (inconclusive ? waits : fails).push({
      kind: 'ramp',
      verdict: inconclusive ? 'inconclusive' : 'fail',
      message: `the ramp is ${input.ramp!.status}: ${last.reason}`,
    });
  }
  if (pairs === 0)
    waits.push({ kind: 'evidence', verdict: 'inconclusive', message: 'no pairs were compared in this run yet' });
  else
    for (const l of lackingEvidence(evidence, input.coverage ?? DEFAULT_COVERAGE, minPairs))
      waits.push({ kind: 'evidence', verdict: 'inconclusive', message: `not enough evidence: ${l}` });
  const verdict: VerdictValue = fails.length > 0 ? 'fail' : waits.length > 0 ? 'inconclusive' : 'pass';
  return {
    policy: input.policy,
    verdict,
    // the failures first, then what is missing: an operator reads why before what else
    reasons: [...fails, ...waits],
    run: input.run,
    pairs,
    endpoints: input.endpoints.length,
    evaluatedAt: new Date(input.now).toISOString(),
  };
}
