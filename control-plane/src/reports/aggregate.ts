// ReportBook: every policy's per-endpoint reports, built incrementally from compared pairs, plus the
// path-specific alert rule: an endpoint whose mismatch rate reaches spec.alerts.mismatchRate % over at
// least spec.alerts.minPairs pairs raises one Alert, whatever the policy's aggregate looks like (the
// POST /refunds problem in docs/architecture.md), and raises again only after it has recovered below the rate.
// Serializable (toJSON / fromJSON) so the store can persist it and reload it across restarts.
//
// API:
//   new ReportBook()
//   add(result: ComparedPair | PairResult, spec?: PolicySpec): Alert[]
//       spec supplies noise/alert thresholds and detector switches; the latest one given per policy is
//       kept (and persisted) and used for reading too. Rates are percentages (0–100).
//   configure(policy, spec): void     the policy changed (API write): thresholds and the CURRENT
//       normalize.ignorePaths/ignoreHeaders apply to reading at once (ignored.ts): matching fields read
//       as verdict 'ignored' and leave regressionFields, the mismatch rate and the alert state.
//   policies(): string[]
//   endpoints(policy): EndpointView[]            worst first (mismatch rate, regression fields, pairs)
//   endpoint(policy, endpoint): EndpointDetailView | undefined   fields, suggestions, side-by-side samples
//   summary(policy): { pairs; matching; matchRate; endpoints; alerting }   | undefined
//   endpointCounts(policy): { endpoint; pairs; mismatched }[]   cumulative counters (ramp guards)
//   clear(policy?): void
//   toJSON(): ReportBookJSON;  static fromJSON(v: unknown): ReportBook   (throws a clear Error on bad input)
//   interface Alert { policy; endpoint; rate; pairs; at; message }
import type { PairResult, PolicySpec } from '../domain/types.js';
import type { ComparedPair } from '../compare/index.js';
import type { DetectorClass } from '../compare/detectors.js';
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
import { noiseConfig, verdict, type NoiseConfig } from './noise.js';

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
}
interface PolicyConfig {
  noise: NoiseConfig;
  alerts: AlertConfig;
  detectors: Record<DetectorClass, boolean>;
}
/** The ignore rules of the policy's latest spec (persisted as the two lists, compiled on load). */
interface IgnoreSpec {
  ignorePaths?: string[];
  ignoreHeaders?: string[];
}
interface PolicyBook {
  config: PolicyConfig;
  endpoints: Map<string, EndpointStats>;
  alerting: Set<string>;
  ignoreSpec: IgnoreSpec;
  ignore: IgnoreRules;
  /** per endpoint: which regression paths its mismatched pairs had */
  sets: Map<string, MismatchSets>;
}

export interface ReportBookJSON {
  version: 1;
  policies: Record<
    string,
    {
      config: PolicyConfig;
      alerting: string[];
      endpoints: unknown[];
      ignore?: IgnoreSpec;
      mismatchSets?: Record<string, unknown>;
    }
  >;
}

export const MAX_ENDPOINTS = 1000;
export const OVERFLOW_ENDPOINT = '(other endpoints)';

export function policyConfig(spec?: PolicySpec): PolicyConfig {
  const a = spec?.alerts;
  const d = spec?.normalize?.detectors;
  return {
    noise: noiseConfig(spec?.noise),
    alerts: {
      mismatchRate: typeof a?.mismatchRate === 'number' && a.mismatchRate >= 0 ? a.mismatchRate : 5,
      minPairs: typeof a?.minPairs === 'number' && a.minPairs >= 1 ? a.minPairs : 20,
    },
    detectors: { uuid: d?.uuid === true, timestamp: d?.timestamp === true, token: d?.token === true },
  };
}

export class ReportBook {
  private readonly books = new Map<string, PolicyBook>();

  add(result: ComparedPair | PairResult, spec?: PolicySpec): Alert[] {
    const book = this.book(result.policy, spec);
    let name = result.endpoint;
    let ep = book.endpoints.get(name);
    if (!ep) {
      if (book.endpoints.size >= MAX_ENDPOINTS) name = OVERFLOW_ENDPOINT;
      ep = book.endpoints.get(name);
      if (!ep) {
        ep = new EndpointStats(name);
        book.endpoints.set(name, ep);
      }
    }
    if (ep.add(result, book.config.noise)) this.recordSet(book, ep, result);
    if (result.notCompared) return []; // no evidence: never raises nor clears an alert
    const { mismatchRate, minPairs } = book.config.alerts;
    const rate = this.rate(book, ep);
    // rate 0 never alerts: with mismatchRate 0 ("any mismatch") an endpoint that matches every pair
    // would otherwise alert at once and, never dropping below 0, stay alerting for good.
    if (book.alerting.has(name)) {
      if (rate < mismatchRate || rate === 0) book.alerting.delete(name); // recovered: the next breach alerts again
      return [];
    }
    if (ep.pairs < minPairs || rate < mismatchRate || rate === 0) return [];
    book.alerting.add(name);
    return [
      {
        policy: result.policy,
        endpoint: name,
        rate,
        pairs: ep.pairs,
        at: result.at,
        message: `${result.policy}: ${name} mismatches on ${rate.toFixed(1)} % of ${ep.pairs} pairs (threshold ${mismatchRate} %)`,
      },
    ];
  }

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
      if (rate < book.config.alerts.mismatchRate || rate === 0) book.alerting.delete(name);
    }
  }

  policies(): string[] {
    return [...this.books.keys()].sort();
  }

  endpoints(policy: string): EndpointView[] {
    const book = this.books.get(policy);
    if (!book) return [];
    const out: EndpointView[] = [];
    for (const ep of book.endpoints.values()) {
      const alerting = book.alerting.has(ep.endpoint);
      out.push(
        book.ignore.empty
          ? { ...ep.report(policy, book.config.noise, alerting), ignoredFields: 0 }
          : viewReport(
              ep.detail(policy, book.config.noise, alerting, book.config.detectors),
              this.mismatched(book, ep),
              book.ignore,
            ),
      );
    }
    return out.sort(
      (a, b) =>
        b.mismatchRate - a.mismatchRate ||
        b.regressionFields - a.regressionFields ||
        b.pairs - a.pairs ||
        (a.endpoint < b.endpoint ? -1 : 1),
    );
  }

  endpoint(policy: string, endpoint: string): EndpointDetailView | undefined {
    const book = this.books.get(policy);
    const ep = book?.endpoints.get(endpoint);
    if (!book || !ep) return undefined;
    const d = ep.detail(policy, book.config.noise, book.alerting.has(endpoint), book.config.detectors);
    return book.ignore.empty ? { ...d, ignoredFields: 0 } : viewDetail(d, this.mismatched(book, ep), book.ignore);
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
  endpointCounts(policy: string): Array<{ endpoint: string; pairs: number; mismatched: number }> {
    const book = this.books.get(policy);
    if (!book) return [];
    return [...book.endpoints.values()].map((e) => ({
      endpoint: e.endpoint,
      pairs: e.pairs,
      mismatched: this.mismatched(book, e),
    }));
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
    return book.sets.get(ep.endpoint)?.mismatched(ep.mismatched, book.ignore) ?? ep.mismatched;
  }

  private rate(book: PolicyBook, ep: EndpointStats): number {
    return ep.pairs ? (this.mismatched(book, ep) / ep.pairs) * 100 : 0;
  }

  toJSON(): ReportBookJSON {
    const policies: ReportBookJSON['policies'] = {};
    for (const [name, b] of this.books) {
      policies[name] = {
        config: b.config,
        alerting: [...b.alerting],
        endpoints: [...b.endpoints.values()].map((e) => e.toJSON()),
        ignore: b.ignoreSpec,
        mismatchSets: Object.fromEntries([...b.sets].map(([k, v]) => [k, v.toJSON()])),
      };
    }
    return { version: 1, policies };
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
        Object.assign(config.detectors, p.config.detectors ?? {});
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
      const sets = new Map<string, MismatchSets>();
      for (const [k, v] of Object.entries(p.mismatchSets ?? {}))
        if (endpoints.has(k)) sets.set(k, MismatchSets.fromJSON(v));
      book.books.set(name, {
        config,
        endpoints,
        alerting: new Set(p.alerting.filter((x) => typeof x === 'string')),
        ignoreSpec,
        ignore: compileIgnore({ services: [], normalize: ignoreSpec }),
        sets,
      });
    }
    return book;
  }
}

// Memo: the same spec object arrives with every pair; derive its config once.
const configs = new WeakMap<PolicySpec, PolicyConfig>();
function configFor(spec: PolicySpec): PolicyConfig {
  let c = configs.get(spec);
  if (!c) {
    c = policyConfig(spec);
    configs.set(spec, c);
  }
  return c;
}
