// Ramp guards: judges each enabled guard of a stage as pass, fail or inconclusive from what the
// stage observed (docs/verdicts.md "The ramp's evidence rules"): a breach fails whatever the evidence;
// a pass needs enough evidence (minPairs per guard, the evidence rule of reports/evidence.ts for the
// per-endpoint guards); no traffic is never a pass. Pure; state-machine.ts decides what a stage does.
import { comparedPairs, lackingEvidence, requiredEndpoints } from '../reports/evidence.js';
import { judgeLatency } from '../reports/latency-verdict.js';
import type { GuardName, GuardStatus, GuardValue, RampObservations, ResolvedRamp } from './state-machine.js';

const pct = (n: number): string => `${Number(n.toFixed(2))}%`;

export const minFor = (g: ResolvedRamp['guards'], guard: GuardName): number => g.minPairsFor?.[guard] ?? g.minPairs;

function guardValue(
  guard: GuardName,
  value: number | null,
  limit: number,
  status: GuardStatus,
  detail: string,
): GuardValue {
  return { guard, value, limit, status, ok: status === 'pass', detail };
}

/**
 * Judges every enabled guard: `fail` when the observed value breaks the limit (whatever the evidence),
 * `pass` only when it holds with enough evidence, else `inconclusive` (the detail says what is missing).
 * No traffic is never a pass: zero denied egress calls over zero pairs proves nothing.
 */
export function checkGuards(ramp: ResolvedRamp, o: RampObservations): GuardValue[] {
  const g = ramp.guards;
  const out: GuardValue[] = [];
  const need = (guard: GuardName) => minFor(g, guard);
  const short = (guard: GuardName) => `${o.pairs} of ${need(guard)} pairs needed in this stage`;
  if (g.shadowErrorRate !== undefined) {
    const enough = o.pairs >= need('shadowErrorRate');
    const value = o.pairs > 0 ? (o.shadow5xx / o.pairs) * 100 : null;
    const over = value !== null && value > g.shadowErrorRate;
    const status: GuardStatus = enough ? (over ? 'fail' : 'pass') : 'inconclusive';
    out.push(
      guardValue(
        'shadowErrorRate',
        enough ? value : null,
        g.shadowErrorRate,
        status,
        enough && value !== null
          ? `${pct(value)} of ${o.pairs} pairs answered 5xx ${over ? '>' : '≤'} ${pct(g.shadowErrorRate)}`
          : short('shadowErrorRate'),
      ),
    );
  }
  if (g.mismatchRate !== undefined) out.push(mismatchGuard(ramp, o, g.mismatchRate));
  const window = o.egressWindowS !== undefined ? ` in the last ${Number(o.egressWindowS.toFixed(1))} s` : '';
  for (const [guard, value, what] of [
    ['egressDenied', o.egressDenied, 'denied'],
    ['egressRateLimited', o.egressRateLimited, 'rate-limited'],
  ] as const) {
    const limit = g[guard];
    if (limit === undefined) continue;
    const over = value > limit;
    const status: GuardStatus = over ? 'fail' : o.pairs >= need(guard) ? 'pass' : 'inconclusive';
    const text = `${value} egress calls ${what}${window} ${over ? '>' : '≤'} ${limit}`;
    out.push(guardValue(guard, value, limit, status, status === 'inconclusive' ? `${text}; ${short(guard)}` : text));
  }
  if (g.latencyP99Ms !== undefined) {
    const enough = o.pairs >= need('latencyP99Ms') && o.shadowLatencyP99Ms !== undefined;
    const value = enough ? o.shadowLatencyP99Ms! : null;
    const over = value !== null && value > g.latencyP99Ms;
    out.push(
      guardValue(
        'latencyP99Ms',
        value,
        g.latencyP99Ms,
        enough ? (over ? 'fail' : 'pass') : 'inconclusive',
        value === null
          ? short('latencyP99Ms')
          : `shadow p99 ${Number(value.toFixed(1))} ms ${over ? '>' : '≤'} ${g.latencyP99Ms} ms`,
      ),
    );
  }
  if (g.latencyRatio !== undefined) out.push(latencyRatioGuard(ramp, o, g.latencyRatio));
  if (g.filterDrops !== undefined) {
    const over = o.filterDrops > g.filterDrops;
    const status: GuardStatus = over ? 'fail' : o.pairs >= need('filterDrops') ? 'pass' : 'inconclusive';
    const text = `${o.filterDrops} halves/events dropped by filters ${over ? '>' : '≤'} ${g.filterDrops}`;
    out.push(
      guardValue(
        'filterDrops',
        o.filterDrops,
        g.filterDrops,
        status,
        status === 'inconclusive' ? `${text}; ${short('filterDrops')}` : text,
      ),
    );
  }
  if (g.capacity) {
    const over = [...o.overCapacity].sort((a, b) => b.allowedRate / b.capacity - a.allowedRate / a.capacity)[0];
    const status: GuardStatus = over ? 'fail' : o.pairs >= need('capacity') ? 'pass' : 'inconclusive';
    const text = over
      ? `${over.destination} peaked at ${Number(over.allowedRate.toFixed(2))} rps > ${over.capacity} rps`
      : 'every destination within capacity';
    out.push(
      guardValue(
        'capacity',
        o.overCapacity.length,
        0,
        status,
        status === 'inconclusive' ? `${text}; ${short('capacity')}` : text,
      ),
    );
  }
  return out;
}

/** The inconclusive detail: the first five endpoints short of evidence, and how many more there are. */
const notEnoughEvidence = (lacking: string[]): string =>
  `not enough evidence: ${lacking.slice(0, 5).join(', ')}${lacking.length > 5 ? ` and ${lacking.length - 5} more` : ''}`;

/**
 * The mismatch guard (per endpoint, rates over the pairs that were compared): fails on any endpoint
 * with its minimum pairs over the limit; passes when every required endpoint (requiredEndpoints) has
 * its minimum of compared pairs and most of its pairs were compared; else inconclusive, naming them.
 */
function mismatchGuard(ramp: ResolvedRamp, o: RampObservations, limit: number): GuardValue {
  const need = minFor(ramp.guards, 'mismatchRate');
  let worst: { endpoint: string; rate: number } | undefined;
  for (const e of o.endpoints) {
    const { compared } = comparedPairs(e);
    if (compared < need) continue;
    const rate = (e.mismatched / compared) * 100;
    if (!worst || rate > worst.rate) worst = { endpoint: e.endpoint, rate };
  }
  if (worst && worst.rate > limit)
    return guardValue(
      'mismatchRate',
      worst.rate,
      limit,
      'fail',
      `${worst.endpoint} ${pct(worst.rate)} > ${pct(limit)}`,
    );
  if (o.endpoints.length === 0)
    return guardValue('mismatchRate', null, limit, 'inconclusive', 'no pairs in this stage yet');
  const lacking = lackingEvidence(o.endpoints, ramp.guards.coverage, need);
  if (lacking.length > 0)
    return guardValue('mismatchRate', worst?.rate ?? null, limit, 'inconclusive', notEnoughEvidence(lacking));
  return guardValue(
    'mismatchRate',
    worst?.rate ?? 0,
    limit,
    'pass',
    worst ? `${worst.endpoint} ${pct(worst.rate)} ≤ ${pct(limit)}` : 'no mismatches',
  );
}

/** Shadow p50/p99 over live per endpoint, judged like the reports' latency verdict (latency-verdict.ts). */
function latencyRatioGuard(ramp: ResolvedRamp, o: RampObservations, limit: number): GuardValue {
  const cfg = {
    ratio: limit,
    minPairs: minFor(ramp.guards, 'latencyRatio'),
    minDeltaMs: ramp.guards.latencyMinDeltaMs,
  };
  const required = requiredEndpoints(o.endpoints, ramp.guards.coverage);
  let worst: { endpoint: string; ratio: number; detail: string } | undefined;
  const lacking: string[] = [];
  for (const e of o.endpoints) {
    const j = e.latency ? judgeLatency(e.latency.pairs, e.latency.live, e.latency.shadow, cfg) : undefined;
    if (j?.verdict === 'fail') return guardValue('latencyRatio', j.ratio, limit, 'fail', `${e.endpoint} ${j.detail}`);
    if (j?.verdict === 'pass' && (!worst || (j.ratio ?? 0) > worst.ratio))
      worst = { endpoint: e.endpoint, ratio: j.ratio ?? 0, detail: j.detail };
    if (required.has(e.endpoint) && j?.verdict !== 'pass')
      lacking.push(`${e.endpoint} ${e.latency?.pairs ?? 0} of ${cfg.minPairs} pairs`);
  }
  if (o.endpoints.length === 0)
    return guardValue('latencyRatio', null, limit, 'inconclusive', 'no pairs in this stage yet');
  if (lacking.length > 0)
    return guardValue('latencyRatio', worst?.ratio ?? null, limit, 'inconclusive', notEnoughEvidence(lacking));
  return guardValue(
    'latencyRatio',
    worst?.ratio ?? 0,
    limit,
    'pass',
    worst ? `${worst.endpoint} ${worst.detail}` : 'no latency regression',
  );
}
