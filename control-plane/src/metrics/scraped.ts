// Domain metrics read at scrape time from the counters and state the engine already keeps (report
// book, pairer, ingest, alert sink, ramp controller, node registry): prom-client collect() callbacks,
// so nothing here runs on the request path and no engine module knows about Prometheus.
// Counters read this way are the engine's cumulative totals; pairs with a regression are recounted
// under the policy's current ignore rules, so a new ignore rule can lower them (rate() reads that as a
// counter reset, which is what it is: the past was re-judged).

import { Counter, Gauge, type Registry } from 'prom-client';
import type { LabelCap } from './label-cap.js';

export interface EndpointFigures {
  endpoint: string;
  pairs: number;
  matching: number;
  statusMismatches: number;
  regressionFields: number;
  alerting: boolean;
}
export interface RampFigures {
  policy: string;
  status: string;
  percent: number;
  stage: number;
}
export interface NodeFigures {
  role: string;
  connected: boolean;
  config: { sent?: string; acked?: string; nacked?: unknown };
}

/** Where the numbers come from (main.ts adapts the engine objects to this). */
export interface MetricSources {
  reports: { policies(): string[]; endpoints(policy: string): readonly EndpointFigures[] };
  /** reclaimed/abandoned exist only with shared pairing (0 in one process) */
  pairer: {
    stats(): Record<
      'pending' | 'pendingBytes' | Exclude<PairOutcome, 'reclaimed' | 'abandoned'> | HalfRejection,
      number
    > &
      Partial<Record<'reclaimed' | 'abandoned', number>>;
  };
  ingest: { stats(): Record<'halves' | 'unmatched' | 'compareErrors' | 'egressEvents', number> };
  alerts: {
    stats(): { webhookDelivered: number; webhookFailed: number; webhookSkipped: number; webhookAttempts?: number };
  };
  ramps(): readonly RampFigures[];
  nodes(): readonly NodeFigures[];
  streamSessions(): number;
  /** at-least-once delivery of numbered halves/events (stream/delivery.ts) */
  delivery(): { accepted: number; duplicates: number; unnumbered: number; senders: number; forgotten: number };
}

type PairOutcome = 'completed' | 'degraded' | 'orphaned' | 'evicted' | 'reclaimed' | 'abandoned';
type HalfRejection = 'late' | 'duplicate' | 'invalid' | 'oversized';
const PAIR_OUTCOMES: PairOutcome[] = ['completed', 'degraded', 'orphaned', 'evicted', 'reclaimed', 'abandoned'];
const HALF_REJECTIONS: HalfRejection[] = ['late', 'duplicate', 'invalid', 'oversized'];
export const RAMP_STATES = ['idle', 'running', 'paused', 'completed', 'aborted', 'reverted'] as const;
const ROLES = ['edge', 'shadow', 'live'];

type Row = { labels: Record<string, string>; value: number };

/** A metric whose values are all read at scrape time. */
function scraped(
  registry: Registry,
  type: 'counter' | 'gauge',
  name: string,
  help: string,
  labelNames: string[],
  read: () => Row[] | number,
): void {
  const collect = function (this: Gauge | Counter) {
    this.reset();
    const v = read();
    if (typeof v === 'number') {
      if (this instanceof Gauge) this.set(v);
      else this.inc(v);
      return;
    }
    for (const r of v) {
      if (this instanceof Gauge) this.set(r.labels, r.value);
      else this.inc(r.labels, r.value);
    }
  };
  const opts = { name, help, labelNames, registers: [registry], collect };
  if (type === 'gauge') new Gauge(opts);
  else new Counter(opts);
}

/** Per-endpoint rows summed under the capped endpoint label (endpoints past the cap add into `other`). */
function perEndpoint(src: MetricSources, cap: LabelCap, pick: (e: EndpointFigures) => number): Row[] {
  const rows = new Map<string, Row>();
  for (const policy of src.reports.policies()) {
    for (const e of src.reports.endpoints(policy)) {
      const endpoint = cap.label(policy, e.endpoint);
      const key = `${policy}\u0000${endpoint}`;
      const row = rows.get(key) ?? { labels: { policy, endpoint }, value: 0 };
      row.value += pick(e);
      rows.set(key, row);
    }
  }
  return [...rows.values()];
}

export function registerScraped(registry: Registry, src: MetricSources, endpoints: LabelCap): void {
  const c = (name: string, help: string, labels: string[], read: () => Row[] | number) =>
    scraped(registry, 'counter', name, help, labels, read);
  const g = (name: string, help: string, labels: string[], read: () => Row[] | number) =>
    scraped(registry, 'gauge', name, help, labels, read);
  const ep = ['policy', 'endpoint'];

  c('shadowguard_pairs_compared_total', 'Live/shadow pairs compared, per policy and endpoint template', ep, () =>
    perEndpoint(src, endpoints, (e) => e.pairs),
  );
  c('shadowguard_pairs_regressed_total', 'Compared pairs with at least one regression field', ep, () =>
    perEndpoint(src, endpoints, (e) => e.pairs - e.matching),
  );
  c('shadowguard_pairs_status_mismatch_total', 'Compared pairs whose live and shadow status differ', ep, () =>
    perEndpoint(src, endpoints, (e) => e.statusMismatches),
  );
  g('shadowguard_endpoint_regression_fields', 'Fields currently judged a regression (not noise)', ep, () =>
    perEndpoint(src, endpoints, (e) => e.regressionFields),
  );
  g(
    'shadowguard_endpoint_alerting',
    'Endpoints whose mismatch rate is over the alert threshold (1 = alerting)',
    ep,
    () => perEndpoint(src, endpoints, (e) => (e.alerting ? 1 : 0)),
  );

  // Pairing: levels are gauges, events are counters, halves and pairs apart.
  g('shadowguard_pairing_pending_pairs', 'Pairs waiting for their other halves', [], () => src.pairer.stats().pending);
  g('shadowguard_pairing_pending_bytes', 'Bytes held by pending pairs', [], () => src.pairer.stats().pendingBytes);
  c('shadowguard_pairing_pairs_total', 'Pairs by how pairing ended', ['outcome'], () => {
    const s = src.pairer.stats();
    return PAIR_OUTCOMES.map((outcome) => ({ labels: { outcome }, value: s[outcome] ?? 0 }));
  });
  c('shadowguard_pairing_halves_rejected_total', 'Halves pairing dropped, by reason', ['reason'], () => {
    const s = src.pairer.stats();
    return HALF_REJECTIONS.map((reason) => ({ labels: { reason }, value: s[reason] }));
  });

  // Ingest.
  c('shadowguard_ingest_halves_total', 'Halves received from filters', [], () => src.ingest.stats().halves);
  c(
    'shadowguard_ingest_unmatched_halves_total',
    'Halves of a service no policy covers',
    [],
    () => src.ingest.stats().unmatched,
  );
  c(
    'shadowguard_ingest_compare_errors_total',
    'Pairs the engine could not compare',
    [],
    () => src.ingest.stats().compareErrors,
  );
  c(
    'shadowguard_ingest_egress_events_total',
    'Egress events received from filters',
    [],
    () => src.ingest.stats().egressEvents,
  );

  // Alert delivery (the alert sink's counters).
  c('shadowguard_alert_webhook_deliveries_total', 'Alert webhook deliveries by final result', ['result'], () => {
    const s = src.alerts.stats();
    return [
      { labels: { result: 'delivered' }, value: s.webhookDelivered ?? 0 },
      { labels: { result: 'failed' }, value: s.webhookFailed ?? 0 },
      { labels: { result: 'skipped' }, value: s.webhookSkipped ?? 0 },
    ];
  });
  c(
    'shadowguard_alert_webhook_attempts_total',
    'HTTP attempts made to alert webhooks, retries included',
    [],
    () => src.alerts.stats().webhookAttempts ?? 0,
  );

  // Ramps: one row per policy that declares a ramp; state as an enum (1 for the current state).
  g('shadowguard_ramp_percent', 'Sampling cap the ramp puts on the edge, percent', ['policy'], () =>
    src.ramps().map((r) => ({ labels: { policy: r.policy }, value: r.percent })),
  );
  g('shadowguard_ramp_stage', 'Number of the current ramp stage (1 = the first of spec.ramp.stages)', ['policy'], () =>
    src.ramps().map((r) => ({ labels: { policy: r.policy }, value: r.stage })),
  );
  g('shadowguard_ramp_state', 'Ramp state (1 for the current one)', ['policy', 'state'], () =>
    src
      .ramps()
      .flatMap((r) =>
        RAMP_STATES.map((state) => ({ labels: { policy: r.policy, state }, value: r.status === state ? 1 : 0 })),
      ),
  );

  // Delivery of numbered reports (resent after a reconnect, deduplicated here).
  c('shadowguard_delivery_reports_total', 'Halves and events received, by delivery outcome', ['outcome'], () => {
    const d = src.delivery();
    return [
      { labels: { outcome: 'accepted' }, value: d.accepted },
      { labels: { outcome: 'duplicate' }, value: d.duplicates },
      { labels: { outcome: 'unnumbered' }, value: d.unnumbered },
    ];
  });
  g(
    'shadowguard_delivery_senders',
    'Filter VMs whose delivery high-water mark is kept',
    [],
    () => src.delivery().senders,
  );
  c(
    'shadowguard_delivery_senders_forgotten_total',
    'Senders forgotten to stay within the bound (their next resend may be counted twice)',
    [],
    () => src.delivery().forgotten,
  );

  // Filters.
  g('shadowguard_stream_sessions', 'Open filter streams', [], () => src.streamSessions());
  g('shadowguard_filters', 'Known filter workers by role and connection state', ['role', 'state'], () =>
    count(
      src.nodes(),
      (n) => ({ role: roleOf(n.role), state: n.connected ? 'connected' : 'disconnected' }),
      ROLES.flatMap((role) => [
        { role, state: 'connected' },
        { role, state: 'disconnected' },
      ]),
    ),
  );
  g(
    'shadowguard_filter_config_nacked',
    'Connected filters whose last pushed configuration was rejected',
    ['role'],
    () =>
      count(
        src.nodes().filter((n) => n.connected && n.config.nacked !== undefined),
        (n) => ({ role: roleOf(n.role) }),
        ROLES.map((role) => ({ role })),
      ),
  );
  g(
    'shadowguard_filter_config_out_of_sync',
    'Connected filters not running the last configuration pushed',
    ['role'],
    () =>
      count(
        src.nodes().filter((n) => n.connected && n.config.sent !== undefined && n.config.acked !== n.config.sent),
        (n) => ({ role: roleOf(n.role) }),
        ROLES.map((role) => ({ role })),
      ),
  );
}

const roleOf = (r: string): string => (ROLES.includes(r) ? r : 'other');

/** Items counted per label set; `zero` label sets are present at 0 so an alert can test them (absent ≠ 0). */
function count<T>(items: readonly T[], key: (t: T) => Record<string, string>, zero: Record<string, string>[]): Row[] {
  const rows = new Map<string, Row>();
  for (const labels of zero) rows.set(JSON.stringify(labels), { labels, value: 0 });
  for (const it of items) {
    const labels = key(it);
    const k = JSON.stringify(labels);
    const row = rows.get(k) ?? { labels, value: 0 };
    row.value++;
    rows.set(k, row);
  }
  return [...rows.values()];
}
