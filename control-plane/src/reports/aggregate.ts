// ReportBook: every policy's per-endpoint reports, built incrementally from compared pairs, plus the
// path-specific alert rule: an endpoint whose mismatch rate reaches spec.alerts.mismatchRate % over at
// least spec.alerts.minPairs pairs raises one Alert, whatever the policy's aggregate looks like (the
// POST /refunds problem in docs/architecture.md), and raises again only after it has recovered below the rate.
// Serializable (toJSON / fromJSON) so the store can persist it and reload it across restarts.
import type { PairResult, PolicySpec } from '../domain/types.js';
import type { ComparedPair } from '../compare/index.js';
import { EndpointStats, OVERFLOW_FIELD } from './endpoint-stats.js';
import {
  compileIgnore,
  MismatchSets,
  NO_IGNORE,
  viewDetail,
  viewReport,
  type EndpointDetailView,
  type EndpointView,
  type IgnoreRules,
} from './ignored.js';
import { judgeLatency, type LatencyJudgement } from './latency-verdict.js';
import { verdict } from './noise.js';
import {
  configFor,
  MAX_ENDPOINTS,
  OVERFLOW_ENDPOINT,
  percentiles,
  policyConfig,
  round2,
  rounded,
  type Alert,
  type EndpointCount,
  type EndpointDetailSummary,
  type EndpointSummary,
  type IgnoreSpec,
  type NoisePreview,
  type PolicyBook,
  type PolicyBookJSON,
  type ReportBookJSON,
} from './book-types.js';

export {
  MAX_ENDPOINTS,
  OVERFLOW_ENDPOINT,
  policyConfig,
  type Alert,
  type AlertConfig,
  type EndpointCount,
  type EndpointDetailSummary,
  type EndpointSummary,
  type NoisePreview,
  type PolicyBookJSON,
  type ReportBookJSON,
} from './book-types.js';

export type {
  EndpointDetail,
  EndpointReport,
  FieldReport,
  FieldExample,
  KindReport,
  SuggestionReport,
} from './endpoint-stats.js';
export type { EndpointView, EndpointDetailView, FieldView } from './ignored.js';
export type { Verdict } from './noise.js';

export class ReportBook {
  private readonly books = new Map<string, PolicyBook>();
  private resolved: Array<{ policy: string; endpoint: string }> = [];

  /** Endpoints whose mismatch alert ended (rate below resolveBelow) since the last call: their alerts resolve. */
  takeResolved(): Array<{ policy: string; endpoint: string }> {
    const out = this.resolved;
    this.resolved = [];
    return out;
  }

  /**
   * Counts one compared pair; the alerts it raises. spec supplies noise/alert thresholds and detector
   * switches; the latest one per policy is kept (and persisted) and used for reading too. Rates are
   * percentages (0–100); a latency fail alerts once, like a mismatch.
   */
  add(result: ComparedPair | PairResult, spec?: PolicySpec): Alert[] {
    const book = this.book(result.policy, spec);
    const name = endpointName(book, result.endpoint);
    let ep = book.endpoints.get(name);
    if (!ep) {
      ep = new EndpointStats(name);
      book.endpoints.set(name, ep);
    }
    if (ep.add(result, book.config.noise)) this.recordSet(book, ep, result);
    const alerts = this.latencyAlert(book, ep, result);
    if (result.notCompared) return alerts; // no evidence on the body: never raises nor clears a mismatch alert
    const { mismatchRate, minPairs, resolveBelow } = book.config.alerts;
    const rate = this.rate(book, ep);
    // rate 0 never alerts: with mismatchRate 0 ("any mismatch") an endpoint that matches every pair
    // would otherwise alert at once and, never dropping below 0, stay alerting for good.
    if (book.alerting.has(name)) {
      // Hysteresis: hovering at the threshold (5.30 %, 4.98 %, 5.02 %) is one alert, not three; it
      // recovers (resolves, and the next breach alerts again) only below resolveBelow.
      if (rate < resolveBelow || rate === 0) {
        book.alerting.delete(name);
        this.resolved.push({ policy: result.policy, endpoint: name });
      }
      return alerts;
    }
    if (ep.pairs < minPairs || rate < mismatchRate || rate === 0) return alerts;
    book.alerting.add(name);
    return [
      ...alerts,
      {
        policy: result.policy,
        endpoint: name,
        rate: round2(rate),
        pairs: ep.pairs,
        at: result.at,
        message: `${result.policy}: ${name} mismatches on ${rate.toFixed(1)} % of ${ep.pairs} pairs (threshold ${mismatchRate} %)`,
      },
    ];
  }

  /**
   * Whether add() would keep this pair's example, should it mismatch (a new endpoint keeps its first
   * ones). The replicated mode asks before it sends an example through the observation log; a report
   * only fills up between resets, so a replica whose view lags the log never says no wrongly.
   */
  wantsExample(result: PairResult): boolean {
    const book = this.books.get(result.policy);
    const ep = book?.endpoints.get(endpointName(book, result.endpoint));
    return ep === undefined || ep.wantsSample(result.pairId);
  }

  /**
   * The policy changed (API write): thresholds and the CURRENT normalize ignore rules apply to reading
   * at once (ignored.ts): matching fields read as verdict 'ignored' and leave regressionFields, the
   * mismatch rate and the alert state.
   */
  configure(policy: string, spec: PolicySpec): void {
    const book = this.books.get(policy);
    if (!book) return; // a book is created by its first pair, which carries the spec
    this.setSpec(book, spec);
    // Rules that now ignore an alerting endpoint's regressions end its alert (it re-arms).
    for (const name of [...book.alerting]) {
      const ep = book.endpoints.get(name);
      if (!ep) {
        book.alerting.delete(name);
        continue;
      }
      const rate = this.rate(book, ep);
      if (rate < book.config.alerts.resolveBelow || rate === 0) {
        book.alerting.delete(name);
        this.resolved.push({ policy, endpoint: name });
      }
    }
  }

  policies(): string[] {
    return [...this.books.keys()].sort();
  }

  /** Worst first (mismatch rate, regression fields, pairs), each with its latency verdict. */
  endpoints(policy: string): EndpointSummary[] {
    const book = this.books.get(policy);
    if (!book) return [];
    const out: EndpointSummary[] = [];
    for (const ep of book.endpoints.values())
      out.push(rounded({ ...this.summaryOf(book, policy, ep, book.ignore), latencyVerdict: this.latency(book, ep) }));
    return out.sort(
      (a, b) =>
        b.mismatchRate - a.mismatchRate ||
        b.regressionFields - a.regressionFields ||
        b.pairs - a.pairs ||
        (a.endpoint < b.endpoint ? -1 : 1),
    );
  }

  endpoint(policy: string, endpoint: string): EndpointDetailSummary | undefined {
    const book = this.books.get(policy);
    const ep = book?.endpoints.get(endpoint);
    if (!book || !ep) return undefined;
    const d = ep.detail(policy, book.config.noise, book.alerting.has(endpoint), book.config.detectors);
    const ignore = book.ignore.forEndpoint(endpoint);
    const view: EndpointDetailView = ignore.empty
      ? { ...d, ignoredFields: 0 }
      : viewDetail(d, this.mismatched(book, ep), ignore);
    return rounded({ ...view, latencyVerdict: this.latency(book, ep) });
  }

  /**
   * What a policy change to `spec` (more ignore rules: marking noise) would silence in the current
   * reports: per endpoint whose reading changes, the fields that would become ignored with the verdict
   * they have now, and the mismatch rate before and after. Nothing is changed.
   */
  preview(policy: string, spec: PolicySpec): NoisePreview[] {
    const book = this.books.get(policy);
    if (!book) return [];
    const next = compileIgnore(spec);
    const out: NoisePreview[] = [];
    for (const ep of book.endpoints.values()) {
      const now = book.ignore.forEndpoint(ep.endpoint);
      const then = next.forEndpoint(ep.endpoint);
      const d = ep.detail(policy, book.config.noise, false, book.config.detectors);
      const fields = d.fields
        .filter((f) => !now.matches(f.path) && then.matches(f.path))
        .map((f) => ({ path: f.path, verdict: f.verdict }));
      if (fields.length === 0) continue;
      const before = this.summaryOf(book, policy, ep, book.ignore);
      const after = this.summaryOf(book, policy, ep, next);
      out.push({
        endpoint: ep.endpoint,
        fields,
        mismatchRateBefore: round2(before.mismatchRate),
        mismatchRateAfter: round2(after.mismatchRate),
        verdictBefore: before.verdict,
        verdictAfter: after.verdict,
      });
    }
    return out.sort((a, b) => (a.endpoint < b.endpoint ? -1 : 1));
  }

  private summaryOf(book: PolicyBook, policy: string, ep: EndpointStats, rules: IgnoreRules): EndpointView {
    const alerting = book.alerting.has(ep.endpoint);
    const ignore = rules.forEndpoint(ep.endpoint);
    if (ignore.empty) return { ...ep.report(policy, book.config.noise, alerting), ignoredFields: 0 };
    const mismatched = book.sets.get(ep.endpoint)?.mismatched(ep.mismatched, ignore) ?? ep.mismatched;
    return viewReport(ep.detail(policy, book.config.noise, alerting, book.config.detectors), mismatched, ignore);
  }

  summary(
    policy: string,
  ): { pairs: number; matching: number; matchRate: number; endpoints: number; alerting: string[] } | undefined {
    const book = this.books.get(policy);
    if (!book) return undefined;
    let pairs = 0,
      mismatched = 0;
    for (const ep of book.endpoints.values()) {
      pairs += ep.pairs;
      mismatched += this.mismatched(book, ep);
    }
    return {
      pairs,
      matching: pairs - mismatched,
      matchRate: pairs ? ((pairs - mismatched) / pairs) * 100 : 100,
      endpoints: book.endpoints.size,
      alerting: [...book.alerting].sort(),
    };
  }

  /**
   * Cumulative counters per endpoint, mismatched as the alert rule counts it (current ignore rules
   * applied); the ramp controller takes their deltas per stage.
   */
  endpointCounts(policy: string): EndpointCount[] {
    const book = this.books.get(policy);
    if (!book) return [];
    return [...book.endpoints.values()].map((e) => ({
      endpoint: e.endpoint,
      pairs: e.pairs,
      mismatched: this.mismatched(book, e),
      // issue 14 adds the count to EndpointStats; read it defensively until then (absent = 0)
      notCompared: Number((e as unknown as { notCompared?: unknown }).notCompared) || 0,
      latency: { pairs: e.latLive.count, live: percentiles(e.latLive), shadow: percentiles(e.latShadow) },
    }));
  }

  /** The latency verdict of one endpoint under the policy's alerts.latency* settings. */
  private latency(book: PolicyBook, ep: EndpointStats): LatencyJudgement {
    return judgeLatency(ep.latLive.count, percentiles(ep.latLive), percentiles(ep.latShadow), book.config.latency);
  }

  /** Raises one alert when an endpoint's latency verdict turns to fail; it re-arms once it passes. */
  private latencyAlert(book: PolicyBook, ep: EndpointStats, result: ComparedPair | PairResult): Alert[] {
    const j = this.latency(book, ep);
    if (j.verdict !== 'fail') {
      if (j.verdict === 'pass') book.slow.delete(ep.endpoint);
      return [];
    }
    if (book.slow.has(ep.endpoint)) return [];
    book.slow.add(ep.endpoint);
    return [
      {
        policy: result.policy,
        endpoint: ep.endpoint,
        rate: j.ratio ?? 0,
        pairs: ep.pairs,
        at: result.at,
        message: `${result.policy}: ${ep.endpoint} is slower in the shadow: ${j.detail} over ${ep.pairs} pairs`,
      },
    ];
  }

  /** One policy's state, as toJSON writes it (saved per policy; an archived run). */
  policyJSON(policy: string): PolicyBookJSON | undefined {
    const b = this.books.get(policy);
    return b ? this.bookJSON(b) : undefined;
  }

  /** Installs one policy's saved state (throws a clear Error when it is unreadable; the others stay). */
  adopt(policy: string, json: unknown): void {
    const one = ReportBook.fromJSON({ version: 1, policies: { [policy]: json } });
    const b = one.books.get(policy);
    if (b) this.books.set(policy, b);
  }

  /** A new run: the policy's report starts empty (thresholds and ignore rules stay); returns what it held. */
  restart(policy: string): PolicyBookJSON | undefined {
    const b = this.books.get(policy);
    if (!b) return undefined;
    const held = this.bookJSON(b);
    b.endpoints = new Map();
    b.alerting = new Set();
    b.slow = new Set();
    b.sets = new Map();
    return held;
  }

  clear(policy?: string): void {
    if (policy === undefined) this.books.clear();
    else this.books.delete(policy);
  }

  private book(policy: string, spec?: PolicySpec): PolicyBook {
    let b = this.books.get(policy);
    if (!b) {
      b = {
        config: policyConfig(),
        endpoints: new Map(),
        alerting: new Set(),
        slow: new Set(),
        ignoreSpec: {},
        ignore: NO_IGNORE,
        sets: new Map(),
      };
      this.books.set(policy, b);
    }
    if (spec) this.setSpec(b, spec);
    return b;
  }

  private setSpec(b: PolicyBook, spec: PolicySpec): void {
    b.config = configFor(spec);
    b.ignore = compileIgnore(spec);
    const n = spec.normalize;
    b.ignoreSpec = {
      ...(n?.ignorePaths ? { ignorePaths: n.ignorePaths } : {}),
      ...(n?.ignoreHeaders ? { ignoreHeaders: n.ignoreHeaders } : {}),
      ...(n?.ignoreByEndpoint ? { ignoreByEndpoint: n.ignoreByEndpoint } : {}),
    };
  }

  /** The regression paths of the pair just counted as mismatched, with the verdicts ep.add used. */
  private recordSet(book: PolicyBook, ep: EndpointStats, result: ComparedPair | PairResult): void {
    const totals = { pairs: ep.pairs, noisePairs: ep.noisePairs };
    const paths: string[] = [];
    for (const d of result.candidate) {
      const f = ep.fields.get(d.path) ?? ep.fields.get(OVERFLOW_FIELD);
      const k = f?.kinds[d.kind];
      if (f && k && verdict(k, totals, book.config.noise) === 'regression') paths.push(f.path);
    }
    let sets = book.sets.get(ep.endpoint);
    if (!sets) {
      sets = new MismatchSets();
      book.sets.set(ep.endpoint, sets);
    }
    sets.record(paths);
  }

  private mismatched(book: PolicyBook, ep: EndpointStats): number {
    return book.sets.get(ep.endpoint)?.mismatched(ep.mismatched, book.ignore.forEndpoint(ep.endpoint)) ?? ep.mismatched;
  }

  private rate(book: PolicyBook, ep: EndpointStats): number {
    return ep.pairs ? (this.mismatched(book, ep) / ep.pairs) * 100 : 0;
  }

  toJSON(): ReportBookJSON {
    const policies: ReportBookJSON['policies'] = {};
    for (const [name, b] of this.books) policies[name] = this.bookJSON(b);
    return { version: 1, policies };
  }

  private bookJSON(b: PolicyBook): PolicyBookJSON {
    return {
      config: b.config,
      alerting: [...b.alerting],
      slow: [...b.slow],
      endpoints: [...b.endpoints.values()].map((e) => e.toJSON()),
      ignore: b.ignoreSpec,
      mismatchSets: Object.fromEntries([...b.sets].map(([k, v]) => [k, v.toJSON()])),
    };
  }

  static fromJSON(v: unknown): ReportBook {
    const o = v as ReportBookJSON;
    if (!o || typeof o !== 'object' || o.version !== 1 || !o.policies || typeof o.policies !== 'object') {
      throw new Error('ReportBook.fromJSON: expected { version: 1, policies: {...} }');
    }
    const book = new ReportBook();
    for (const [name, p] of Object.entries(o.policies)) {
      if (!p || !Array.isArray(p.endpoints) || !Array.isArray(p.alerting)) {
        throw new Error(`ReportBook.fromJSON: policy ${name} needs endpoints[] and alerting[]`);
      }
      const config = policyConfig();
      if (p.config && typeof p.config === 'object') {
        Object.assign(config.noise, p.config.noise ?? {});
        Object.assign(config.alerts, p.config.alerts ?? {});
        if (typeof config.alerts.resolveBelow !== 'number')
          config.alerts.resolveBelow = config.alerts.mismatchRate * 0.8;
        Object.assign(config.detectors, p.config.detectors ?? {});
        Object.assign(config.latency, p.config.latency ?? {});
      }
      const endpoints = new Map<string, EndpointStats>();
      for (const e of p.endpoints) {
        const s = EndpointStats.fromJSON(e);
        endpoints.set(s.endpoint, s);
      }
      const ignoreSpec: IgnoreSpec = {};
      for (const k of ['ignorePaths', 'ignoreHeaders'] as const) {
        const list = p.ignore?.[k];
        if (Array.isArray(list)) ignoreSpec[k] = list.filter((x): x is string => typeof x === 'string');
      }
      const scoped = p.ignore?.ignoreByEndpoint;
      if (scoped && typeof scoped === 'object') ignoreSpec.ignoreByEndpoint = scoped;
      const sets = new Map<string, MismatchSets>();
      for (const [k, v] of Object.entries(p.mismatchSets ?? {}))
        if (endpoints.has(k)) sets.set(k, MismatchSets.fromJSON(v));
      book.books.set(name, {
        config,
        endpoints,
        alerting: new Set(p.alerting.filter((x) => typeof x === 'string')),
        slow: new Set((Array.isArray(p.slow) ? p.slow : []).filter((x) => typeof x === 'string')),
        ignoreSpec,
        ignore: compileIgnore({ services: [], normalize: ignoreSpec }),
        sets,
      });
    }
    return book;
  }
}

/** The name an endpoint is counted under: its own, or the overflow row once a policy has MAX_ENDPOINTS. */
function endpointName(book: PolicyBook | undefined, endpoint: string): string {
  return !book || book.endpoints.has(endpoint) || book.endpoints.size < MAX_ENDPOINTS ? endpoint : OVERFLOW_ENDPOINT;
}
