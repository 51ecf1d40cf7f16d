// Latency verdict: is a candidate that answers the same but slower a regression? One endpoint's
// shadow p50 and p99 are compared with live's over the same pairs: `fail` when either is more than
// `ratio` times live AND slower by at least `minDeltaMs` (so 0.2 ms vs 0.6 ms on a loopback is not a
// verdict), `inconclusive` below `minPairs` pairs, else `pass`. Used by the reports (per endpoint),
// the verdict API and the ramp's latencyRatio guard, so all three say the same thing.
import { policyDocument } from '../domain/contract-schemas.gen.js';
import type { AlertSpec } from '../domain/types.js';

/** Defaults are the policy schema's `default`s (alerts.*). */
const ALERTS = policyDocument.properties.alerts.properties;

export interface LatencyConfig {
  /** shadow over live, e.g. 2 = twice as slow */
  ratio: number;
  minPairs: number;
  minDeltaMs: number;
}
export interface Percentiles {
  p50Us: number;
  p99Us: number;
}
export interface LatencyJudgement {
  verdict: 'pass' | 'fail' | 'inconclusive';
  /** the worse of p50 and p99 (shadow / live), rounded to 2 decimals; null without evidence */
  ratio: number | null;
  percentile: 'p50' | 'p99';
  liveMs: number;
  shadowMs: number;
  detail: string;
}

export function latencyConfig(alerts?: AlertSpec, fallbackMinPairs: number = ALERTS.minPairs.default): LatencyConfig {
  return {
    ratio:
      typeof alerts?.latencyRatio === 'number' && alerts.latencyRatio > 1
        ? alerts.latencyRatio
        : ALERTS.latencyRatio.default,
    minPairs:
      typeof alerts?.latencyMinPairs === 'number' && alerts.latencyMinPairs >= 1
        ? alerts.latencyMinPairs
        : typeof alerts?.minPairs === 'number' && alerts.minPairs >= 1
          ? alerts.minPairs
          : fallbackMinPairs,
    minDeltaMs:
      typeof alerts?.latencyMinDeltaMs === 'number' && alerts.latencyMinDeltaMs >= 0
        ? alerts.latencyMinDeltaMs
        : ALERTS.latencyMinDeltaMs.default,
  };
}

const ms = (us: number): number => Math.round(us / 10) / 100;
const round2 = (n: number): number => Math.round(n * 100) / 100;

export function judgeLatency(
  pairs: number,
  live: Percentiles,
  shadow: Percentiles,
  cfg: LatencyConfig,
): LatencyJudgement {
  const candidates = (['p50', 'p99'] as const).map((p) => {
    const l = p === 'p50' ? live.p50Us : live.p99Us;
    const s = p === 'p50' ? shadow.p50Us : shadow.p99Us;
    // live 0 µs (sub-microsecond): compare with 1 µs so the ratio stays finite
    return { percentile: p, liveUs: l, shadowUs: s, ratio: s / Math.max(1, l) };
  });
  const worst = candidates[0].ratio >= candidates[1].ratio ? candidates[0] : candidates[1];
  const base = { percentile: worst.percentile, liveMs: ms(worst.liveUs), shadowMs: ms(worst.shadowUs) };
  if (pairs < cfg.minPairs)
    return { verdict: 'inconclusive', ratio: null, ...base, detail: `${pairs} of ${cfg.minPairs} pairs needed` };
  const slow = candidates
    .filter((c) => c.ratio > cfg.ratio && c.shadowUs - c.liveUs >= cfg.minDeltaMs * 1000)
    .sort((a, b) => b.ratio - a.ratio)[0];
  if (slow)
    return {
      verdict: 'fail',
      ratio: round2(slow.ratio),
      percentile: slow.percentile,
      liveMs: ms(slow.liveUs),
      shadowMs: ms(slow.shadowUs),
      detail: `shadow ${slow.percentile} ${ms(slow.shadowUs)} ms is ${round2(slow.ratio)}× live ${ms(slow.liveUs)} ms (limit ${cfg.ratio}×)`,
    };
  return {
    verdict: 'pass',
    ratio: round2(worst.ratio),
    ...base,
    detail: `shadow ${worst.percentile} ${base.shadowMs} ms vs live ${base.liveMs} ms (limit ${cfg.ratio}×)`,
  };
}
