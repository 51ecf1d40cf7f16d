// Evidence: which endpoints must have been seen enough before a per-endpoint judgement (the ramp's
// mismatch and latency guards, the verdict API) may say "pass". The definition, in one place:
//
//   the busiest endpoints, by pairs, that together carry at least `coverage` % of the pairs (default
//   80 %), plus every endpoint that already showed a mismatch (a suspect is never skipped as "tail").
//
// Each of them needs `minPairs` compared pairs, and most of its pairs compared (an endpoint whose
// pairs were mostly not compared — issue 14's notCompared — is no evidence). A quiet tail endpoint
// without mismatches does not hold the verdict back; no pairs at all is never a pass.
import { policyDocument } from '../domain/contract-schemas.gen.js';

/** ramp.guards.coverage's schema default. */
export const DEFAULT_COVERAGE = policyDocument.properties.ramp.properties.guards.properties.coverage.default;

export interface EndpointEvidence {
  endpoint: string;
  pairs: number;
  mismatched: number;
  /** pairs the engine could not compare (absent = 0) */
  notCompared?: number;
}

export function requiredEndpoints(endpoints: readonly EndpointEvidence[], coverage: number): Set<string> {
  const sorted = [...endpoints].sort((a, b) => b.pairs - a.pairs || (a.endpoint < b.endpoint ? -1 : 1));
  const total = sorted.reduce((n, e) => n + e.pairs, 0);
  const out = new Set<string>();
  let covered = 0;
  for (const e of sorted) {
    if (total > 0 && covered * 100 >= total * coverage) break;
    out.add(e.endpoint);
    covered += e.pairs;
  }
  for (const e of sorted) if (e.mismatched > 0) out.add(e.endpoint);
  return out;
}

/** Compared pairs of an endpoint: notCompared read defensively (absent, negative or too big). */
export function comparedPairs(e: EndpointEvidence): { compared: number; notCompared: number } {
  const notCompared = Math.min(e.pairs, Math.max(0, Number(e.notCompared) || 0));
  return { compared: e.pairs - notCompared, notCompared };
}

export function lackingEvidence(endpoints: readonly EndpointEvidence[], coverage: number, minPairs: number): string[] {
  const required = requiredEndpoints(endpoints, coverage);
  const out: string[] = [];
  for (const e of endpoints) {
    if (!required.has(e.endpoint)) continue;
    const { compared, notCompared } = comparedPairs(e);
    if (compared < minPairs) out.push(`${e.endpoint} ${compared} of ${minPairs} compared pairs`);
    else if (notCompared * 2 > e.pairs) out.push(`${e.endpoint} ${notCompared} of ${e.pairs} pairs not compared`);
  }
  return out;
}
