// The control plane's vocabulary: types only, no logic, no I/O. Every other module imports from here;
// this file imports only domain/config.ts. The configuration types (FilterConfig, PolicySpec and their
// parts) are derived from schema/*.schema.json there and re-exported here. Written by hand: the wire
// types (NodeHello, Half, EgressEvent, FilterStats), which mirror proto/shadow/v1/shadow.proto as
// stream/codec.ts decodes it, and the engine's output (Difference, PairResult), which is no API shape.
import type { FilterConfig, PolicySpec } from './config.js';

export type * from './config.js';

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
