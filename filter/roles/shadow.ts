// role=shadow: the shadow workload's own sidecar knows it is a shadow, whatever headers arrive.
// Inbound: enforce the shadow rate limit (429 beyond it), tag (x-shadow, baggage shadow=<variant>,
// filter state shadowguard.shadow) and capture the shadow half. Outbound: every call is shadow
// egress. An unknown direction is treated as outbound: failing closed is the rule for shadows.
import { HttpContext } from "../context";
import { REQUEST_HEADERS, CONTINUE, PAUSE, OK } from "../abi";
import { DIR_INBOUND } from "../config/parse";
import { replaceHeader, setProperty, sendLocalResponse, nowNanos, log, LOG_WARN } from "../host";
import { metrics, inc } from "../metrics";
import { take } from "../ratelimit";
import { serializePairs } from "../pairs";
import { pathOnly, queryOf } from "../egress";
import { Capture } from "../capture";
import { H_SHADOW, H_BAGGAGE, FILTER_STATE_KEY, baggageWithShadow, joinedBaggage } from "../tagging";
import { K_AUTHORITY, K_BAGGAGE, K_PAIR, K_PATH, K_REQUEST_ID, reqHas, reqMethod, reqStr } from "../request-headers";
import { enforceEgress } from "./outbound";

const JSON_HEADERS = serializePairs(["content-type"], ["application/json"]);

export function shadowRequestHeaders(ctx: HttpContext): i32 {
  const dir = ctx.direction();
  if (dir != DIR_INBOUND) {
    if (dir == 0 && !ctx.root.warnedDirection) {
      ctx.root.warnedDirection = true;
      log(LOG_WARN, "shadowguard: shadow role: listener direction unknown (no xds.listener_direction, direction=auto); treating traffic as outbound egress");
    }
    return enforceEgress(ctx);
  }
  return inbound(ctx);
}

function inbound(ctx: HttpContext): i32 {
  const cfg = ctx.cfg;
  const rl = cfg.inboundRateLimit;
  if (rl !== null && !take(rl, nowNanos())) {
    inc(metrics.shadowRateLimited);
    sendLocalResponse(429, "shadowguard_shadow_rate_limited",
      String.UTF8.encode("{\"error\":\"shadow rate limit exceeded\"}"), JSON_HEADERS);
    return PAUSE;
  }
  const variant = cfg.variantName;
  inc(metrics.shadowRequests);
  if (replaceHeader(REQUEST_HEADERS, H_SHADOW, variant) != OK) inc(metrics.hostErrors);
  const bag = reqHas(K_BAGGAGE) ? joinedBaggage() : "";
  replaceHeader(REQUEST_HEADERS, H_BAGGAGE, baggageWithShadow(bag, variant));
  if (setProperty(FILTER_STATE_KEY, variant) != OK) inc(metrics.hostErrors);
  if (cfg.controlPlane === null) return CONTINUE;
  const rid = reqStr(K_REQUEST_ID);
  const pair = reqStr(K_PAIR);
  const path = reqStr(K_PATH);
  const c = Capture.take(cfg.captureMaxBody);
  c.side = cfg.variant;
  // A mirrored request carries the edge's x-shadow-pair; without it, the request id (the mirror
  // keeps x-request-id) is the best pairing key we have.
  c.pairId = pair.length > 0 ? pair : rid;
  c.requestId = rid;
  c.method = reqMethod();
  c.host = reqStr(K_AUTHORITY);
  c.path = pathOnly(path);
  c.query = queryOf(path);
  c.startNs = nowNanos();
  ctx.capture = c;
  return CONTINUE;
}
