// Ignored fields in reports: what the policy's CURRENT normalize.ignorePaths / ignoreHeaders say about
// fields that were counted before those rules existed. New pairs never show an ignored field (compare/
// drops it), but the counters already hold it; a field an operator marked as noise must leave the
// regression list at once, not after the history has been diluted. So reports are read through the
// current rules: a matching field gets the verdict 'ignored', and the mismatch rate is recomputed from
// the set of regression paths each mismatched pair had (MismatchSets), so a pair whose only regression
// was an ignored field stops counting as a mismatch.
import type { PolicySpec } from '../domain/types.js';
import { FLAG_IGNORE, PathMatcher } from '../compare/paths.js';
import type { EndpointDetail, EndpointReport, FieldReport, KindReport } from './endpoint-stats.js';
import type { Verdict } from './noise.js';

export type FieldVerdict = Verdict | 'ignored';
export interface FieldView extends Omit<FieldReport, 'verdict' | 'kinds'> {
  verdict: FieldVerdict;
  kinds: Array<Omit<KindReport, 'verdict'> & { verdict: FieldVerdict }>;
}
export interface EndpointView extends EndpointReport {
  /** fields the policy's current ignorePaths/ignoreHeaders cover (counted before the rule existed) */
  ignoredFields: number;
}
export interface EndpointDetailView extends Omit<EndpointDetail, 'fields'>, EndpointView {
  fields: FieldView[];
}

export interface IgnoreRules {
  /** no rule at all: reports are read as recorded */
  readonly empty: boolean;
  /** field path as reported ('body.items.*.price', 'headers.x-foo', 'status', 'body') */
  matches(fieldPath: string): boolean;
  /** identity of the rule set (for memoization by callers) */
  readonly key: string;
  /** the rules that apply to one endpoint's report: these plus its own (normalize.ignoreByEndpoint) */
  forEndpoint(endpoint: string): IgnoreRules;
}

export const NO_IGNORE: IgnoreRules = { empty: true, matches: () => false, key: '', forEndpoint: () => NO_IGNORE };

const cache = new WeakMap<PolicySpec, IgnoreRules>();

export function compileIgnore(spec?: PolicySpec): IgnoreRules {
  if (!spec) return NO_IGNORE;
  const hit = cache.get(spec);
  if (hit) return hit;
  const paths = (spec.normalize?.ignorePaths ?? []).filter((p) => typeof p === 'string' && p.trim() !== '');
  const headers = (spec.normalize?.ignoreHeaders ?? []).map((h) => String(h).toLowerCase());
  const byEndpoint = spec.normalize?.ignoreByEndpoint ?? {};
  const base = compileLists(paths, headers);
  if (Object.keys(byEndpoint).length === 0) {
    cache.set(spec, base);
    return base;
  }
  const scoped = new Map<string, IgnoreRules>();
  const rules: IgnoreRules = {
    ...base,
    key: JSON.stringify([paths, headers, byEndpoint]),
    forEndpoint(endpoint: string): IgnoreRules {
      const own = byEndpoint[endpoint];
      if (!own) return base;
      let r = scoped.get(endpoint);
      if (!r) {
        r = compileLists(
          [...paths, ...(own.ignorePaths ?? []).filter((p) => typeof p === 'string' && p.trim() !== '')],
          [...headers, ...(own.ignoreHeaders ?? []).map((h) => String(h).toLowerCase())],
        );
        scoped.set(endpoint, r);
      }
      return r;
    },
  };
  cache.set(spec, rules);
  return rules;
}

function compileLists(paths: string[], headers: string[]): IgnoreRules {
  let rules = NO_IGNORE;
  if (paths.length || headers.length) {
    const matcher = paths.length
      ? new PathMatcher(paths.map((pattern) => ({ pattern, flag: FLAG_IGNORE })))
      : undefined;
    const exact = new Set(headers.filter((h) => !h.endsWith('*')));
    const prefixes = headers.filter((h) => h.endsWith('*')).map((h) => h.slice(0, -1));
    rules = {
      empty: false,
      key: JSON.stringify([paths, headers]),
      forEndpoint: () => rules,
      matches(fieldPath: string): boolean {
        if (fieldPath.startsWith('headers.')) {
          const name = fieldPath.slice(8);
          return exact.has(name) || prefixes.some((p) => name.startsWith(p));
        }
        if (!matcher || !fieldPath.startsWith('body.')) return false;
        // An ignored subtree hides everything below it, as in the diff walk: test every prefix.
        let state = matcher.root;
        for (const seg of fieldPath.slice(5).split('.')) {
          state = matcher.step(state, seg, seg === '*');
          if (state.length === 0) return false;
          if (matcher.flags(state) & FLAG_IGNORE) return true;
        }
        return false;
      },
    };
  }
  return rules;
}

export const MAX_SETS = 200;
const OVERFLOW = '\u0000overflow';

/**
 * The distinct sets of regression paths of an endpoint's mismatched pairs, with counts. Pairs counted
 * before this existed (restored state) or past MAX_SETS stay mismatched whatever the rules say:
 * when in doubt a regression stays visible.
 */
export class MismatchSets {
  private readonly sets = new Map<string, number>();

  record(regressionPaths: string[]): void {
    let key = [...new Set(regressionPaths)].sort().join('\n');
    if (!this.sets.has(key) && this.sets.size >= MAX_SETS) key = OVERFLOW;
    this.sets.set(key, (this.sets.get(key) ?? 0) + 1);
  }

  mismatched(total: number, ignore: IgnoreRules): number {
    if (ignore.empty) return total;
    // A set's answer depends only on the rules (compiled once per spec): the report book asks on every
    // pair, so each set is matched once per rules object instead of split and matched every time.
    let cleared = this.cleared.get(ignore);
    if (!cleared) this.cleared.set(ignore, (cleared = new Map()));
    let n0 = 0;
    for (const [key, n] of this.sets) {
      if (key === OVERFLOW || key === '') continue;
      let hit = cleared.get(key);
      if (hit === undefined) cleared.set(key, (hit = key.split('\n').every((p) => ignore.matches(p))));
      if (hit) n0 += n;
    }
    return Math.max(0, total - n0);
  }

  private readonly cleared = new WeakMap<IgnoreRules, Map<string, boolean>>();

  toJSON(): Array<[string, number]> {
    return [...this.sets];
  }

  static fromJSON(v: unknown): MismatchSets {
    const s = new MismatchSets();
    if (!Array.isArray(v)) return s;
    for (const e of v) {
      if (
        Array.isArray(e) &&
        typeof e[0] === 'string' &&
        typeof e[1] === 'number' &&
        e[1] > 0 &&
        s.sets.size < MAX_SETS + 1
      ) {
        s.sets.set(e[0], e[1]);
      }
    }
    return s;
  }
}

function summary(d: EndpointDetail, fields: FieldView[], mismatched: number): EndpointView {
  let reg = 0,
    noise = 0,
    likely = 0,
    ignored = 0;
  for (const f of fields) {
    if (f.verdict === 'ignored') ignored++;
    else if (f.verdict === 'regression') reg++;
    else if (f.verdict === 'likely-noise') likely++;
    else noise++;
  }
  const mismatchRate = d.pairs ? (mismatched / d.pairs) * 100 : 0;
  const { fields: _f, suggestions: _s, samples: _x, ...base } = d;
  return {
    ...base,
    matching: d.pairs - mismatched,
    matchRate: d.pairs ? 100 - mismatchRate : d.notCompared ? 0 : 100,
    mismatchRate,
    regressionFields: reg,
    noiseFields: noise,
    likelyNoiseFields: likely,
    ignoredFields: ignored,
    verdict: reg > 0 ? 'critical' : d.notCompared > d.pairs ? 'inconclusive' : 'passing',
  };
}

function viewFields(d: EndpointDetail, ignore: IgnoreRules): FieldView[] {
  const out: FieldView[] = d.fields.map((f) =>
    ignore.matches(f.path)
      ? { ...f, verdict: 'ignored', kinds: f.kinds.map((k) => ({ ...k, verdict: 'ignored' as const })) }
      : f,
  );
  // stable: the engine's order (worst first) within each group, ignored fields last
  return [...out.filter((f) => f.verdict !== 'ignored'), ...out.filter((f) => f.verdict === 'ignored')];
}

export function viewReport(d: EndpointDetail, mismatched: number, ignore: IgnoreRules): EndpointView {
  return summary(d, viewFields(d, ignore), mismatched);
}

export function viewDetail(d: EndpointDetail, mismatched: number, ignore: IgnoreRules): EndpointDetailView {
  const fields = viewFields(d, ignore);
  return {
    ...summary(d, fields, mismatched),
    fields,
    suggestions: d.suggestions.filter((s) => !ignore.matches(s.path)),
    samples: d.samples,
  };
}
