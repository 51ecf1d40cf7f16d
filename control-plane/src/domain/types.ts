// The control plane's vocabulary: types only, no logic, no I/O. Every other module imports from here;
// this file imports nothing. Shapes mirror proto/shadow/v1/shadow.proto (wire) and
// schema/*.schema.json (configuration); keep them in step.

export type Role = 'edge' | 'shadow' | 'live';
export type Side = 'live' | 'candidate' | 'secondary';
export type Decision = 'allowed' | 'mocked' | 'denied' | 'rate_limited';

/**
 * A node = one filter VM's stream, identified by its Hello: nodeId (the proxy) + plugin (which
 * Shadowguard filter in it) + worker (which VM of those sharing the vm_id); see nodes/registry nodeKey.
 */
export interface NodeHello {
  nodeId: string;
  /** plugin_name: the Envoy filter config / Istio WasmPlugin name; '' from filters that predate it */
  plugin: string;
  workload: string;
  service: string;
  role: Role;
  variant?: 'candidate' | 'secondary';
  filterVersion: string;
  configVersion: string;
  /** a number unique among the filter VMs sharing a vm_id in the proxy, not a worker-thread index */
  worker: number;
  /** the workload's version label; '' or absent when unknown (runs then use the workload name) */
  version?: string;
  /** drawn by the filter VM's stream client at start: with nodeId/plugin/worker it names a delivery sender; absent from older filters */
  epoch?: number;
}

/** One captured response: the live half (edge) or a shadow half (candidate/secondary). */
export interface Half {
  pairId: string;
  side: Side;
  service: string;
  method: string;
  host: string;
  path: string;
  query: string;
  status: number;
  /** lower-case names; values decoded as latin1 when not UTF-8 */
  headers: Array<[string, string]>;
  body: Buffer;
  truncated: boolean;
  bodySize: number;
  startUnixMs: number;
  latencyUs: number;
  requestId: string;
  nodeId: string;
  /** the request this half answers: edge (live) halves only, when the policy opts in (capture.request) */
  request?: CapturedRequest;
}

/** A request as the edge filter captured it: kept headers (redacted ones never sent) and the body up to its cap. */
export interface CapturedRequest {
  headers: Array<[string, string]>;
  body: Buffer;
  truncated: boolean;
  /** size of the whole request body */
  bodySize: number;
}

export interface EgressEvent {
  pairId: string;
  service: string;
  variant: 'candidate' | 'secondary' | 'live';
  destination: string;
  method: string;
  path: string;
  decision: Decision;
  rule: string;
  unixMs: number;
  nodeId: string;
  /** TCP (network-filter role): 'tcp' | 'postgres' | 'redis'; absent for HTTP calls. */
  protocol?: string;
  /** TCP: absent for a connection decision; a protocol guard's statement class otherwise. */
  statementClass?: StatementClass;
  /** TCP: connections (1) or statements this event stands for. */
  count?: number;
  /** TCP: leading keyword / command of a blocked statement (never literal values). */
  sample?: string;
}

export type StatementClass = 'read' | 'write' | 'blocked-escape';

export interface FilterStats {
  halvesSent: number;
  halvesDropped: number;
  eventsSent: number;
  eventsDropped: number;
  reconnects: number;
  /** halves and events sent again after a reconnect (absent from filters older than delivery numbering) */
  resent?: number;
  /** halves and events the control plane acknowledged */
  acknowledged?: number;
}

// ---- configuration (schema/filter-config.schema.json, schema/policy.schema.json) ----

export interface RateLimit {
  requestsPerSecond: number;
  burst?: number;
}

export interface SamplingRule {
  host?: string;
  pathPrefix?: string;
  methods?: string[];
  percent: number;
}
export interface Sampling {
  defaultPercent?: number;
  rules?: SamplingRule[];
}

export interface EgressRule {
  name: string;
  host?: string;
  methods?: string[];
  path?: string;
  action: 'allow' | 'mock' | 'deny';
  rateLimit?: RateLimit;
  mock?: { status?: number; headers?: Record<string, string>; body?: string };
}
export interface Egress {
  defaultAction?: 'deny' | 'allow';
  rules?: EgressRule[];
}

export interface Capture {
  maxBodyBytes?: number;
  headers?: string[];
  redactHeaders?: string[];
  /** opt-in capture of the live request by the edge, shown in report examples */
  request?: { headers?: string[]; maxBodyBytes?: number };
}
export interface Idempotency {
  enabled?: boolean;
  header?: string;
}

/** Network-filter role: connection rules (schema/filter-config.schema.json#/properties/connections). */
export interface ConnectionRule {
  name: string;
  host?: string;
  sni?: string;
  cidr?: string;
  port?: number;
  action: 'allow' | 'deny' | 'readonly';
  protocol?: 'tcp' | 'postgres' | 'redis';
  requireReplica?: boolean;
  rateLimit?: { connectionsPerSecond?: number; statementsPerSecond?: number; burst?: number };
}
export interface Connections {
  defaultAction?: 'deny' | 'allow';
  rules?: ConnectionRule[];
}

/** The filter configuration document (static plugin config and ConfigSnapshot.config_json). */
export interface FilterConfig {
  role: Role;
  variant?: 'candidate' | 'secondary';
  service: string;
  trust?: 'boundary' | 'mesh';
  direction?: 'auto' | 'inbound' | 'outbound';
  controlPlane?: { cluster: string; authority?: string; token?: string; queueSize?: number; reconnectMaxMs?: number };
  sampling?: Sampling;
  egress?: Egress;
  connections?: Connections;
  inboundRateLimit?: RateLimit;
  capture?: Capture;
  idempotency?: Idempotency;
}

export interface NormalizeSpec {
  ignorePaths?: string[];
  ignoreHeaders?: string[];
  unorderedArrays?: string[];
  detectors?: { uuid?: boolean; timestamp?: boolean; token?: boolean };
  redactHeaders?: string[];
  redactPaths?: string[];
  /** noise marked for one endpoint ('POST /refunds/{id}'): reports of that endpoint ignore these too */
  ignoreByEndpoint?: Record<string, { ignorePaths?: string[]; ignoreHeaders?: string[] }>;
  /** values of JSON keys holding a secret name are redacted (default true) */
  redactSecretKeys?: boolean;
  /** secret names in addition to the defaults (token, password, session, cvv, …) */
  secretKeys?: string[];
}
export interface NoiseSpec {
  relativeThreshold?: number;
  absoluteThreshold?: number;
  suggestAbove?: number;
}
export interface AlertSpec {
  mismatchRate?: number;
  minPairs?: number;
  webhook?: string;
  /** hysteresis: an alerting endpoint recovers only below this rate (default 80 % of mismatchRate) */
  resolveBelow?: number;
  /** latency verdict: shadow p50 or p99 over live by more than this ratio fails (reports/latency-verdict.ts) */
  latencyRatio?: number;
  latencyMinPairs?: number;
  latencyMinDeltaMs?: number;
  /** body of webhook deliveries: 'standard' (our signed JSON event, default) or 'slack' ({text}) */
  webhookFormat?: 'standard' | 'slack';
}
export interface CapacitySpec {
  host: string;
  requestsPerSecond: number;
}

/** Limits of a mirror ramp (schema/policy.schema.json#/properties/ramp/properties/guards); absent = not checked. */
export interface RampGuards {
  minPairs?: number;
  shadowErrorRate?: number;
  mismatchRate?: number;
  egressDenied?: number;
  egressRateLimited?: number;
  latencyP99Ms?: number;
  filterDrops?: number;
  capacity?: boolean;
  /** per endpoint: shadow p50/p99 over live by more than this ratio breaks the guard */
  latencyRatio?: number;
  /** percent of the stage's pairs that must be on endpoints with enough evidence (mismatch, latency) */
  coverage?: number;
  /** per-guard minimum pairs overriding minPairs */
  minPairsFor?: Partial<Record<string, number>>;
}
/** A mirror ramp: sampling caps advanced stage by stage while the guards hold. */
export interface RampSpec {
  stages: number[];
  holdSeconds?: number | number[];
  evaluateEverySeconds?: number;
  onBreach?: 'pause' | 'revert';
  /** how long past its hold a stage waits for evidence before pausing as inconclusive */
  maxWaitSeconds?: number;
  guards?: RampGuards;
}

/** What an operator manages (schema/policy.schema.json). The name lives outside the document. */
export interface PolicySpec {
  description?: string;
  services: string[];
  sampling?: Sampling;
  egress?: Egress;
  connections?: Connections;
  inboundRateLimit?: RateLimit;
  capture?: Capture;
  idempotency?: Idempotency;
  secondary?: boolean;
  endpoints?: string[];
  normalize?: NormalizeSpec;
  noise?: NoiseSpec;
  alerts?: AlertSpec;
  capacity?: CapacitySpec[];
  ramp?: RampSpec;
}

export interface Policy {
  name: string;
  version: number; // increases by one on every change, rollback included
  spec: PolicySpec;
  updatedAt: string; // ISO 8601
  updatedBy: string;
}

// ---- engine output ----

export type DiffKind = 'value' | 'type' | 'missing' | 'extra' | 'order' | 'size' | 'status' | 'header';

/** One difference between two normalized responses; path has no array indices ('items.*.price'). */
export interface Difference {
  path: string; // 'status', 'headers.content-type', 'body.items.*.price', 'body' (non-JSON)
  kind: DiffKind;
  left?: unknown; // live (redacted, normalized)
  right?: unknown; // shadow
}

/** Result of comparing one complete pair. */
export interface PairResult {
  pairId: string;
  policy: string;
  endpoint: string; // 'GET /users/{id}'
  at: number; // unix ms when the pair completed
  candidate: Difference[]; // live vs candidate
  noise?: Difference[]; // live vs secondary (when a secondary exists)
  statusMismatch: boolean;
  latencyLiveUs: number;
  latencyShadowUs: number;
  /**
   * Set when the bodies were not compared and the statuses agree: the pair is neither a match nor a
   * mismatch (counted apart, never in a match rate, never raises or clears an alert). reason:
   * 'truncated' | 'decode-cap' | 'decode-failed' | 'too-deep' | 'too-costly' (compare/diff.ts).
   */
  notCompared?: { reason: string };
}
