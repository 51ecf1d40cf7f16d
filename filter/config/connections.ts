// The `connections` section (schema/filter-config.schema.json): ordered connection rules for the
// network-filter role, first match wins, default deny. A rule matches the destination by host
// (Istio outbound cluster FQDN or cluster name), IPv4 CIDR / exact IP, port and TLS SNI, and acts:
// allow (optionally rate-limited), deny, or readonly with a protocol guard (postgres | redis).
// Parsed here, beside the HTTP sections, so one document and one parser configure both roles.
import * as D from "../../build/config/defaults";
import { JsonValue, J_OBJ } from "../json";
import { Checker, PAT_RULE_NAME } from "./check";
import { HostPattern } from "../glob";
import { RateLimit } from "./model";

export const CONN_ALLOW: i32 = 0;
export const CONN_DENY: i32 = 1;
export const CONN_READONLY: i32 = 2;

export const PROTO_TCP: i32 = 0;
export const PROTO_POSTGRES: i32 = 1;
export const PROTO_REDIS: i32 = 2;
export const PROTOCOLS = ["tcp", "postgres", "redis"];

export class ConnRule {
  name: string = "";
  host: HostPattern | null = null;
  sni: HostPattern | null = null;
  port: i32 = -1;          // -1: any
  net: u32 = 0;            // IPv4 network (host order) when hasCidr
  mask: u32 = 0;
  hasCidr: bool = false;
  ipExact: string = "";    // a non-IPv4 address, compared as text
  action: i32 = CONN_DENY;
  protocol: i32 = D.CONNECTIONS_RULE_PROTOCOL; // PROTO_* are the indexes of PROTOCOLS, the schema's enum
  requireReplica: bool = D.CONNECTIONS_RULE_REQUIRE_REPLICA;
  connLimit: RateLimit | null = null;   // new connections per second
  stmtLimit: RateLimit | null = null;   // statements per second (readonly guards)
}

export class Connections {
  defaultAllow: bool = D.CONNECTIONS_DEFAULT_ACTION == 1; // [deny, allow]
  rules: Array<ConnRule> = [];
  // Which connection properties some rule reads (each property read is a host call).
  needsCluster: bool = false;  // Envoy sets cluster_name only once tcp_proxy picked it
  needsAddress: bool = false;
  needsPort: bool = false;
  needsSni: bool = false;
  needsIpText: bool = false;   // some rule names an exact (IPv6) address, compared as text
  // The rules as flat arrays (compileConnections): the decision loop touches no objects for port/CIDR.
  ports: StaticArray<i32> = new StaticArray<i32>(0);
  nets: StaticArray<u32> = new StaticArray<u32>(0);
  masks: StaticArray<u32> = new StaticArray<u32>(0);
  flags: StaticArray<i32> = new StaticArray<i32>(0);
}

export const F_CIDR: i32 = 1;
export const F_SLOW: i32 = 2; // exact IPv6, SNI or host: matched on the rule object

function compileConnections(c: Connections): void {
  const n = c.rules.length;
  c.ports = new StaticArray<i32>(n);
  c.nets = new StaticArray<u32>(n);
  c.masks = new StaticArray<u32>(n);
  c.flags = new StaticArray<i32>(n);
  for (let i = 0; i < n; i++) {
    const r = unchecked(c.rules[i]);
    unchecked(c.ports[i] = r.port);
    unchecked(c.nets[i] = r.net);
    unchecked(c.masks[i] = r.mask);
    unchecked(c.flags[i] = (r.hasCidr ? F_CIDR : 0) | (r.ipExact.length > 0 || r.sni !== null || r.host !== null ? F_SLOW : 0));
  }
}

// "a.b.c.d" → host-order u32; -1 when not a dotted IPv4 address.
export function parseIPv4(s: string, from: i32, to: i32): i64 {
  return parseIPv4At(changetype<usize>(s), 1, from, to);
}

// The same over memory: UTF-8 bytes (shift 0) or UTF-16 units (shift 1) at p, units [from, to).
export function parseIPv4At(p: usize, shift: usize, from: i32, to: i32): i64 {
  let v: u32 = 0, part: i32 = -1, parts = 0;
  for (let i = from; i < to; i++) {
    const ch = shift == 0 ? <i32>load<u8>(p + <usize>i) : <i32>load<u16>(p + (<usize>i << 1));
    if (ch == 0x2e) {
      if (part < 0) return -1;
      v = (v << 8) | <u32>part; part = -1; parts++;
    } else if (ch >= 0x30 && ch <= 0x39) {
      part = part < 0 ? ch - 0x30 : part * 10 + ch - 0x30;
      if (part > 255) return -1;
    } else return -1;
  }
  if (part < 0 || parts != 3) return -1;
  return <i64>((v << 8) | <u32>part);
}

export function parseConnections(v: JsonValue, c: Checker): Connections | null {
  const P = "connections";
  if (!c.isType(v, J_OBJ, P) || !c.onlyKeys(v, ["defaultAction", "rules"], P)) return null;
  const out = new Connections();
  const da = v.get("defaultAction");
  if (da !== null) { const i = c.oneOf(da, P + ".defaultAction", ["deny", "allow"]); if (i < 0) return null; out.defaultAllow = i == 1; }
  const rv = v.get("rules");
  if (rv === null) return out;
  const items = c.array(rv, P + ".rules", 1000);
  if (items === null) return null;
  for (let i = 0; i < items.length; i++) {
    const r = rule(unchecked(items[i]), c, P + ".rules[" + i.toString() + "]");
    if (r === null) return null;
    if (r.host !== null) out.needsCluster = true;
    if (r.hasCidr || r.ipExact.length > 0) out.needsAddress = true;
    if (r.ipExact.length > 0) out.needsIpText = true;
    if (r.port >= 0) out.needsPort = true;
    if (r.sni !== null) out.needsSni = true;
    out.rules.push(r);
  }
  compileConnections(out);
  return out;
}

function rule(it: JsonValue, c: Checker, p: string): ConnRule | null {
  if (!c.isType(it, J_OBJ, p) || !c.onlyKeys(it, ["name", "host", "sni", "cidr", "port", "action", "protocol", "requireReplica", "rateLimit"], p)) return null;
  const r = new ConnRule();
  const nm = c.required(it, "name", p);
  if (nm === null) return null;
  const name = c.str(nm, p + ".name", 1, 128);
  if (name === null || !c.pattern(name, PAT_RULE_NAME, p + ".name")) return null;
  r.name = name;
  let f = it.get("host");
  if (f !== null) { const s = c.str(f, p + ".host", 1, 253); if (s === null) return null; r.host = new HostPattern(s); }
  f = it.get("sni");
  if (f !== null) { const s = c.str(f, p + ".sni", 1, 253); if (s === null) return null; r.sni = new HostPattern(s); }
  f = it.get("port");
  if (f !== null) { r.port = <i32>c.int(f, p + ".port", 1, 65535); if (!c.ok) return null; }
  f = it.get("cidr");
  if (f !== null && !cidr(f, c, p + ".cidr", r)) return null;
  const ac = c.required(it, "action", p);
  if (ac === null) return null;
  r.action = c.oneOf(ac, p + ".action", ["allow", "deny", "readonly"]);
  if (r.action < 0) return null;
  f = it.get("protocol");
  if (f !== null) { r.protocol = c.oneOf(f, p + ".protocol", PROTOCOLS); if (r.protocol < 0) return null; }
  if (r.action == CONN_READONLY && r.protocol == PROTO_TCP) { c.fail(p + ".protocol", "readonly needs a protocol guard: postgres or redis"); return null; }
  f = it.get("requireReplica");
  if (f !== null) {
    r.requireReplica = c.bool(f, p + ".requireReplica");
    if (!c.ok) return null;
    if (r.requireReplica && r.protocol != PROTO_POSTGRES) { c.fail(p + ".requireReplica", "only for protocol postgres"); return null; }
  }
  f = it.get("rateLimit");
  if (f !== null && !limits(f, c, p + ".rateLimit", r)) return null;
  return r;
}

function cidr(v: JsonValue, c: Checker, p: string, r: ConnRule): bool {
  const s = c.str(v, p, 1, 64);
  if (s === null) return false;
  const slash = s.indexOf("/");
  const end = slash < 0 ? s.length : slash;
  const ip = parseIPv4(s, 0, end);
  if (ip < 0) {
    if (slash >= 0 || s.indexOf(":") < 0 || !ipv6Chars(s)) return c.fail(p, "must be an IPv4 address or CIDR, or an exact IPv6 address");
    r.ipExact = s.toLowerCase();
    return true;
  }
  let bits: i32 = 32;
  if (slash >= 0) {
    bits = 0;
    if (slash + 1 >= s.length || s.length - slash > 3) return c.fail(p, "prefix length must be 0..32");
    for (let i = slash + 1; i < s.length; i++) {
      const ch = s.charCodeAt(i);
      if (ch < 0x30 || ch > 0x39) return c.fail(p, "prefix length must be 0..32");
      bits = bits * 10 + ch - 0x30;
    }
    if (bits > 32) return c.fail(p, "prefix length must be 0..32");
  }
  r.mask = bits == 0 ? 0 : (<u32>0xffffffff) << <u32>(32 - bits);
  r.net = <u32>ip & r.mask;
  r.hasCidr = true;
  return true;
}

function ipv6Chars(s: string): bool {
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    const hex = (ch >= 0x30 && ch <= 0x39) || (ch >= 0x41 && ch <= 0x46) || (ch >= 0x61 && ch <= 0x66);
    if (!hex && ch != 0x3a && ch != 0x2e) return false;
  }
  return true;
}

function limits(v: JsonValue, c: Checker, p: string, r: ConnRule): bool {
  if (!c.isType(v, J_OBJ, p) || !c.onlyKeys(v, ["connectionsPerSecond", "statementsPerSecond", "burst"], p)) return false;
  const b = v.get("burst");
  let burst: f64 = 0;
  if (b !== null) { burst = c.int(b, p + ".burst", 1, 1000000); if (!c.ok) return false; }
  const cps = v.get("connectionsPerSecond");
  if (cps !== null) { r.connLimit = bucket(c.num(cps, p + ".connectionsPerSecond", 0, 1000000, true), burst); if (!c.ok) return false; }
  const sps = v.get("statementsPerSecond");
  if (sps !== null) {
    if (r.action != CONN_READONLY) return c.fail(p + ".statementsPerSecond", "needs action readonly (statements are counted by a protocol guard)");
    r.stmtLimit = bucket(c.num(sps, p + ".statementsPerSecond", 0, 1000000, true), burst);
    if (!c.ok) return false;
  }
  return true;
}

function bucket(rps: f64, burst: f64): RateLimit {
  const rl = new RateLimit();
  rl.rps = rps;
  rl.burst = burst > 0 ? burst : Math.max(1, rps);
  return rl;
}

// Shared-data keys of the buckets (one per rule and kind, shared by the proxy's worker VMs).
export function keyConnectionLimits(conns: Connections, service: string): void {
  for (let i = 0; i < conns.rules.length; i++) {
    const r = unchecked(conns.rules[i]);
    const base = "shadowguard.rl.conn." + service + "." + r.name;
    const cl = r.connLimit;
    if (cl !== null) cl.key = String.UTF8.encode(base + ".connections");
    const sl = r.stmtLimit;
    if (sl !== null) sl.key = String.UTF8.encode(base + ".statements");
  }
}
