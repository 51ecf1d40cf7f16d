// role=edge, on request headers. trust=boundary: strip markers clients may have forged.
// trust=mesh: a request already tagged is shadow traffic — never sampled again, and it passes the
// egress allowlist. Then the deterministic sampling decision; a sampled request gets
// x-shadow-pair (so the mirror route matches) and, on mutating methods, an idempotency key, and its
// live response is captured. An unsampled, unmarked request costs a few header lookups and a hash.
import { HttpContext } from "../context";
import { REQUEST_HEADERS, CONTINUE } from "../abi";
import { removeHeader, replaceHeader, addHeader, nowNanos, log, LOG_WARN } from "../host";
import { metrics, inc } from "../metrics";
import { bucketOf, percentFor, sampled } from "../sampling";
import { stripPort } from "../glob";
import { pathOnly, queryOf } from "../egress";
import { Capture } from "../capture";
import { SIDE_LIVE } from "../config/parse";
import { H_SHADOW, H_PAIR, H_BAGGAGE, M_SHADOW, M_PAIR, M_BAGGAGE, M_SHADOW_TRAFFIC, requestMarkers, joinedBaggage, baggageWithoutShadow } from "../tagging";
import { K_AUTHORITY, K_PATH, K_REQUEST_ID, reqFind, reqHas, reqMethod, reqStr, reqView, valueLen, valuePtr } from "../request-headers";
import { enforceEgress } from "./outbound";
import { newPairId } from "../pair-id";

// Longer ids are not plausible request ids; such requests are simply not sampled.
const MAX_REQUEST_ID: i32 = 256;

export function edgeRequestHeaders(ctx: HttpContext): i32 {
  const cfg = ctx.cfg;
  const marks = requestMarkers();
  if (cfg.trustMesh) {
    // Behind a workload of the mesh: shadow traffic is never sampled again and passes the allowlist.
    // A bare x-shadow-pair is a live request's correlation id (see M_SHADOW_TRAFFIC): sampled as usual.
    if ((marks & M_SHADOW_TRAFFIC) != 0) return enforceEgress(ctx);
  } else if (marks != 0) {
    // Boundary: nobody outside may forge markers.
    if ((marks & M_SHADOW) != 0) removeHeader(REQUEST_HEADERS, H_SHADOW);
    if ((marks & M_PAIR) != 0) removeHeader(REQUEST_HEADERS, H_PAIR);
    if ((marks & M_BAGGAGE) != 0) stripBaggage();
    inc(metrics.markersStripped);
  }
  if (cfg.neverSamples) return CONTINUE;
  if (!reqFind(K_REQUEST_ID)) return CONTINUE;
  const rid = valuePtr; // valid for this callback: no header changes before it is decoded
  const rl = valueLen;
  if (rl == 0 || rl > MAX_REQUEST_ID) return CONTINUE;
  let percent = cfg.samplingDefault;
  let host = "", path = "", method = "";
  if (cfg.samplingRules.length > 0) {
    host = reqStr(K_AUTHORITY);
    path = reqStr(K_PATH);
    method = reqMethod();
    const hl = host.toLowerCase();
    percent = percentFor(cfg, hl, stripPort(hl), pathOnly(path), method);
  }
  if (!sampled(bucketOf(rid, <usize>rl), percent)) return CONTINUE;
  if (cfg.samplingRules.length == 0) {
    host = reqStr(K_AUTHORITY);
    path = reqStr(K_PATH);
    method = reqMethod();
  }
  return onSampled(ctx, String.UTF8.decodeUnsafe(rid, <usize>rl), host, path, method);
}

function onSampled(ctx: HttpContext, requestId: string, host: string, path: string, method: string): i32 {
  const cfg = ctx.cfg;
  const id = newPairId(requestId);
  inc(metrics.requestsSampled);
  if (replaceHeader(REQUEST_HEADERS, H_PAIR, id) != 0) {
    inc(metrics.hostErrors);
    log(LOG_WARN, "shadowguard: context " + ctx.id.toString() + ": cannot set x-shadow-pair; request continues unmirrored");
    return CONTINUE;
  }
  if (cfg.idempotencyEnabled && isMutating(method) && !reqHas(cfg.idempotencyKey)) {
    // The mirror copies headers after this filter, so live and shadow carry the same key.
    addHeader(REQUEST_HEADERS, cfg.idempotencyHeader, id);
  }
  if (cfg.controlPlane === null) return CONTINUE; // nowhere to report: no capture
  const c = Capture.take(cfg.captureMaxBody);
  c.side = SIDE_LIVE;
  c.pairId = id;
  c.requestId = requestId;
  c.method = method;
  c.host = host;
  c.path = pathOnly(path);
  c.query = queryOf(path);
  c.startNs = nowNanos();
  if (cfg.captureRequestHeaders.length > 0 || cfg.captureRequestMaxBody > 0) {
    // Opt-in (capture.request): the kept headers of the map as it now is (x-shadow-pair included).
    c.onRequestHeaders(cfg, reqView());
  }
  ctx.capture = c;
  return CONTINUE;
}

function isMutating(m: string): bool {
  return m == "POST" || m == "PUT" || m == "PATCH" || m == "DELETE";
}

// Rewrites every baggage header into one list without the shadow member (or none if empty).
function stripBaggage(): void {
  const nb = baggageWithoutShadow(joinedBaggage());
  if (nb.trim().length == 0) removeHeader(REQUEST_HEADERS, H_BAGGAGE);
  else replaceHeader(REQUEST_HEADERS, H_BAGGAGE, nb);
}
