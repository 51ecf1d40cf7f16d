// The report book's vocabulary and per-policy configuration (aggregate.ts owns the book itself): the
// alert, the thresholds a policy's spec sets (policyConfig, memoized per spec object), the persisted
// shapes, and what the API reads (an endpoint with its latency verdict, rates rounded to two decimals,
// the counts the ramp meters, the preview of a noise marking).
import { policyDocument } from '../domain/contract-schemas.gen.js';
import type { PolicySpec } from '../domain/types.js';

const ALERTS = policyDocument.properties.alerts.properties;
import type { DetectorClass } from '../compare/detectors.js';
import type { EndpointStats } from './endpoint-stats.js';
import type { EndpointDetailView, EndpointView, IgnoreRules, MismatchSets } from './ignored.js';
import type { LatencySketch } from './latency.js';
import { latencyConfig, type LatencyConfig, type LatencyJudgement, type Percentiles } from './latency-verdict.js';
import { noiseConfig, type NoiseConfig } from './noise.js';

export interface Alert {
  policy: string;
  endpoint: string;
  /** mismatch rate in percent */
  rate: number;
  pairs: number;
  /** unix ms of the pair that crossed the threshold */
  at: number;
  message: string;
}

export interface AlertConfig {
  mismatchRate: number;
  minPairs: number;
  /** hysteresis: an alerting endpoint recovers (and re-arms) only below this rate (default 80 % of mismatchRate) */
  resolveBelow: number;
}
export interface PolicyConfig {
  noise: NoiseConfig;
  alerts: AlertConfig;
  latency: LatencyConfig;
  detectors: Record<DetectorClass, boolean>;
}
/** The ignore rules of the policy's latest spec (persisted as the two lists, compiled on load). */
export interface IgnoreSpec {
  ignorePaths?: string[];
  ignoreHeaders?: string[];
  ignoreByEndpoint?: Record<string, { ignorePaths?: string[]; ignoreHeaders?: string[] }>;
}
export interface PolicyBook {
  config: PolicyConfig;
  endpoints: Map<string, EndpointStats>;
  alerting: Set<string>;
  /** endpoints whose latency verdict is fail (alerted once; re-armed when it passes again) */
  slow: Set<string>;
  ignoreSpec: IgnoreSpec;
  ignore: IgnoreRules;
  /** per endpoint: which regression paths its mismatched pairs had */
  sets: Map<string, MismatchSets>;
}

export interface PolicyBookJSON {
  config: PolicyConfig;
  alerting: string[];
  slow?: string[];
  endpoints: unknown[];
  ignore?: IgnoreSpec;
  mismatchSets?: Record<string, unknown>;
}
export interface ReportBookJSON {
  version: 1;
  policies: Record<string, PolicyBookJSON>;
}

/** An endpoint as the API reads it: the view of ignored.ts plus its latency verdict. */
export type EndpointSummary = EndpointView & { latencyVerdict: LatencyJudgement };
export type EndpointDetailSummary = EndpointDetailView & { latencyVerdict: LatencyJudgement };

/** One endpoint a noise marking would change (ReportBook.preview). */
export interface NoisePreview {
  endpoint: string;
  /** fields that would become ignored, with the verdict they have now */
  fields: Array<{ path: string; verdict: string }>;
  mismatchRateBefore: number;
  mismatchRateAfter: number;
  verdictBefore: EndpointView['verdict'];
  verdictAfter: EndpointView['verdict'];
}
export const round2 = (n: number): number => Math.round(n * 100) / 100;
/** Rates as the API shows them: percent with two decimals (33.33, not 33.333333333333336). */
export const rounded = <T extends { matchRate: number; mismatchRate: number }>(v: T): T => ({
  ...v,
  matchRate: round2(v.matchRate),
  mismatchRate: round2(v.mismatchRate),
});

export interface EndpointCount {
  endpoint: string;
  pairs: number;
  mismatched: number;
  notCompared: number;
  latency: { pairs: number; live: Percentiles; shadow: Percentiles };
}

export const percentiles = (s: LatencySketch): Percentiles => ({ p50Us: s.quantile(0.5), p99Us: s.quantile(0.99) });

export const MAX_ENDPOINTS = 1000;
export const OVERFLOW_ENDPOINT = '(other endpoints)';

export function policyConfig(spec?: PolicySpec): PolicyConfig {
  const a = spec?.alerts;
  const d = spec?.normalize?.detectors;
  return {
    noise: noiseConfig(spec?.noise),
    latency: latencyConfig(a),
    alerts: alertConfig(a),
    detectors: { uuid: d?.uuid === true, timestamp: d?.timestamp === true, token: d?.token === true },
  };
}

function alertConfig(a: PolicySpec['alerts']): AlertConfig {
  const mismatchRate =
    typeof a?.mismatchRate === 'number' && a.mismatchRate >= 0 ? a.mismatchRate : ALERTS.mismatchRate.default;
  const resolveBelow =
    typeof a?.resolveBelow === 'number' && a.resolveBelow >= 0 && a.resolveBelow <= mismatchRate
      ? a.resolveBelow
      : mismatchRate * 0.8;
  return {
    mismatchRate,
    minPairs: typeof a?.minPairs === 'number' && a.minPairs >= 1 ? a.minPairs : ALERTS.minPairs.default,
    resolveBelow,
  };
}

// Memo: the same spec object arrives with every pair; derive its config once.
const configs = new WeakMap<PolicySpec, PolicyConfig>();
export function configFor(spec: PolicySpec): PolicyConfig {
  let c = configs.get(spec);
  if (!c) {
    c = policyConfig(spec);
    configs.set(spec, c);
  }
  return c;
}
