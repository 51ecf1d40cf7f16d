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
