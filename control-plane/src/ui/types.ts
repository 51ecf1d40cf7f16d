// What the dashboard reads from the API (the subset it uses). The server's schemas are the source of
// truth (control-plane/src/api/schemas, reports/aggregate.ts, reports/blast-radius.ts, nodes/registry.ts).

export interface Policy {
  name: string;
  version: number;
  spec: PolicySpec;
  updatedAt: string;
  updatedBy: string;
}
export interface PolicySpec {
  description?: string;
  services: string[];
  sampling?: {
    defaultPercent?: number;
    rules?: Array<{ host?: string; pathPrefix?: string; methods?: string[]; percent: number }>;
  };
  normalize?: { ignorePaths?: string[]; ignoreHeaders?: string[] };
  capacity?: Array<{ host: string; requestsPerSecond: number }>;
  [k: string]: unknown;
}
export interface Change {
  path: string;
  op: 'added' | 'removed' | 'changed';
}
export interface AuditEntry {
  id: number;
  at: string;
  who: string;
  action: string;
  policy: string;
  fromVersion: number | null;
  toVersion: number;
  changes: Change[];
}
export interface History {
  name: string;
  version: number;
  deleted: boolean;
  versions: Array<{
    version: number;
    deleted: boolean;
    createdAt: string;
    createdBy: string;
    spec?: PolicySpec;
    changes: Change[];
  }>;
  audit: AuditEntry[];
}

export interface NodeStatus {
  key: string;
  nodeId: string;
  plugin: string;
  workload: string;
  service: string;
  role: string;
  variant?: string;
  worker: number;
  filterVersion: string;
  connected: boolean;
  lastSeen: string;
  config: { sent?: string; acked?: string; nacked?: { version: string; reason: string }; respondedAt?: string };
  halvesReceived: number;
  eventsReceived: number;
  dropsReported: number;
}

export type Verdict = 'regression' | 'noise' | 'likely-noise' | 'ignored';
export interface Latency {
  p50Us: number;
  p99Us: number;
}
export interface EndpointReport {
  policy: string;
  endpoint: string;
  pairs: number;
  matching: number;
  matchRate: number;
  mismatchRate: number;
  statusMismatches: number;
  regressionFields: number;
  noiseFields: number;
  likelyNoiseFields: number;
  ignoredFields?: number;
  verdict: 'passing' | 'critical' | 'inconclusive';
  hasSecondary: boolean;
  bodiesNotCompared: number;
  latency: { live: Latency; shadow: Latency; deltaP50Us: number; deltaP99Us: number };
  alerting: boolean;
  firstAt: string;
  lastAt: string;
}
export interface FieldExample {
  pairId: string;
  at: string;
  kind: string;
  live?: unknown;
  shadow?: unknown;
}
export interface FieldReport {
  path: string;
  count: number;
  raw: number;
  noise: number;
  verdict: Verdict;
  kinds: Array<{ kind: string; raw: number; noise: number; verdict: Verdict; absolute: number; relative: number }>;
  examples: FieldExample[];
}
export interface ExampleSide {
  status: number;
  headers: Array<[string, string]>;
  bodyKind: string;
  body: unknown;
  raw?: unknown;
  note?: string;
  truncated: boolean;
  latencyUs: number;
}
export interface PairExample {
  pairId: string;
  endpoint: string;
  at: string;
  /** the request as live received it (query values of secret-looking names redacted; headers and body
   *  only when the policy captures them, redacted like responses) */
  request?: {
    method: string;
    path: string;
    query: string;
    headers?: Array<[string, string]>;
    bodyKind?: string;
    body?: unknown;
    truncated?: boolean;
    bodySize?: number;
  };
  live: ExampleSide;
  candidate: ExampleSide;
  secondary?: ExampleSide;
}
export interface EndpointDetail extends EndpointReport {
  fields: FieldReport[];
  suggestions: Array<{ path: string; detector: string; count: number; share: number; enabled: boolean; hint: string }>;
  samples: PairExample[];
}

export type Decision = 'allowed' | 'mocked' | 'denied' | 'rate_limited';
export interface DestinationBlast {
  destination: string;
  total: number;
  decisions: Record<Decision, number>;
  rate: number;
  allowedRate: number;
  /** events per shadow variant (candidate, secondary): each copy makes its own calls */
  variants?: Record<string, number>;
  peakAllowedPerSecond: number;
  /** allowed events/s at the 5-s peak: what the capacity flag compares */
  peakAllowedRate?: number;
  capacity?: number;
  capacityRule?: string;
  flagged: boolean;
  lastAt: string;
  routes: Array<{ route: string; total: number; decisions: Record<Decision, number> }>;
}
export interface BlastMap {
  windowS: number;
  at: string;
  flagged: number;
  services: Array<{ service: string; total: number; destinations: DestinationBlast[] }>;
}

export interface Alert {
  id: number;
  at: string;
  policy: string;
  endpoint: string;
  rate: number;
  pairs: number;
  message: string;
  state?: 'open' | 'acknowledged' | 'resolved';
  stateBy?: string | null;
  stateAt?: string | null;
}
