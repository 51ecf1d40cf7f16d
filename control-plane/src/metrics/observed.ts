// Domain metrics that only exist as events: latency per compared pair, egress decisions, alerts raised,
// filter connections and config responses. main.ts calls these from the hooks it already has (the
// compare wrapper, the blast-radius wrapper, the alert sink's onStored, the observed node registry), so
// no engine module counts anything itself. Label values fed by traffic go through LabelCap.
// Names follow Prometheus's rules: counters end in _total, durations are seconds, histograms use le.

import { Counter, type Registry } from 'prom-client';
import { BoundHistogram, type BoundSeries } from './bound-histogram.js';
import { LabelCap } from './label-cap.js';

export interface CardinalityLimits {
  /** endpoint templates per policy with their own series; later ones are `other` (default 50) */
  endpointsPerPolicy: number;
  /** egress destinations per policy with their own series (default 50) */
  destinationsPerPolicy: number;
  /** egress rule names per policy with their own series (default 50) */
  rulesPerPolicy: number;
}

export const DEFAULT_LIMITS: CardinalityLimits = {
  endpointsPerPolicy: 50,
  destinationsPerPolicy: 50,
  rulesPerPolicy: 50,
};

/** Seconds; from 1 ms (loopback) to 10 s (a shadow stuck behind a slow dependency). */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const DECISIONS = new Set(['allowed', 'mocked', 'denied', 'rate_limited']);
export const NO_POLICY = 'none';

export class ObservedMetrics {
  /** Shared with the scrape-time collectors so both agree on which endpoints are `other`. */
  readonly endpoints: LabelCap;
  private readonly destinations: LabelCap;
  private readonly rules: LabelCap;
  private readonly latency: BoundHistogram<'policy' | 'endpoint' | 'side'>;
  /** live and shadow series per policy and endpoint label (bounded by the LabelCap) */
  private readonly latencySeries = new Map<string, Map<string, [BoundSeries, BoundSeries]>>();
  private readonly egressDecisions: Counter<'policy' | 'destination' | 'decision' | 'rule'>;
  private readonly alertsRaised: Counter<'policy' | 'kind'>;
  private readonly connections: Counter<'role'>;
  private readonly configResponses: Counter<'response'>;

  constructor(registry: Registry, limits: CardinalityLimits = DEFAULT_LIMITS) {
    this.endpoints = new LabelCap(limits.endpointsPerPolicy);
    this.destinations = new LabelCap(limits.destinationsPerPolicy);
    this.rules = new LabelCap(limits.rulesPerPolicy);
    const registers = [registry];
    this.latency = new BoundHistogram({
      name: 'shadowguard_pair_latency_seconds',
      help: 'Response latency of compared pairs, live and shadow side, as the filters measured it',
      labelNames: ['policy', 'endpoint', 'side'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.egressDecisions = new Counter({
      name: 'shadowguard_egress_decisions_total',
      help: 'Egress calls of shadow workloads by the allowlist decision and the rule that decided',
      labelNames: ['policy', 'destination', 'decision', 'rule'],
      registers,
    });
    this.alertsRaised = new Counter({
      name: 'shadowguard_alerts_total',
      help: 'Alerts raised and stored (kind endpoint: mismatch rate; kind ramp: a ramp guard breach)',
      labelNames: ['policy', 'kind'],
      registers,
    });
    this.connections = new Counter({
      name: 'shadowguard_filter_connections_total',
      help: 'Filter streams opened (a Hello accepted), by filter role',
      labelNames: ['role'],
      registers,
    });
    this.configResponses = new Counter({
      name: 'shadowguard_filter_config_responses_total',
      help: 'Configuration versions the filters acknowledged (ack) or rejected (nack)',
      labelNames: ['response'],
      registers,
    });
  }

  /** A compared pair (the compare wrapper in main.ts); latencies in microseconds as the filter reports them. */
  pair(policy: string, endpoint: string, liveUs: number, shadowUs: number): void {
    const [live, shadow] = this.latencyOf(policy, this.endpoints.label(policy, endpoint));
    if (liveUs >= 0) live.observe(liveUs / 1e6);
    if (shadowUs >= 0) shadow.observe(shadowUs / 1e6);
  }

  private latencyOf(policy: string, endpoint: string): [BoundSeries, BoundSeries] {
    let byEndpoint = this.latencySeries.get(policy);
    if (!byEndpoint) this.latencySeries.set(policy, (byEndpoint = new Map()));
    let s = byEndpoint.get(endpoint);
    if (!s) {
      s = [
        this.latency.bind({ policy, endpoint, side: 'live' }),
        this.latency.bind({ policy, endpoint, side: 'shadow' }),
      ];
      byEndpoint.set(endpoint, s);
    }
    return s;
  }

  egress(policy: string | undefined, ev: { destination: string; decision: string; rule: string }): void {
    const p = policy ?? NO_POLICY;
    this.egressDecisions.inc({
      policy: p,
      destination: this.destinations.label(p, ev.destination || '(unknown)'),
      decision: DECISIONS.has(ev.decision) ? ev.decision : 'other',
      rule: this.rules.label(p, ev.rule || 'default'),
    });
  }

  alert(policy: string, kind: 'endpoint' | 'ramp'): void {
    this.alertsRaised.inc({ policy, kind });
  }

  connected(role: string): void {
    this.connections.inc({ role: role || 'unknown' });
  }

  configResponse(kind: 'ack' | 'nack'): void {
    this.configResponses.inc({ response: kind });
  }
}
