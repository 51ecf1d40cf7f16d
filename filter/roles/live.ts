// role=live (the plugin installed mesh-wide): untagged traffic costs one header-map read. A tagged
// request arriving inbound is marked in filter state (shadowguard.shadow, for access logs) and
// counted; a tagged call leaving on an outbound listener passes the egress allowlist.
// Also the fail-safe mode of an empty configuration (ROLE_NONE): see root.ts.
import { HttpContext } from "../context";
import { CONTINUE } from "../abi";
import { DIR_OUTBOUND } from "../config/parse";
import { setProperty } from "../host";
import { metrics, inc } from "../metrics";
import { FILTER_STATE_KEY, M_SHADOW, M_BAGGAGE, M_SHADOW_TRAFFIC, requestMarkers, joinedBaggage, baggageShadowValue } from "../tagging";
import { K_SHADOW, reqStr } from "../request-headers";
import { enforceEgress, denyUnconfigured } from "./outbound";

export function liveRequestHeaders(ctx: HttpContext): i32 {
  const marks = requestMarkers() & M_SHADOW_TRAFFIC;
  if (marks == 0) return CONTINUE;
  const dir = ctx.direction();
  if (dir == DIR_OUTBOUND) return enforceEgress(ctx);
  inc(metrics.requestsTagged);
  let value = "";
  if ((marks & M_SHADOW) != 0) value = reqStr(K_SHADOW);
  if (value.length == 0 && (marks & M_BAGGAGE) != 0) value = baggageShadowValue(joinedBaggage());
  if (value.length == 0 || value.length > 64) value = "tagged";
  setProperty(FILTER_STATE_KEY, value);
  return CONTINUE;
}

export function unconfiguredRequestHeaders(ctx: HttpContext): i32 {
  // Only an explicitly outbound listener: on an unknown direction this may be an ingress gateway, and
  // inbound live traffic is never blocked. Outbound, every call is denied, marked or not: without a
  // configuration the filter cannot tell a shadow's calls from a live one's, and a shadow app need not
  // propagate the markers.
  if (ctx.direction() == DIR_OUTBOUND) return denyUnconfigured();
  return CONTINUE;
}
