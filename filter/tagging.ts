// Shadow markers: the x-shadow / x-shadow-pair headers and the `shadow` member of W3C baggage
// (https://www.w3.org/TR/baggage/: list-member = key OWS "=" OWS value *(";" property), members
// separated by ","). Pure string functions; the roles apply them to header maps.

import { K_BAGGAGE, K_PAIR, K_SHADOW, reqAll, reqHas } from "./request-headers";

export const H_SHADOW = "x-shadow";
export const H_PAIR = "x-shadow-pair";
export const H_BAGGAGE = "baggage";
export const H_REQUEST_ID = "x-request-id";
export const H_MOCKED = "x-shadowguard-mocked";
export const FILTER_STATE_KEY = "shadowguard.shadow";
export const BAGGAGE_KEY = "shadow";

function isOws(c: i32): bool { return c == 0x20 || c == 0x09; }

// The key of one list member, trimmed of optional whitespace.
function memberKey(m: string): string {
  let end = m.indexOf("=");
  if (end < 0) end = m.indexOf(";");
  if (end < 0) end = m.length;
  let a = 0, b = end;
  while (a < b && isOws(m.charCodeAt(a))) a++;
  while (b > a && isOws(m.charCodeAt(b - 1))) b--;
  return m.substring(a, b);
}

// True when the baggage list has a `shadow` member (any value).
export function baggageHasShadow(baggage: string): bool {
  if (baggage.indexOf(BAGGAGE_KEY) < 0) return false; // fast path: no allocation
  const parts = baggage.split(",");
  for (let i = 0; i < parts.length; i++) if (memberKey(unchecked(parts[i])) == BAGGAGE_KEY) return true;
  return false;
}

// Value of the `shadow` member, "" when absent.
export function baggageShadowValue(baggage: string): string {
  if (baggage.indexOf(BAGGAGE_KEY) < 0) return "";
  const parts = baggage.split(",");
  for (let i = 0; i < parts.length; i++) {
    const m = unchecked(parts[i]);
    if (memberKey(m) != BAGGAGE_KEY) continue;
    const eq = m.indexOf("=");
    if (eq < 0) return "";
    let end = m.indexOf(";", eq);
    if (end < 0) end = m.length;
    return m.substring(eq + 1, end).trim();
  }
  return "";
}

// The list without any `shadow` member; other members are kept byte for byte.
export function baggageWithoutShadow(baggage: string): string {
  if (baggage.indexOf(BAGGAGE_KEY) < 0) return baggage;
  const parts = baggage.split(",");
  const kept = new Array<string>();
  for (let i = 0; i < parts.length; i++) {
    const m = unchecked(parts[i]);
    if (memberKey(m) != BAGGAGE_KEY && m.trim().length > 0) kept.push(m);
  }
  if (kept.length == parts.length) return baggage;
  // Drop the leading whitespace the removed member's separator left behind.
  let out = kept.join(",");
  let a = 0;
  while (a < out.length && isOws(out.charCodeAt(a))) a++;
  return a > 0 ? out.substring(a) : out;
}

// The list with exactly one `shadow=<variant>` member, appended last.
export function baggageWithShadow(baggage: string, variant: string): string {
  const rest = baggageWithoutShadow(baggage).trim();
  const member = BAGGAGE_KEY + "=" + variant;
  return rest.length == 0 ? member : rest + "," + member;
}

// Which shadow markers the current request carries. Baggage may be repeated: every value counts.
export const M_SHADOW: i32 = 1;
export const M_PAIR: i32 = 2;
export const M_BAGGAGE: i32 = 4;
// What marks a request as shadow traffic: x-shadow or a baggage `shadow` member. x-shadow-pair alone
// does not: the edge sets it before the router copies the request, so the LIVE request carries the
// same pair id, and a live app that propagates it must not have its calls treated as shadow egress.
export const M_SHADOW_TRAFFIC: i32 = M_SHADOW | M_BAGGAGE;

export function requestMarkers(): i32 {
  let m = 0;
  if (reqHas(K_SHADOW)) m |= M_SHADOW;
  if (reqHas(K_PAIR)) m |= M_PAIR;
  if (reqHas(K_BAGGAGE) && baggageHasShadow(joinedBaggage())) m |= M_BAGGAGE;
  return m;
}

// All baggage header values as one list (W3C: repeated headers combine as one list).
export function joinedBaggage(): string {
  return reqAll(H_BAGGAGE).join(",");
}
