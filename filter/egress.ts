// The shadow egress decision: ordered rules, the first match decides; no match → default action.
// Pure: host (":authority"), method and path (no query) in, the matching rule index out.
import { Config, EgressRule, methodBit } from "./config/parse";

export const DEFAULT_RULE: i32 = -1;

// host: ":authority" lower-cased; hostNoPort: the same without its port; path: no query.
// The host index (host-index.ts) yields the ascending lists of rules whose host can match; the first
// match in configuration order is the smallest index that matches in any of them, so each list is
// scanned only up to the best index found so far.
export function matchRule(cfg: Config, host: string, hostNoPort: string, method: string, path: string): i32 {
  const rules = cfg.egressRules;
  const n = rules.length;
  if (n == 0) return DEFAULT_RULE;
  const bit = methodBit(method);
  const index = cfg.egressIndex;
  if (!index.narrows) {
    for (let i = 0; i < n; i++) if (tryRule(unchecked(rules[i]), host, hostNoPort, method, bit, path)) return i;
    return DEFAULT_RULE;
  }
  const lists = candidates;
  lists.length = 0;
  index.candidates(host, hostNoPort, lists);
  let best = i32.MAX_VALUE;
  for (let l = 0, nl = lists.length; l < nl; l++) {
    const list = unchecked(lists[l]);
    for (let k = 0, nk = list.length; k < nk; k++) {
      const i = unchecked(list[k]);
      if (i >= best) break;
      if (tryRule(unchecked(rules[i]), host, hostNoPort, method, bit, path)) { best = i; break; }
    }
  }
  lists.length = 0;
  return best == i32.MAX_VALUE ? DEFAULT_RULE : best;
}

// Inline pre-checks (no call, no frame) reject most rules; the full match runs for the rest.
@inline function tryRule(r: EgressRule, host: string, hostNoPort: string, method: string, bit: u32, path: string): bool {
  const ms = r.methods;
  if (ms !== null && !ms.has(method, bit)) return false;
  const hp = r.host;
  if (hp !== null && !hp.probe.passes(hp.withPort ? host : hostNoPort)) return false;
  const pp = r.path;
  if (pp !== null && !pp.probe.passes(path)) return false;
  return ruleMatches(r, host, hostNoPort, method, bit, path);
}

// Reused by every decision (callbacks never overlap within a VM).
const candidates = new Array<Array<i32>>();

export function ruleMatches(r: EgressRule, host: string, hostNoPort: string, method: string, bit: u32, path: string): bool {
  const ms = r.methods;
  if (ms !== null && !ms.has(method, bit)) return false;
  const h = r.host;
  if (h !== null && !h.matches(host, hostNoPort)) return false;
  const p = r.path;
  if (p !== null && !p.matches(path)) return false;
  return true;
}

// Splits ":path" into path and query ("/a?b=1" → "/a", "b=1").
export function pathOnly(p: string): string {
  const q = p.indexOf("?");
  return q < 0 ? p : p.substring(0, q);
}
export function queryOf(p: string): string {
  const q = p.indexOf("?");
  return q < 0 ? "" : p.substring(q + 1);
}

// The path the upstream will most likely serve, for egress matching only (the call itself is not
// changed): percent-encoded unreserved characters, '/' and '\' decoded (RFC 3986 §6.2.2.2 makes the
// former equivalent; many servers decode the latter too), '\' read as '/', repeated '/' merged and
// dot segments removed (§5.2.4). Matching the raw :path would let "/catalog/../v1/charges" pass an
// allow rule for "/catalog/**", or "//send/x" slip past a deny rule for "/send/**": Envoy does not
// normalize paths unless the listener asks it to, and shadow egress must fail closed.
export function canonicalPath(p: string): string {
  if (p.length == 0 || p.charCodeAt(0) != 0x2f || !needsCanonical(p)) return p;
  const n = p.length;
  // Decoding only shortens: the output (plus one virtual final '/') fits in n + 1 units. Linear.
  const out = new StaticArray<u16>(n + 1);
  const starts = new Array<i32>(); // where each kept segment starts in out
  unchecked(out[0] = 0x2f);
  let o = 1, segStart = 1;
  let trailing = false;
  for (let i = 1; i <= n; i++) {
    let c: i32 = i < n ? <i32>p.charCodeAt(i) : 0x2f;
    let literal = false; // a '%' kept as is
    if (c == 0x25) {
      const d = i + 2 < n ? (hexVal(p.charCodeAt(i + 1)) << 4) | hexVal(p.charCodeAt(i + 2)) : -1;
      if (d >= 0 && (isUnreserved(d) || d == 0x2f || d == 0x5c)) { c = d; i += 2; } else literal = true;
    }
    if (c == 0x5c) c = 0x2f;
    if (literal || c != 0x2f) { unchecked(out[o++] = <u16>c); continue; }
    const len = o - segStart;
    const dots = len <= 2 && unchecked(out[segStart]) == 0x2e && (len == 1 || unchecked(out[segStart + 1]) == 0x2e);
    if (len == 0 || (dots && len == 1)) { o = segStart; trailing = true; }
    else if (dots) { o = starts.length > 0 ? starts.pop() : segStart; trailing = true; }
    else { starts.push(segStart); unchecked(out[o++] = 0x2f); trailing = false; }
    segStart = o;
  }
  if (!trailing && o > 1) o--; // the virtual final '/'
  return String.UTF16.decodeUnsafe(changetype<usize>(out), <usize>o << 1);
}

function needsCanonical(p: string): bool {
  for (let i = 0, n = p.length; i < n; i++) {
    const c = p.charCodeAt(i);
    if (c == 0x25 || c == 0x5c) return true;
    if (c == 0x2f && i + 1 < n) {
      const d = p.charCodeAt(i + 1);
      if (d == 0x2f || d == 0x2e) return true;
    }
  }
  return false;
}

function hexVal(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -0x1000; // any combination stays negative
}

function isUnreserved(c: i32): bool {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x2e || c == 0x5f || c == 0x7e;
}
