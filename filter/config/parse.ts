// The filter configuration: parse + validate one JSON document (schema/filter-config.schema.json)
// into a read-only Config. Validation mirrors the schema exactly (types, enums, ranges, required,
// additionalProperties:false) and reports the first error naming the field, e.g.
// "sampling.rules[0].percent: must be <= 100". Defaults are the schema's defaults.
import { JsonParser, JsonValue, J_OBJ } from "../json";
import { Checker, join, PAT_HEADER, PAT_METHOD, PAT_RULE_NAME, PAT_SERVICE, PAT_SLASH } from "./check";
import { hasWildcard, HostPattern, PathPattern } from "../glob";
import { parseConnections, keyConnectionLimits } from "./connections";
import { compileEgress, Config, ControlPlane, EgressRule, MethodSet, RateLimit, SamplingRule, ROLE_SHADOW, SIDE_CANDIDATE, SIDE_SECONDARY, ROLES, VARIANTS, ALWAYS_REDACTED } from "./model";

export * from "./model";
export * from "./connections";

export class ParseResult {
  config: Config | null = null;
  error: string = "";
}

export function parseConfig(text: string): ParseResult {
  const r = new ParseResult();
  const p = new JsonParser();
  const doc = p.parse(text);
  if (doc === null) { r.error = "invalid JSON: " + p.error; return r; }
  const c = new Checker();
  const cfg = build(doc, c);
  if (!c.ok || cfg === null) { r.error = c.error; return r; }
  keyRateLimits(cfg);
  keyConnectionLimits(cfg.connections, cfg.service);
  compileEgress(cfg);
  cfg.neverSamples = neverSamples(cfg);
  r.config = cfg;
  return r;
}

function neverSamples(cfg: Config): bool {
  if (cfg.samplingDefault > 0) return false;
  for (let i = 0; i < cfg.samplingRules.length; i++) if (unchecked(cfg.samplingRules[i]).percent > 0) return false;
  return true;
}

// Why a pushed document cannot apply to this filter ("" = it can).
export function identityConflict(stat: Config, pushed: Config): string {
  if (pushed.role != stat.role) return "role cannot change (static: " + stat.roleName + ", pushed: " + pushed.roleName + ")";
  if (pushed.service != stat.service) return "service cannot change (static: " + stat.service + ", pushed: " + pushed.service + ")";
  if (stat.role == ROLE_SHADOW && pushed.variant != stat.variant) return "variant cannot change (static: " + stat.variantName + ", pushed: " + pushed.variantName + ")";
  return "";
}

function build(doc: JsonValue, c: Checker): Config | null {
  if (!c.isType(doc, J_OBJ, "")) return null;
  if (!c.onlyKeys(doc, ["role", "variant", "service", "trust", "direction", "controlPlane", "sampling", "egress", "inboundRateLimit", "capture", "idempotency", "connections"], "")) return null;
  const cfg = new Config();
  const role = c.required(doc, "role", "");
  if (role === null) return null;
  const ri = c.oneOf(role, "role", ROLES);
  if (ri < 0) return null;
  cfg.role = ri + 1;
  cfg.roleName = ROLES[ri];
  const v = doc.get("variant");
  if (v !== null) {
    const vi = c.oneOf(v, "variant", VARIANTS);
    if (vi < 0) return null;
    cfg.variantName = VARIANTS[vi];
    cfg.variant = vi == 0 ? SIDE_CANDIDATE : SIDE_SECONDARY;
  } else if (cfg.role == ROLE_SHADOW) {
    c.fail("variant", "required when role is shadow");
    return null;
  }
  if (cfg.role != ROLE_SHADOW) { cfg.variant = 0; }
  const svc = c.required(doc, "service", "");
  if (svc === null) return null;
  const s = c.str(svc, "service", 1, 253);
  if (s === null || !c.pattern(s, PAT_SERVICE, "service")) return null;
  cfg.service = s;
  const t = doc.get("trust");
  if (t !== null) { const ti = c.oneOf(t, "trust", ["boundary", "mesh"]); if (ti < 0) return null; cfg.trustMesh = ti == 1; }
  const d = doc.get("direction");
  if (d !== null) { const di = c.oneOf(d, "direction", ["auto", "inbound", "outbound"]); if (di < 0) return null; cfg.direction = di; }
  const cp = doc.get("controlPlane");
  if (cp !== null && !controlPlane(cp, c, cfg)) return null;
  const sm = doc.get("sampling");
  if (sm !== null && !sampling(sm, c, cfg)) return null;
  const eg = doc.get("egress");
  if (eg !== null && !egress(eg, c, cfg)) return null;
  const rl = doc.get("inboundRateLimit");
  if (rl !== null) { cfg.inboundRateLimit = rateLimit(rl, c, "inboundRateLimit"); if (!c.ok) return null; }
  const cap = doc.get("capture");
  if (cap !== null && !capture(cap, c, cfg)) return null;
  const idem = doc.get("idempotency");
  if (idem !== null && !idempotency(idem, c, cfg)) return null;
  const conns = doc.get("connections");
  if (conns !== null) { const cs = parseConnections(conns, c); if (cs === null) return null; cfg.connections = cs; }
  return c.ok ? cfg : null;
}

function controlPlane(v: JsonValue, c: Checker, cfg: Config): bool {
  const P = "controlPlane";
  if (!c.isType(v, J_OBJ, P) || !c.onlyKeys(v, ["cluster", "authority", "token", "queueSize", "reconnectMaxMs"], P)) return false;
  const cp = new ControlPlane();
  const cl = c.required(v, "cluster", P);
  if (cl === null) return false;
  const cluster = c.str(cl, P + ".cluster", 1, 512);
  if (cluster === null) return false;
  cp.cluster = cluster;
  let f = v.get("authority");
  if (f !== null) { const a = c.str(f, P + ".authority", 0, 512); if (a === null) return false; cp.authority = a; }
  f = v.get("token");
  if (f !== null) { const tk = c.str(f, P + ".token", 0, 4096); if (tk === null) return false; cp.token = tk; }
  f = v.get("queueSize");
  if (f !== null) { const q = c.int(f, P + ".queueSize", 1, 65536); if (!c.ok) return false; cp.queueSize = <i32>q; }
  f = v.get("reconnectMaxMs");
  if (f !== null) { const m = c.int(f, P + ".reconnectMaxMs", 100, 600000); if (!c.ok) return false; cp.reconnectMaxMs = <i32>m; }
  cfg.controlPlane = cp;
  return true;
}

function methods(v: JsonValue | null, c: Checker, path: string): MethodSet | null {
  if (v === null) return null;
  const list = c.strings(v, path, 16, 0, 16, PAT_METHOD);
  return list === null ? null : new MethodSet(list);
}

function sampling(v: JsonValue, c: Checker, cfg: Config): bool {
  const P = "sampling";
  if (!c.isType(v, J_OBJ, P) || !c.onlyKeys(v, ["defaultPercent", "rules"], P)) return false;
  const dp = v.get("defaultPercent");
  if (dp !== null) { cfg.samplingDefault = c.num(dp, P + ".defaultPercent", 0, 100, false); if (!c.ok) return false; }
  const rv = v.get("rules");
  if (rv === null) return true;
  const items = c.array(rv, P + ".rules", 1000);
  if (items === null) return false;
  const rules = new Array<SamplingRule>();
  for (let i = 0; i < items.length; i++) {
    const p = P + ".rules[" + i.toString() + "]";
    const it = unchecked(items[i]);
    if (!c.isType(it, J_OBJ, p) || !c.onlyKeys(it, ["host", "pathPrefix", "methods", "percent"], p)) return false;
    const r = new SamplingRule();
    r.order = i;
    const h = it.get("host");
    if (h !== null) { const hs = c.str(h, p + ".host", 0, 253); if (hs === null) return false; r.host = new HostPattern(hs); r.hostExact = !hasWildcard(hs); }
    const pp = it.get("pathPrefix");
    if (pp !== null) { const ps = c.str(pp, p + ".pathPrefix", 0, 2048); if (ps === null || !c.pattern(ps, PAT_SLASH, p + ".pathPrefix")) return false; r.pathPrefix = ps; }
    r.methods = methods(it.get("methods"), c, p + ".methods");
    if (!c.ok) return false;
    const pc = c.required(it, "percent", p);
    if (pc === null) return false;
    r.percent = c.num(pc, p + ".percent", 0, 100, false);
    if (!c.ok) return false;
    rules.push(r);
  }
  // Most specific first (exact host > glob > any; longer prefix; methods listed); stable by order.
  rules.sort((a: SamplingRule, b: SamplingRule): i32 => {
    const d = specificity(b) - specificity(a);
    if (d != 0) return d > 0 ? 1 : -1;
    return a.order - b.order;
  });
  cfg.samplingRules = rules;
  return true;
}

function specificity(r: SamplingRule): f64 {
  const host: f64 = r.host === null ? 0 : (r.hostExact ? 2 : 1);
  const prefix: f64 = r.pathPrefix === null ? 0 : <f64>(r.pathPrefix as string).length + 1;
  const m: f64 = r.methods === null ? 0 : 1;
  return host * 1e7 + prefix * 10 + m;
}

function egress(v: JsonValue, c: Checker, cfg: Config): bool {
  const P = "egress";
  if (!c.isType(v, J_OBJ, P) || !c.onlyKeys(v, ["defaultAction", "rules"], P)) return false;
  const da = v.get("defaultAction");
  if (da !== null) { const i = c.oneOf(da, P + ".defaultAction", ["deny", "allow"]); if (i < 0) return false; cfg.egressDefaultAllow = i == 1; }
  const rv = v.get("rules");
  if (rv === null) return true;
  const items = c.array(rv, P + ".rules", 1000);
  if (items === null) return false;
  const rules = new Array<EgressRule>();
  for (let i = 0; i < items.length; i++) {
    const p = P + ".rules[" + i.toString() + "]";
    const it = unchecked(items[i]);
    if (!c.isType(it, J_OBJ, p) || !c.onlyKeys(it, ["name", "host", "methods", "path", "action", "rateLimit", "mock"], p)) return false;
    const r = new EgressRule();
    const nm = c.required(it, "name", p);
    if (nm === null) return false;
    const name = c.str(nm, p + ".name", 1, 128);
    if (name === null || !c.pattern(name, PAT_RULE_NAME, p + ".name")) return false;
    r.name = name;
    const h = it.get("host");
    if (h !== null) { const hs = c.str(h, p + ".host", 0, 253); if (hs === null) return false; r.host = new HostPattern(hs); }
    r.methods = methods(it.get("methods"), c, p + ".methods");
    if (!c.ok) return false;
    const pa = it.get("path");
    if (pa !== null) { const ps = c.str(pa, p + ".path", 0, 2048); if (ps === null || !c.pattern(ps, PAT_SLASH, p + ".path")) return false; r.path = new PathPattern(ps); }
    const ac = c.required(it, "action", p);
    if (ac === null) return false;
    const ai = c.oneOf(ac, p + ".action", ["allow", "mock", "deny"]);
    if (ai < 0) return false;
    r.action = ai;
    const rl = it.get("rateLimit");
    if (rl !== null) { r.rateLimit = rateLimit(rl, c, p + ".rateLimit"); if (!c.ok) return false; }
    const mk = it.get("mock");
    if (mk !== null && !mock(mk, c, p + ".mock", r)) return false;
    rules.push(r);
  }
  cfg.egressRules = rules;
  return true;
}

function mock(v: JsonValue, c: Checker, p: string, r: EgressRule): bool {
  if (!c.isType(v, J_OBJ, p) || !c.onlyKeys(v, ["status", "headers", "body"], p)) return false;
  const st = v.get("status");
  if (st !== null) { const s = c.int(st, p + ".status", 200, 599); if (!c.ok) return false; r.mockStatus = <u32>s; }
  const hs = v.get("headers");
  if (hs !== null) {
    if (!c.isType(hs, J_OBJ, p + ".headers")) return false;
    const ks = hs.keys as Array<string>;
    const vs = hs.values as Array<JsonValue>;
    if (ks.length > 64) return c.fail(p + ".headers", "more than 64 properties");
    for (let i = 0; i < ks.length; i++) {
      const val = c.str(unchecked(vs[i]), p + ".headers." + unchecked(ks[i]), 0, 8192);
      if (val === null) return false;
      r.mockHeaderKeys.push(unchecked(ks[i]).toLowerCase());
      r.mockHeaderValues.push(val);
    }
  }
  const b = v.get("body");
  if (b !== null) { const bs = c.str(b, p + ".body", 0, 65536); if (bs === null) return false; r.mockBody = bs; }
  return true;
}

function rateLimit(v: JsonValue, c: Checker, p: string): RateLimit | null {
  if (!c.isType(v, J_OBJ, p) || !c.onlyKeys(v, ["requestsPerSecond", "burst"], p)) return null;
  const r = new RateLimit();
  const rps = c.required(v, "requestsPerSecond", p);
  if (rps === null) return null;
  r.rps = c.num(rps, p + ".requestsPerSecond", 0, 1000000, true);
  if (!c.ok) return null;
  const b = v.get("burst");
  r.burst = b !== null ? c.int(b, p + ".burst", 1, 1000000) : Math.max(1, r.rps);
  return c.ok ? r : null;
}

function capture(v: JsonValue, c: Checker, cfg: Config): bool {
  const P = "capture";
  if (!c.isType(v, J_OBJ, P) || !c.onlyKeys(v, ["maxBodyBytes", "headers", "redactHeaders", "request"], P)) return false;
  const mb = v.get("maxBodyBytes");
  if (mb !== null) { const m = c.int(mb, P + ".maxBodyBytes", 0, 1048576); if (!c.ok) return false; cfg.captureMaxBody = <i32>m; }
  const hs = v.get("headers");
  if (hs !== null) { const a = c.strings(hs, P + ".headers", 64, 1, 256, 0); if (a === null) return false; cfg.captureHeaders = lowerAll(a); }
  const rh = v.get("redactHeaders");
  if (rh !== null) {
    const a = c.strings(rh, P + ".redactHeaders", 64, 1, 256, 0);
    if (a === null) return false;
    cfg.redactHeaders = ALWAYS_REDACTED.concat(lowerAll(a));
  }
  const rq = v.get("request");
  if (rq !== null) {
    const R = P + ".request";
    if (!c.isType(rq, J_OBJ, R) || !c.onlyKeys(rq, ["headers", "maxBodyBytes"], R)) return false;
    const rb = rq.get("maxBodyBytes");
    if (rb !== null) { const m = c.int(rb, R + ".maxBodyBytes", 0, 65536); if (!c.ok) return false; cfg.captureRequestMaxBody = <i32>m; }
    const rqh = rq.get("headers");
    if (rqh !== null) { const a = c.strings(rqh, R + ".headers", 64, 1, 256, 0); if (a === null) return false; cfg.captureRequestHeaders = lowerAll(a); }
  }
  return true;
}

function idempotency(v: JsonValue, c: Checker, cfg: Config): bool {
  const P = "idempotency";
  if (!c.isType(v, J_OBJ, P) || !c.onlyKeys(v, ["enabled", "header"], P)) return false;
  const en = v.get("enabled");
  if (en !== null) { cfg.idempotencyEnabled = c.bool(en, P + ".enabled"); if (!c.ok) return false; }
  const h = v.get("header");
  if (h !== null) { const s = c.str(h, P + ".header", 1, 256); if (s === null || !c.pattern(s, PAT_HEADER, P + ".header")) return false; cfg.idempotencyHeader = s; cfg.idempotencyKey = String.UTF8.encode(s); }
  return true;
}

function lowerAll(a: Array<string>): Array<string> {
  const out = new Array<string>(a.length);
  for (let i = 0; i < a.length; i++) unchecked(out[i] = unchecked(a[i]).toLowerCase());
  return out;
}


