// The shadow egress decision: ordered rules, the first match decides; no match → default action.
// Pure: host (":authority"), method and path (no query) in, the matching rule index out.
import { Config, EgressRule, methodBit } from "./config";

export const DEFAULT_RULE: i32 = -1;

// host: ":authority" lower-cased; hostNoPort: the same without its port; path: no query.
export function matchRule(cfg: Config, host: string, hostNoPort: string, method: string, path: string): i32 {
  const rules = cfg.egressRules;
  const bit = methodBit(method);
  for (let i = 0, n = rules.length; i < n; i++) {
    const r = unchecked(rules[i]);
    // Inline pre-checks (no call, no frame) reject most rules; the full match runs for the rest.
    const ms = r.methods;
    if (ms !== null && !ms.has(method, bit)) continue;
    const hp = r.host;
    if (hp !== null && !hp.probe.passes(hp.withPort ? host : hostNoPort)) continue;
    const pp = r.path;
    if (pp !== null && !pp.probe.passes(path)) continue;
    if (ruleMatches(r, host, hostNoPort, method, bit, path)) return i;
  }
  return DEFAULT_RULE;
}

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

export function denyBody(rule: string): string {
  // Rule names match ^[A-Za-z0-9._:-]+$ (or are "default"/"unconfigured"): no escaping needed.
  return "{\"error\":\"shadow egress denied\",\"rule\":\"" + rule + "\"}";
}
