// Noise: the verdict on one (endpoint, path, kind) from its counters. With a secondary this is
// Diffy's three-way rule, reference/response-diffing.md §3.4 step 4, exactly:
//   r = raw differences (live vs candidate), n = noise differences (live vs secondary), T = pairs
//   absolute = |r − n| / T × 100,  relative = |r − n| / (r + n) × 100
//   regression  iff  r > n  AND  relative > R  AND  absolute > A     (strict '>', as Diffy's code)
// The kind is part of the key (§3.3): primitive noise never cancels a type change.
// NOTE: the policy schema's description of relativeThreshold says "(raw − noise) / noise"; §3.4's
// code divides by (r + n) — we follow §3.4 (with n = 0 both give "always above").
// When only some pairs carried a secondary (it expired: Pairer.expire), n is scaled to T pairs:
// n' = n × T / noisePairs — exactly n when every pair had one.
// Without any secondary a field cannot be cancelled; one that differs on more than suggestAbove % of
// pairs with mostly volatile values (uuid/timestamp/token) is "likely-noise": reported, never hidden,
// and not counted as a regression. Below the absolute threshold a field is "noise" (Diffy hides it).
import { policyDocument } from '../domain/contract-schemas.gen.js';
import type { NoiseSpec } from '../domain/types.js';

/** The thresholds' defaults are the policy schema's `default`s. */
const NOISE = policyDocument.properties.noise.properties;

export type Verdict = 'regression' | 'noise' | 'likely-noise';
export interface NoiseConfig {
  relativeThreshold: number;
  absoluteThreshold: number;
  suggestAbove: number;
}
export interface FieldCounts {
  raw: number;
  noise: number;
  volatile: number;
}
export interface Totals {
  pairs: number;
  noisePairs: number;
}

export function noiseConfig(spec?: NoiseSpec): NoiseConfig {
  return {
    relativeThreshold: pct(spec?.relativeThreshold, NOISE.relativeThreshold.default),
    absoluteThreshold: pct(spec?.absoluteThreshold, NOISE.absoluteThreshold.default),
    suggestAbove: pct(spec?.suggestAbove, NOISE.suggestAbove.default),
  };
}

function pct(v: unknown, d: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 100 ? v : d;
}

export function diffyScores(r: number, n: number, pairs: number): { absolute: number; relative: number } {
  const gap = Math.abs(r - n);
  return {
    absolute: pairs > 0 ? (gap / pairs) * 100 : 0,
    relative: r + n > 0 ? (gap / (r + n)) * 100 : 0,
  };
}

export function verdict(c: FieldCounts, t: Totals, cfg: NoiseConfig): Verdict {
  if (c.raw <= 0 || t.pairs <= 0) return 'noise';
  if (t.noisePairs > 0) {
    const n = t.noisePairs >= t.pairs ? c.noise : (c.noise * t.pairs) / t.noisePairs;
    const s = diffyScores(c.raw, n, t.pairs);
    return c.raw > n && s.relative > cfg.relativeThreshold && s.absolute > cfg.absoluteThreshold
      ? 'regression'
      : 'noise';
  }
  const share = (c.raw / t.pairs) * 100;
  if (share > cfg.suggestAbove && c.volatile * 2 >= c.raw) return 'likely-noise';
  return share > cfg.absoluteThreshold ? 'regression' : 'noise';
}
