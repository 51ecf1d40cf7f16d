// Endpoint statistics: the running counters of one (policy, endpoint) — Diffy's RAW and NOISE
// counters side by side per (path, kind) (reference §3.4 step 2), examples per field (step 3: five,
// values already redacted by compare/; refreshed and varied, keepExample), detector suggestions,
// latency sketches, and side-by-side samples of recent mismatched pairs. Bounded: ≤ MAX_FIELDS fields
// (then one overflow field), ≤ MAX_SUGGESTIONS suggestions, 5 examples per field, 5 samples.
import type { DiffKind, PairResult } from '../domain/types.js';
import type { ComparedPair, EngineDifference, PairExample } from '../compare/index.js';
import type { DetectorClass } from '../compare/detectors.js';
import { isDefaultSecretKey, REDACTED, redactSecrets } from '../compare/redact.js';
import { LatencySketch } from './latency.js';
import { diffyScores, verdict, type NoiseConfig, type Verdict } from './noise.js';

export const MAX_FIELDS = 500;
export const MAX_SUGGESTIONS = 200;
export const MAX_EXAMPLES = 5;
export const OVERFLOW_FIELD = '(other fields)';
const VALUE_CAP = 4096;

export interface FieldExample {
  pairId: string;
  at: number;
  kind: DiffKind;
  live?: unknown;
  shadow?: unknown;
}
interface KindCounts {
  raw: number;
  noise: number;
  volatile: number;
}
interface FieldState {
  path: string;
  kinds: Partial<Record<DiffKind, KindCounts>>;
  examples: FieldExample[];
}
interface SuggestionState {
  path: string;
  detector: DetectorClass;
  count: number;
}

export interface KindReport {
  kind: DiffKind;
  raw: number;
  noise: number;
  volatile: number;
  verdict: Verdict;
  absolute: number;
  relative: number;
}
export interface FieldReport {
  path: string;
  /** pairs on which this path differed live vs candidate (any kind) */
  count: number;
  raw: number;
  noise: number;
  verdict: Verdict;
  kinds: KindReport[];
  examples: FieldExample[];
}
export interface SuggestionReport {
  path: string;
  detector: DetectorClass;
  count: number;
  share: number;
  enabled: boolean;
  hint: string;
}
export interface LatencyReport {
  p50Us: number;
  p99Us: number;
}
export interface EndpointReport {
  policy: string;
  endpoint: string;
  pairs: number;
  matching: number;
  /** percent of pairs without a regression field */
  matchRate: number;
  /** percent of pairs with a regression field */
  mismatchRate: number;
  statusMismatches: number;
  regressionFields: number;
  noiseFields: number;
  likelyNoiseFields: number;
  /** Diffy's endpoint verdict (§3.4 step 5): critical when a field is a regression */
  verdict: 'passing' | 'critical' | 'inconclusive';
  hasSecondary: boolean;
  bodiesNotCompared: number;
  /** pairs whose bodies were not compared (PairResult.notCompared): not in pairs, never a match */
  notCompared: number;
  notComparedReasons: Record<string, number>;
  latency: { live: LatencyReport; shadow: LatencyReport; deltaP50Us: number; deltaP99Us: number };
  alerting: boolean;
  firstAt: number;
  lastAt: number;
}
export interface EndpointDetail extends EndpointReport {
  fields: FieldReport[];
  suggestions: SuggestionReport[];
  samples: PairExample[];
}

const VERDICT_RANK: Record<Verdict, number> = { regression: 2, 'likely-noise': 1, noise: 0 };
const SAMPLE_EVERY = 10;

/**
 * Whether a mismatched pair replaces a side-by-side sample once the first MAX_EXAMPLES are kept: one
 * pair in SAMPLE_EVERY, chosen by its id rather than by a count, so a replica that compares a pair
 * knows from the id alone whether any replica's report will keep its example (cluster/replication.ts
 * sends the costly example only then). FNV-1a over the id's UTF-16 units.
 */
export function samplesPair(pairId: string): boolean {
  let h = 0x811c9dc5;
  for (let i = 0; i < pairId.length; i++) h = Math.imul(h ^ pairId.charCodeAt(i), 0x01000193);
  return (h >>> 0) % SAMPLE_EVERY === 0;
}

// Two examples show the same difference when kind and both values are equal as JSON text. Values
// are primitives but for 'missing'/'extra'/'type' subtrees, so === decides most comparisons; an
// object's text is computed once (examples are immutable once kept). Building a key string per new
// example (JSON.stringify of both values) was a tenth of the report book's cost per pair (issue 13).
const valueTexts = new WeakMap<object, string>();
const valueText = (v: object): string => {
  let t = valueTexts.get(v);
  if (t === undefined) valueTexts.set(v, (t = JSON.stringify(v)));
  return t;
};
const sameValue = (x: unknown, y: unknown): boolean =>
  x === y ||
  (typeof x === 'object' && typeof y === 'object' && x !== null && y !== null && valueText(x) === valueText(y));
const sameExample = (x: FieldExample, y: FieldExample): boolean =>
  x.kind === y.kind && sameValue(x.live, y.live) && sameValue(x.shadow, y.shadow);

/**
 * Examples of a field stay bounded, recent and varied (not the first five ever): a value pair already
 * kept is refreshed to its newest pair; a new value pair replaces the oldest example whose value pair
 * is kept twice, else the oldest one. So up to MAX_EXAMPLES distinct differences, each as recent as can be.
 */
function keepExample(f: FieldState, r: { pairId: string; at: number }, d: EngineDifference): void {
  const ex: FieldExample = { pairId: r.pairId, at: r.at, kind: d.kind };
  if (d.left !== undefined) ex.live = capValue(d.left);
  if (d.right !== undefined) ex.shadow = capValue(d.right);
  if (f.examples.length < MAX_EXAMPLES) {
    f.examples.push(ex);
    return;
  }
  const kept = f.examples;
  let at = kept.findIndex((e) => sameExample(e, ex));
  if (at < 0) {
    const dup = kept.findIndex((e, i) => kept.findIndex((p) => sameExample(p, e)) !== i);
    at = dup >= 0 ? dup : kept.reduce((o, e, i) => (e.at < kept[o].at ? i : o), 0);
  }
  f.examples[at] = ex;
}

export class EndpointStats {
  pairs = 0;
  mismatched = 0;
  noisePairs = 0;
  statusMismatches = 0;
  bodiesNotCompared = 0;
  notCompared = 0;
  notComparedReasons: Record<string, number> = {};
  firstAt = 0;
  lastAt = 0;
  readonly fields = new Map<string, FieldState>();
  readonly suggestions = new Map<string, SuggestionState>();
  latLive = new LatencySketch();
  latShadow = new LatencySketch();
  samples: PairExample[] = [];

  constructor(readonly endpoint: string) {}

  add(r: ComparedPair | PairResult, cfg: NoiseConfig): boolean {
    if (r.notCompared) {
      // its own category: counted, timed, never in pairs (so never in a match rate)
      this.notCompared++;
      const reason = String(r.notCompared.reason).slice(0, 40);
      if (reason in this.notComparedReasons || Object.keys(this.notComparedReasons).length < 16)
        this.notComparedReasons[reason] = (this.notComparedReasons[reason] ?? 0) + 1;
      if ((r as ComparedPair).bodyCompared === false) this.bodiesNotCompared++;
      if (this.firstAt === 0 || r.at < this.firstAt) this.firstAt = r.at;
      if (r.at > this.lastAt) this.lastAt = r.at;
      this.latLive.add(r.latencyLiveUs);
      this.latShadow.add(r.latencyShadowUs);
      return false;
    }
    this.pairs++;
    if (r.noise !== undefined) this.noisePairs++;
    if (r.statusMismatch) this.statusMismatches++;
    if ((r as ComparedPair).bodyCompared === false) this.bodiesNotCompared++;
    if (this.firstAt === 0 || r.at < this.firstAt) this.firstAt = r.at;
    if (r.at > this.lastAt) this.lastAt = r.at;
    this.latLive.add(r.latencyLiveUs);
    this.latShadow.add(r.latencyShadowUs);
    const raw = r.candidate as EngineDifference[];
    for (let i = 0; i < raw.length; i++) {
      const d = raw[i];
      const k = this.counts(d.path, d.kind);
      k.raw++;
      if (d.volatile) k.volatile++;
    }
    if (r.noise) for (const d of r.noise) this.counts(d.path, d.kind).noise++;
    const sugg = (r as ComparedPair).suggestions;
    if (sugg)
      for (const s of sugg) {
        const key = s.detector + ' ' + s.path;
        const cur = this.suggestions.get(key);
        if (cur) cur.count++;
        else if (this.suggestions.size < MAX_SUGGESTIONS)
          this.suggestions.set(key, { path: s.path, detector: s.detector, count: 1 });
      }
    // verdicts after this pair's counts, so a field noisy on both sides cancels from the first pair
    const totals = { pairs: this.pairs, noisePairs: this.noisePairs };
    let mismatch = false;
    for (let i = 0; i < raw.length; i++) {
      const d = raw[i];
      const f = this.field(d.path);
      const k = f.kinds[d.kind]!;
      if (!mismatch && verdict(k, totals, cfg) === 'regression') mismatch = true;
      keepExample(f, r, d);
    }
    if (mismatch) {
      this.mismatched++;
      const ex = (r as ComparedPair).example;
      // The first MAX_EXAMPLES mismatched pairs, then one in SAMPLE_EVERY replaces the oldest: the
      // side-by-side samples stay recent without building an example for every mismatched pair. An
      // example can be missing (a replicated log entry whose comparing replica saw no need for it).
      const sample = typeof ex === 'function' && this.wantsSample(r.pairId) ? ex() : undefined;
      if (sample && this.samples.length < MAX_EXAMPLES) this.samples.push(sample);
      else if (sample) this.samples = [...this.samples.slice(1), sample];
    }
    return mismatch;
  }

  /** Whether this pair's example would be kept should the pair mismatch (it only fills up: see samplesPair). */
  wantsSample(pairId: string): boolean {
    return this.samples.length < MAX_EXAMPLES || samplesPair(pairId);
  }

  mismatchRate(): number {
    return this.pairs ? (this.mismatched / this.pairs) * 100 : 0;
  }

  report(policy: string, cfg: NoiseConfig, alerting: boolean): EndpointReport {
    const totals = { pairs: this.pairs, noisePairs: this.noisePairs };
    let reg = 0,
      noise = 0,
      likely = 0;
    for (const f of this.fields.values()) {
      const v = fieldVerdict(f, totals, cfg);
      if (v === undefined) continue;
      if (v === 'regression') reg++;
      else if (v === 'likely-noise') likely++;
      else noise++;
    }
    const live = { p50Us: this.latLive.quantile(0.5), p99Us: this.latLive.quantile(0.99) };
    const shadow = { p50Us: this.latShadow.quantile(0.5), p99Us: this.latShadow.quantile(0.99) };
    const mismatchRate = this.mismatchRate();
    return {
      policy,
      endpoint: this.endpoint,
      pairs: this.pairs,
      matching: this.pairs - this.mismatched,
      // no compared pair is no evidence, never a pass
      matchRate: this.pairs ? 100 - mismatchRate : this.notCompared ? 0 : 100,
      mismatchRate,
      statusMismatches: this.statusMismatches,
      regressionFields: reg,
      noiseFields: noise,
      likelyNoiseFields: likely,
      // mostly uncompared pairs prove nothing either way
      verdict: reg > 0 ? 'critical' : this.notCompared > this.pairs ? 'inconclusive' : 'passing',
      hasSecondary: this.noisePairs > 0,
      bodiesNotCompared: this.bodiesNotCompared,
      notCompared: this.notCompared,
      notComparedReasons: { ...this.notComparedReasons },
      latency: { live, shadow, deltaP50Us: shadow.p50Us - live.p50Us, deltaP99Us: shadow.p99Us - live.p99Us },
      alerting,
      firstAt: this.firstAt,
      lastAt: this.lastAt,
    };
  }

  detail(policy: string, cfg: NoiseConfig, alerting: boolean, enabled: Record<DetectorClass, boolean>): EndpointDetail {
    const totals = { pairs: this.pairs, noisePairs: this.noisePairs };
    const fields: FieldReport[] = [];
    for (const f of this.fields.values()) {
      const kinds: KindReport[] = [];
      let raw = 0,
        noise = 0,
        worst: Verdict = 'noise';
      for (const [kind, k] of Object.entries(f.kinds) as Array<[DiffKind, KindCounts]>) {
        raw += k.raw;
        noise += k.noise;
        if (k.raw === 0) continue;
        const v = verdict(k, totals, cfg);
        if (VERDICT_RANK[v] > VERDICT_RANK[worst]) worst = v;
        kinds.push({ kind, ...k, verdict: v, ...diffyScores(k.raw, k.noise, this.pairs) });
      }
      if (raw === 0) continue; // noise-only paths: §3.4 reports the paths of RAW
      fields.push({ path: f.path, count: raw, raw, noise, verdict: worst, kinds, examples: f.examples });
    }
    fields.sort(
      (a, b) => VERDICT_RANK[b.verdict] - VERDICT_RANK[a.verdict] || b.raw - a.raw || (a.path < b.path ? -1 : 1),
    );
    const suggestions: SuggestionReport[] = [...this.suggestions.values()]
      .map((s) => ({
        ...s,
        share: this.pairs ? (s.count / this.pairs) * 100 : 0,
        enabled: enabled[s.detector],
        hint: enabled[s.detector]
          ? `${s.detector} values are masked by normalize.detectors.${s.detector}`
          : `values at ${s.path} look like ${s.detector}s: enable normalize.detectors.${s.detector} or add '${s.path.replace(/^body\./, '')}' to ${s.path.startsWith('headers.') ? 'normalize.ignoreHeaders' : 'normalize.ignorePaths'}`,
      }))
      .sort((a, b) => b.count - a.count);
    return { ...this.report(policy, cfg, alerting), fields, suggestions, samples: this.samples };
  }

  private field(path: string): FieldState {
    let f = this.fields.get(path);
    if (f) return f;
    if (this.fields.size >= MAX_FIELDS) {
      f = this.fields.get(OVERFLOW_FIELD);
      if (f) return f;
      path = OVERFLOW_FIELD;
    }
    f = { path, kinds: {}, examples: [] };
    this.fields.set(path, f);
    return f;
  }

  private counts(path: string, kind: DiffKind): KindCounts {
    const f = this.field(path);
    return (f.kinds[kind] ??= { raw: 0, noise: 0, volatile: 0 });
  }

  toJSON(): unknown {
    return {
      endpoint: this.endpoint,
      pairs: this.pairs,
      mismatched: this.mismatched,
      noisePairs: this.noisePairs,
      statusMismatches: this.statusMismatches,
      bodiesNotCompared: this.bodiesNotCompared,
      notCompared: this.notCompared,
      notComparedReasons: this.notComparedReasons,
      firstAt: this.firstAt,
      lastAt: this.lastAt,
      fields: [...this.fields.values()],
      suggestions: [...this.suggestions.values()],
      latLive: this.latLive.toJSON(),
      latShadow: this.latShadow.toJSON(),
      samples: this.samples,
    };
  }

  static fromJSON(v: unknown): EndpointStats {
    const o = v as Record<string, unknown>;
    if (!o || typeof o !== 'object' || typeof o.endpoint !== 'string')
      throw new Error('EndpointStats.fromJSON: missing endpoint');
    const s = new EndpointStats(o.endpoint);
    for (const k of [
      'pairs',
      'mismatched',
      'noisePairs',
      'statusMismatches',
      'bodiesNotCompared',
      'firstAt',
      'lastAt',
    ] as const) {
      const n = o[k];
      if (typeof n !== 'number' || !Number.isFinite(n) || n < 0)
        throw new Error(`EndpointStats.fromJSON: bad ${k} for ${o.endpoint}`);
      s[k] = n;
    }
    if (!Array.isArray(o.fields) || !Array.isArray(o.suggestions) || !Array.isArray(o.samples)) {
      throw new Error(`EndpointStats.fromJSON: fields/suggestions/samples must be arrays for ${o.endpoint}`);
    }
    // absent in state saved before notCompared existed
    if (typeof o.notCompared === 'number' && Number.isFinite(o.notCompared) && o.notCompared >= 0)
      s.notCompared = o.notCompared;
    if (o.notComparedReasons && typeof o.notComparedReasons === 'object')
      for (const [k, n] of Object.entries(o.notComparedReasons as Record<string, unknown>))
        if (typeof n === 'number' && Number.isFinite(n) && n >= 0) s.notComparedReasons[k] = n;
    for (const f of o.fields as FieldState[]) {
      if (!f || typeof f.path !== 'string' || typeof f.kinds !== 'object' || !Array.isArray(f.examples)) {
        throw new Error(`EndpointStats.fromJSON: bad field in ${o.endpoint}`);
      }
      // Examples stored before JSON secret keys were redacted by default are redacted on load.
      const secret = isDefaultSecretKey(f.path.slice(f.path.lastIndexOf('.') + 1));
      const examples = f.examples.slice(0, MAX_EXAMPLES).map((e) => redactExample(e, secret));
      s.fields.set(f.path, { path: f.path, kinds: f.kinds, examples });
    }
    for (const g of o.suggestions as SuggestionState[]) s.suggestions.set(g.detector + ' ' + g.path, { ...g });
    s.latLive = LatencySketch.fromJSON(o.latLive);
    s.latShadow = LatencySketch.fromJSON(o.latShadow);
    s.samples = (o.samples as PairExample[]).slice(0, MAX_EXAMPLES).map((x) => redactSecrets(x) as PairExample);
    return s;
  }
}

function fieldVerdict(
  f: FieldState,
  totals: { pairs: number; noisePairs: number },
  cfg: NoiseConfig,
): Verdict | undefined {
  let worst: Verdict | undefined;
  for (const k of Object.values(f.kinds) as KindCounts[]) {
    if (k.raw === 0) continue;
    const v = verdict(k, totals, cfg);
    if (worst === undefined || VERDICT_RANK[v] > VERDICT_RANK[worst]) worst = v;
  }
  return worst;
}

function redactExample(e: FieldExample, secret: boolean): FieldExample {
  const out: FieldExample = { ...e };
  if ('live' in e) out.live = secret ? REDACTED : redactSecrets(e.live);
  if ('shadow' in e) out.shadow = secret ? REDACTED : redactSecrets(e.shadow);
  return out;
}

/** Example values are already redacted; cap their size so the persisted state stays small. */
function capValue(v: unknown): unknown {
  if (v === null || typeof v !== 'object') {
    return typeof v === 'string' && v.length > VALUE_CAP ? v.slice(0, VALUE_CAP) + '…' : v;
  }
  const s = JSON.stringify(v);
  return s.length > VALUE_CAP ? `[${s.length} bytes, first ${VALUE_CAP}] ` + s.slice(0, VALUE_CAP) : v;
}
