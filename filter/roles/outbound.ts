// Shadow egress enforcement for one outbound call: match the allowlist, act (allow, optionally
// rate-limited; mock; deny), report an EgressEvent, count. Used by the shadow role on outbound
// listeners and by live/edge(mesh) for calls that still carry a shadow tag. Fails closed: anything
// that cannot be decided is denied.
// Per call: three header reads (x-shadow only when an allowed call may need tagging), the decision,
// one counter and the reply. Reply bodies and headers were encoded with the configuration
// (compileEgress); the event is built only when a control plane is configured (otherwise nobody
// would receive it: the counters say it all).
import { HttpContext } from "../context";
import { K_AUTHORITY, K_PAIR, K_SHADOW, reqHas, reqMethod, reqPathOnly, reqStr } from "../request-headers";
import { ACT_ALLOW, ACT_MOCK, EgressRule, RateLimit, ROLE_SHADOW, denyBody } from "../config/parse";
import { matchRule, DEFAULT_RULE } from "../egress";
import { canonicalPath } from "../path";
import { lowerHost, stripPort } from "../glob";
import { take } from "../ratelimit";
import { nowNanos, replaceHeader, sendLocalReply } from "../host";
import { serializePairs } from "../pairs";
import { CONTINUE, PAUSE, REQUEST_HEADERS } from "../abi";
import { metrics, inc, incEgressDecision } from "../metrics";
import { H_SHADOW } from "../tagging";
import { EgressEvent, DECISION_ALLOWED, DECISION_DENIED, DECISION_MOCKED, DECISION_RATE_LIMITED } from "../stream/messages";
import { FilterMessage } from "../stream/messages";
import { KIND_EVENT } from "../stream/queue";

const JSON_HEADERS = serializePairs(["content-type"], ["application/json"]);
const DENY_DEFAULT = String.UTF8.encode(denyBody("default"));
const DENY_UNCONFIGURED = String.UTF8.encode(denyBody("unconfigured"));
const DENY_UNCANONICAL = String.UTF8.encode(denyBody("uncanonical-path"));
const D_DENIED = String.UTF8.encode("shadowguard_egress_denied");
const D_MOCKED = String.UTF8.encode("shadowguard_egress_mocked");
const D_RATE_LIMITED = String.UTF8.encode("shadowguard_egress_rate_limited");

export function enforceEgress(ctx: HttpContext): i32 {
  const cfg = ctx.cfg;
  const s = ctx.root.stream;
  const h = reqStr(K_AUTHORITY);
  const m = reqMethod();
  const p = reqPathOnly();
  const pair = s !== null ? reqStr(K_PAIR) : "";
  const hl = lowerHost(h);
  // Rules see the path the upstream will serve; the event reports the path as called. A path with
  // no safe canonical form (path.ts) is denied before any rule: no rule can be trusted to match it.
  const cp = canonicalPath(p);
  const idx = cp === null ? DEFAULT_RULE : matchRule(cfg, hl, stripPort(hl), m, cp);
  let rule: EgressRule | null = idx == DEFAULT_RULE ? null : unchecked(cfg.egressRules[idx]);
  const name = cp === null ? "uncanonical-path" : rule === null ? "default" : rule.name;
  const action = cp === null ? -1 : rule === null ? (cfg.egressDefaultAllow ? ACT_ALLOW : -1) : rule.action;
  let decision: i32 = DECISION_DENIED;
  let verdict = PAUSE;
  if (action == ACT_ALLOW) {
    let rl: RateLimit | null = null;
    if (rule !== null) rl = rule.rateLimit;
    if (rule !== null && rl !== null && !take(rl, nowNanos())) {
      decision = DECISION_RATE_LIMITED;
      inc(metrics.egressRateLimited);
      sendLocalReply(429, D_RATE_LIMITED, rule.limitedReply, JSON_HEADERS);
    } else {
      decision = DECISION_ALLOWED;
      inc(metrics.egressAllowed);
      verdict = CONTINUE;
      // A shadow's own sidecar knows every call it makes is shadow traffic: tag calls the app did
      // not tag, so the next hop (a live-role filter) still recognises them.
      if (cfg.role == ROLE_SHADOW && !reqHas(K_SHADOW)) replaceHeader(REQUEST_HEADERS, H_SHADOW, cfg.variantName);
    }
  } else if (action == ACT_MOCK && rule !== null) {
    decision = DECISION_MOCKED;
    inc(metrics.egressMocked);
    sendLocalReply(rule.mockStatus, D_MOCKED, rule.mockReply, rule.mockPairs);
  } else {
    decision = DECISION_DENIED;
    inc(metrics.egressDenied);
    sendLocalReply(403, D_DENIED, cp === null ? DENY_UNCANONICAL : rule === null ? DENY_DEFAULT : rule.denyReply, JSON_HEADERS);
  }
  incEgressDecision(decision, name);
  if (s !== null) {
    const ev = new EgressEvent();
    ev.pairId = pair;
    ev.service = cfg.service;
    ev.variant = cfg.variant;
    ev.destination = h;
    ev.method = m;
    ev.path = p;
    ev.decision = decision;
    ev.rule = name;
    ev.unixMs = nowNanos() / 1000000;
    ev.nodeId = ctx.root.nodeId;
    const fm = new FilterMessage();
    fm.egress = ev;
    s.report(KIND_EVENT, fm);
  }
  return verdict;
}

// Fail-safe mode (empty configuration): deny an outbound call without consulting rules.
export function denyUnconfigured(): i32 {
  inc(metrics.egressDenied);
  incEgressDecision(DECISION_DENIED, "unconfigured");
  sendLocalReply(403, D_DENIED, DENY_UNCONFIGURED, JSON_HEADERS);
  return PAUSE;
}
