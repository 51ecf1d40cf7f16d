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

@inline export function inc(id: u32): void { incrementMetric(id, 1); }
