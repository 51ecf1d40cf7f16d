// ReportBook: every policy's per-endpoint reports, built incrementally from compared pairs, plus the
// path-specific alert rule: an endpoint whose mismatch rate reaches spec.alerts.mismatchRate % over at
// least spec.alerts.minPairs pairs raises one Alert, whatever the policy's aggregate looks like (the
// POST /refunds problem of DESIGN.md), and raises again only after it has recovered below the rate.
// Serializable (toJSON / fromJSON) so the store can persist it and reload it across restarts.
//
// API:
//   new ReportBook()
//   add(result: ComparedPair | PairResult, spec?: PolicySpec): Alert[]
//       spec supplies noise/alert thresholds and detector switches; the latest one given per policy is
//       kept (and persisted) and used for reading too. Rates are percentages (0–100).
//   policies(): string[]
//   endpoints(policy): EndpointReport[]          worst first (mismatch rate, regression fields, pairs)
//   endpoint(policy, endpoint): EndpointDetail | undefined   fields, suggestions, side-by-side samples
//   summary(policy): { pairs; matching; matchRate; endpoints; alerting }   | undefined
//   clear(policy?): void
//   toJSON(): ReportBookJSON;  static fromJSON(v: unknown): ReportBook   (throws a clear Error on bad input)
//   interface Alert { policy; endpoint; rate; pairs; at; message }
import type { PairResult, PolicySpec } from '../domain/types.js';
import type { ComparedPair } from '../compare/index.js';
import type { DetectorClass } from '../compare/detectors.js';
import { EndpointStats, type EndpointDetail, type EndpointReport } from './endpoint-stats.js';
import { noiseConfig, type NoiseConfig } from './noise.js';

export type { EndpointDetail, EndpointReport, FieldReport, FieldExample, KindReport, SuggestionReport } from './endpoint-stats.js';
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

export interface AlertConfig { mismatchRate: number; minPairs: number }
interface PolicyConfig { noise: NoiseConfig; alerts: AlertConfig; detectors: Record<DetectorClass, boolean> }
interface PolicyBook { config: PolicyConfig; endpoints: Map<string, EndpointStats>; alerting: Set<string> }

export interface ReportBookJSON {
  version: 1;
  policies: Record<string, { config: PolicyConfig; alerting: string[]; endpoints: unknown[] }>;
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
      if (!ep) { ep = new EndpointStats(name); book.endpoints.set(name, ep); }
    }
    ep.add(result, book.config.noise);
    const { mismatchRate, minPairs } = book.config.alerts;
    const rate = ep.mismatchRate();
    if (book.alerting.has(name)) {
      if (rate < mismatchRate) book.alerting.delete(name); // recovered: the next breach alerts again
      return [];
    }
    if (ep.pairs < minPairs || rate < mismatchRate) return [];
    book.alerting.add(name);
    return [{
      policy: result.policy, endpoint: name, rate, pairs: ep.pairs, at: result.at,
      message: `${result.policy}: ${name} mismatches on ${rate.toFixed(1)} % of ${ep.pairs} pairs (threshold ${mismatchRate} %)`,
    }];
  }

  policies(): string[] {
    return [...this.books.keys()].sort();
  }

  endpoints(policy: string): EndpointReport[] {
    const book = this.books.get(policy);
    if (!book) return [];
    const out: EndpointReport[] = [];
    for (const ep of book.endpoints.values()) out.push(ep.report(policy, book.config.noise, book.alerting.has(ep.endpoint)));
    return out.sort((a, b) => b.mismatchRate - a.mismatchRate || b.regressionFields - a.regressionFields
      || b.pairs - a.pairs || (a.endpoint < b.endpoint ? -1 : 1));
  }

  endpoint(policy: string, endpoint: string): EndpointDetail | undefined {
    const book = this.books.get(policy);
    const ep = book?.endpoints.get(endpoint);
    if (!book || !ep) return undefined;
    return ep.detail(policy, book.config.noise, book.alerting.has(endpoint), book.config.detectors);
  }

  summary(policy: string): { pairs: number; matching: number; matchRate: number; endpoints: number; alerting: string[] } | undefined {
    const book = this.books.get(policy);
    if (!book) return undefined;
    let pairs = 0, mismatched = 0;
    for (const ep of book.endpoints.values()) { pairs += ep.pairs; mismatched += ep.mismatched; }
    return {
      pairs, matching: pairs - mismatched, matchRate: pairs ? ((pairs - mismatched) / pairs) * 100 : 100,
      endpoints: book.endpoints.size, alerting: [...book.alerting].sort(),
    };
  }

  clear(policy?: string): void {
    if (policy === undefined) this.books.clear(); else this.books.delete(policy);
  }

  private book(policy: string, spec?: PolicySpec): PolicyBook {
    let b = this.books.get(policy);
    if (!b) {
      b = { config: spec ? configFor(spec) : policyConfig(), endpoints: new Map(), alerting: new Set() };
      this.books.set(policy, b);
    } else if (spec) {
      b.config = configFor(spec);
    }
    return b;
  }

  toJSON(): ReportBookJSON {
    const policies: ReportBookJSON['policies'] = {};
    for (const [name, b] of this.books) {
      policies[name] = {
        config: b.config,
        alerting: [...b.alerting],
        endpoints: [...b.endpoints.values()].map((e) => e.toJSON()),
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
      for (const e of p.endpoints) { const s = EndpointStats.fromJSON(e); endpoints.set(s.endpoint, s); }
      book.books.set(name, { config, endpoints, alerting: new Set(p.alerting.filter((x) => typeof x === 'string')) });
    }
    return book;
  }
}

// Memo: the same spec object arrives with every pair; derive its config once.
const configs = new WeakMap<PolicySpec, PolicyConfig>();
function configFor(spec: PolicySpec): PolicyConfig {
  let c = configs.get(spec);
  if (!c) { c = policyConfig(spec); configs.set(spec, c); }
  return c;
}
