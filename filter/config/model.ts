// What a parsed configuration is: the read-only Config an HTTP context works from, its rules
// compiled for matching (host/path patterns, method bit sets), and the enumerations. Built only by
// parse.ts from a validated document. Defaults come from the JSON Schema's `default`s
// (scripts/gen-filter-defaults.ts writes them to build/config/defaults.ts before every build).
import * as D from "../../build/config/defaults";
import { HostPattern, PathPattern } from "../glob";
import { HostIndex } from "../host-index";
import { serializePairs, asciiEquals } from "../pairs";
import { H_MOCKED } from "../tagging";
import { Connections } from "./connections";

export const ROLE_NONE: i32 = 0; // empty plugin configuration: fail-safe mode (see root.ts)
export const ROLE_EDGE: i32 = 1;
export const ROLE_SHADOW: i32 = 2;
export const ROLE_LIVE: i32 = 3;

export const SIDE_LIVE: i32 = 1;
export const SIDE_CANDIDATE: i32 = 2;
export const SIDE_SECONDARY: i32 = 3;

export const DIR_AUTO: i32 = 0;
export const DIR_INBOUND: i32 = 1;
export const DIR_OUTBOUND: i32 = 2;

export const ACT_ALLOW: i32 = 0;
export const ACT_MOCK: i32 = 1;
export const ACT_DENY: i32 = 2;

export const ROLES = ["edge", "shadow", "live"];
export const VARIANTS = ["candidate", "secondary"];
export const ALWAYS_REDACTED = ["authorization", "cookie", "set-cookie", "proxy-authorization"];
const DEFAULT_CAPTURED = ["content-type", "content-encoding", "cache-control", "location"];

export class RateLimit {
  rps: f64 = 1;
  burst: f64 = 1;
  key: ArrayBuffer = new ArrayBuffer(0); // shared-data key of the bucket (set by keyRateLimits)
}

// Buckets are shared by every worker VM (shared data is per vm_id), keyed by what they limit.
export function keyRateLimits(cfg: Config): void {
  const ib = cfg.inboundRateLimit;
  if (ib !== null) ib.key = String.UTF8.encode("shadowguard.rl.inbound." + cfg.service);
  for (let i = 0; i < cfg.egressRules.length; i++) {
    const r = unchecked(cfg.egressRules[i]);
    const rl = r.rateLimit;
    if (rl !== null) rl.key = String.UTF8.encode("shadowguard.rl.egress." + cfg.service + "." + r.name);
  }
}

// What each rule answers, encoded once per configuration instead of once per request: the deny and
// rate-limited JSON bodies, the mock body and the mock's header pairs (x-shadowguard-mocked last);
// and the host index over the rules (host-index.ts).
export function compileEgress(cfg: Config): void {
  const rules = cfg.egressRules;
  const hosts = new Array<HostPattern | null>(rules.length);
  for (let i = 0; i < rules.length; i++) {
    const r = unchecked(rules[i]);
    unchecked(hosts[i] = r.host);
    r.denyReply = String.UTF8.encode(denyBody(r.name));
    if (r.rateLimit !== null) r.limitedReply = String.UTF8.encode(rateLimitedBody(r.name));
    if (r.action == ACT_MOCK) {
      r.mockReply = String.UTF8.encode(r.mockBody);
      const keys = r.mockHeaderKeys.slice(0);
      const values = r.mockHeaderValues.slice(0);
      keys.push(H_MOCKED);
      values.push(r.name);
      r.mockPairs = serializePairs(keys, values);
    }
  }
  cfg.egressIndex = new HostIndex(hosts);
}

// Rule names match ^[A-Za-z0-9._:-]+$ (or are "default"/"unconfigured"): no escaping needed.
export function denyBody(rule: string): string {
  return "{\"error\":\"shadow egress denied\",\"rule\":\"" + rule + "\"}";
}
export function rateLimitedBody(rule: string): string {
  return "{\"error\":\"shadow egress rate limited\",\"rule\":\"" + rule + "\"}";
}

export class ControlPlane {
  cluster: string = "";
  authority: string = "";
  token: string = "";
  queueSize: i32 = D.CONTROL_PLANE_QUEUE_SIZE;
  reconnectMaxMs: i32 = D.CONTROL_PLANE_RECONNECT_MAX_MS;
}

// HTTP methods as bits, so a rule's method check is one AND; other methods fall back to the list.
const KNOWN_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"];
export function methodBit(m: string): u32 {
  const n = m.length, c = n > 0 ? m.charCodeAt(0) : 0;
  for (let i = 0; i < KNOWN_METHODS.length; i++) {
    const k = unchecked(KNOWN_METHODS[i]); // length and first letter first: one full compare per call
    if (k.length == n && k.charCodeAt(0) == c && k == m) return <u32>1 << <u32>i;
  }
  return 0;
}

// The KNOWN_METHODS string whose ASCII is the n bytes at p (a request's :method, read in place), or
// null: a known method costs no string of its own.
export function knownMethod(p: usize, n: i32): string | null {
  for (let i = 0; i < KNOWN_METHODS.length; i++) {
    const k = unchecked(KNOWN_METHODS[i]);
    if (k.length == n && asciiEquals(p, k, n)) return k;
  }
  return null;
}

export class MethodSet {
  mask: u32 = 0;
  others: Array<string> = [];
  constructor(list: Array<string>) {
    for (let i = 0; i < list.length; i++) {
      const b = methodBit(unchecked(list[i]));
      if (b != 0) this.mask |= b; else this.others.push(unchecked(list[i]));
    }
  }
  // bit = methodBit(method), computed once per request.
  @inline has(method: string, bit: u32): bool {
    return bit != 0 ? (this.mask & bit) != 0 : this.others.includes(method);
  }
}

export class SamplingRule {
  host: HostPattern | null = null;
  hostExact: bool = false;
  pathPrefix: string | null = null;
  methods: MethodSet | null = null;
  percent: f64 = 0;
  order: i32 = 0;
}

export class EgressRule {
  name: string = "";
  host: HostPattern | null = null;
  methods: MethodSet | null = null;
  path: PathPattern | null = null;
  action: i32 = ACT_DENY;
  rateLimit: RateLimit | null = null;
  mockStatus: u32 = <u32>D.EGRESS_RULE_MOCK_STATUS;
  mockHeaderKeys: Array<string> = [];
  mockHeaderValues: Array<string> = [];
  mockBody: string = "";
  // Encoded by compileEgress.
  denyReply: ArrayBuffer = new ArrayBuffer(0);
  limitedReply: ArrayBuffer = new ArrayBuffer(0);
  mockReply: ArrayBuffer = new ArrayBuffer(0);
  mockPairs: ArrayBuffer = new ArrayBuffer(0);
}

export class Config {
  role: i32 = ROLE_NONE;
  roleName: string = "";
  variant: i32 = 0;                // Side value for shadows, 0 otherwise
  variantName: string = "";
  service: string = "";
  trustMesh: bool = D.TRUST == 1;   // enum indexes follow the schema: trust [boundary, mesh]
  direction: i32 = D.DIRECTION;    // DIR_* are the indexes of [auto, inbound, outbound]
  controlPlane: ControlPlane | null = null;
  samplingDefault: f64 = D.SAMPLING_DEFAULT_PERCENT;
  samplingRules: Array<SamplingRule> = [];  // most specific first
  egressDefaultAllow: bool = D.EGRESS_DEFAULT_ACTION == 1; // [deny, allow]
  egressRules: Array<EgressRule> = [];
  egressIndex: HostIndex = new HostIndex([]);
  inboundRateLimit: RateLimit | null = null;
  captureMaxBody: i32 = D.CAPTURE_MAX_BODY_BYTES;
  captureHeaders: Array<string> = DEFAULT_CAPTURED;
  // capture.request (edge only, opt-in): request headers kept and request body bytes kept (0 = none)
  captureRequestHeaders: Array<string> = D.CAPTURE_REQUEST_HEADERS;
  captureRequestMaxBody: i32 = D.CAPTURE_REQUEST_MAX_BODY_BYTES;
  redactHeaders: Array<string> = ALWAYS_REDACTED;
  idempotencyEnabled: bool = D.IDEMPOTENCY_ENABLED;
  idempotencyHeader: string = D.IDEMPOTENCY_HEADER;
  idempotencyKey: ArrayBuffer = String.UTF8.encode(D.IDEMPOTENCY_HEADER); // the header name, encoded once
  neverSamples: bool = true;       // no rule and no default can sample: the edge skips the decision
  connections: Connections = new Connections(); // network-filter role; empty = deny every connection

  // Pushed documents keep the static identity sections (the config identity rule, docs/architecture.md).
  adoptIdentity(from: Config): void {
    this.trustMesh = from.trustMesh;
    this.direction = from.direction;
    this.controlPlane = from.controlPlane;
  }
}
