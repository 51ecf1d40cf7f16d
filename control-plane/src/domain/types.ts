// The control plane's vocabulary: types only, no logic, no I/O. Every other module imports from here;
// this file imports only the contract schemas it derives from. Configuration types (FilterConfig,
// PolicySpec and their parts) are derived from schema/*.schema.json (via contract-schemas.gen.ts), so
// they cannot drift from what ajv and the filter check. The wire types (NodeHello, Half, EgressEvent,
// FilterStats) mirror proto/shadow/v1/shadow.proto as stream/codec.ts decodes it, and the engine
// output (Difference, PairResult) is internal: those are written here by hand.
import type { FromSchema } from 'json-schema-to-ts';
import type { filterConfigDocument, policyDocument } from './contract-schemas.gen.js';

export type Role = FilterConfig['role'];
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

// ---- configuration: derived from schema/filter-config.schema.json and schema/policy.schema.json ----

/**
 * ajv writes no defaults into a document (app.ts: useDefaults off) and the filter and policyConfig
 * apply them when they read it, so a property with a schema `default` stays optional here.
 */
type ContractOptions = { keepDefaultedPropertiesOptional: true; references: [typeof filterConfigDocument] };

/** The filter configuration document (static plugin config and ConfigSnapshot.config_json). */
export type FilterConfig = FromSchema<typeof filterConfigDocument, ContractOptions>;
/** What an operator manages (schema/policy.schema.json). The name lives outside the document. */
export type PolicySpec = FromSchema<typeof policyDocument, ContractOptions>;

export type RateLimit = NonNullable<FilterConfig['inboundRateLimit']>;
export type Sampling = NonNullable<FilterConfig['sampling']>;
export type SamplingRule = NonNullable<Sampling['rules']>[number];
export type Egress = NonNullable<FilterConfig['egress']>;
export type EgressRule = NonNullable<Egress['rules']>[number];
/** Network-filter role: connection rules. */
export type Connections = NonNullable<FilterConfig['connections']>;
export type ConnectionRule = NonNullable<Connections['rules']>[number];
export type Capture = NonNullable<FilterConfig['capture']>;
export type Idempotency = NonNullable<FilterConfig['idempotency']>;

export type NormalizeSpec = NonNullable<PolicySpec['normalize']>;
export type NoiseSpec = NonNullable<PolicySpec['noise']>;
export type AlertSpec = NonNullable<PolicySpec['alerts']>;
export type CapacitySpec = NonNullable<PolicySpec['capacity']>[number];
/** A mirror ramp: sampling caps advanced stage by stage while the guards hold. */
export type RampSpec = NonNullable<PolicySpec['ramp']>;
/** Limits of a mirror ramp; absent = not checked. */
export type RampGuards = NonNullable<RampSpec['guards']>;

/** A stored policy version (store/); the API's answer adds nothing but `warnings` on writes. */
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
