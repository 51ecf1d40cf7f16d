// Envoy stats defined by the filter (proxy_define_metric; Envoy prefixes "wasmcustom." internally
// and strips it from /stats). Ids are per VM; defining the same name again reuses the same stat.
import { defineMetric, incrementMetric } from "./host";

const COUNTER: i32 = 0;

export class Metrics {
  requestsSampled: u32 = 0;
  requestsTagged: u32 = 0;        // live/edge(mesh): requests arriving with a shadow tag
  markersStripped: u32 = 0;       // edge(boundary): forged markers removed
  shadowRequests: u32 = 0;        // shadow: inbound requests tagged by configuration
  shadowRateLimited: u32 = 0;     // shadow: inbound requests over the shadow rate limit (429)
  halvesReported: u32 = 0;
  halvesDropped: u32 = 0;
  eventsDropped: u32 = 0;
  egressAllowed: u32 = 0;
  egressMocked: u32 = 0;
  egressDenied: u32 = 0;
  egressRateLimited: u32 = 0;
  configsAccepted: u32 = 0;
  configsRejected: u32 = 0;
  streamReconnects: u32 = 0;
  reportsAcknowledged: u32 = 0;   // halves + events the control plane acknowledged (Delivered)
  reportsResent: u32 = 0;         // halves + events sent again after a reconnect, unacknowledged before
  hostErrors: u32 = 0;            // host calls that failed on the live path (failed open)

  define(): void {
    this.requestsSampled = defineMetric(COUNTER, "shadowguard_requests_sampled");
    this.requestsTagged = defineMetric(COUNTER, "shadowguard_requests_tagged");
    this.markersStripped = defineMetric(COUNTER, "shadowguard_markers_stripped");
    this.shadowRequests = defineMetric(COUNTER, "shadowguard_shadow_requests");
    this.shadowRateLimited = defineMetric(COUNTER, "shadowguard_shadow_rate_limited");
    this.halvesReported = defineMetric(COUNTER, "shadowguard_halves_reported");
    this.halvesDropped = defineMetric(COUNTER, "shadowguard_halves_dropped");
    this.eventsDropped = defineMetric(COUNTER, "shadowguard_events_dropped");
    this.egressAllowed = defineMetric(COUNTER, "shadowguard_egress_allowed");
    this.egressMocked = defineMetric(COUNTER, "shadowguard_egress_mocked");
    this.egressDenied = defineMetric(COUNTER, "shadowguard_egress_denied");
    this.egressRateLimited = defineMetric(COUNTER, "shadowguard_egress_rate_limited");
    this.configsAccepted = defineMetric(COUNTER, "shadowguard_configs_accepted");
    this.configsRejected = defineMetric(COUNTER, "shadowguard_configs_rejected");
    this.streamReconnects = defineMetric(COUNTER, "shadowguard_stream_reconnects");
    this.reportsAcknowledged = defineMetric(COUNTER, "shadowguard_reports_acknowledged");
    this.reportsResent = defineMetric(COUNTER, "shadowguard_reports_resent");
    this.hostErrors = defineMetric(COUNTER, "shadowguard_host_errors");
  }
}

export const metrics = new Metrics();

// Egress decisions per rule, in a form Envoy's tag extraction understands (docs/metrics.md):
// shadowguard.egress.decision.<decision>.rule.<rule>. With the stats_config.stats_tags documented
// there, Envoy reports one stat shadowguard.egress.decision.rule with the tags shadowguard_decision
// and shadowguard_rule. Defined lazily on first use and cached (bounded: configured rules x 4
// decisions, plus "default"); rule names are reduced to [A-Za-z0-9_-] so a dot cannot forge a segment.
const DECISION_NAMES: string[] = ["", "allowed", "mocked", "denied", "rate_limited"];
// Rule name → its metric id per decision (0 = not defined yet). Looked up by the rule's name, no
// string built per call; the last name is remembered by identity (a rule's name is one object, and
// holding it keeps its address from being reused).
const idsByRule = new Map<string, StaticArray<u32>>();
let lastRule: string = "";
let lastIds = new StaticArray<u32>(5);

export function statSegment(name: string): string {
  let out = "";
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f || c == 0x2d;
    out += ok ? String.fromCharCode(c) : "_";
  }
  return out.length > 0 ? out : "_";
}

export function incEgressDecision(decision: i32, rule: string): void {
  if (decision < 1 || decision > 4) return;
  let ids = lastIds;
  if (changetype<usize>(rule) != changetype<usize>(lastRule)) {
    if (idsByRule.has(rule)) ids = idsByRule.get(rule);
    else {
      ids = new StaticArray<u32>(5);
      if (idsByRule.size < 1024) idsByRule.set(rule, ids);
    }
    lastIds = ids;
    lastRule = rule;
  }
  let id = unchecked(ids[decision]);
  if (id == 0) {
    id = defineMetric(COUNTER, "shadowguard.egress.decision." + DECISION_NAMES[decision] + ".rule." + statSegment(rule));
    unchecked(ids[decision] = id);
  }
  if (id != 0) incrementMetric(id, 1);
}

@inline export function inc(id: u32): void { incrementMetric(id, 1); }
