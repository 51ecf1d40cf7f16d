// The edge sampling decision: pure functions of the config and the request's identity.
// Deterministic: FNV-1a of the x-request-id bytes → bucket in [0, 10000), sampled when
// bucket < percent × 100, so a retry carrying the same x-request-id is sampled the same way. The id
// is Envoy's own at the edge (use_remote_address: an edge request's client id is replaced), so a
// client cannot choose; pairing does not use it alone (pair-id.ts). A request without x-request-id is
// never sampled: Envoy's HCM generates the id at the edge, so its absence means id generation is
// off and there would be nothing stable to pair on.
import { Config, SamplingRule, methodBit } from "./config/parse";

// FNV-1a, 32 bit, over raw bytes (header values need not be UTF-8).
export function fnv1a(ptr: usize, len: usize): u32 {
  let h: u32 = 0x811c9dc5;
  for (let i: usize = 0; i < len; i++) {
    h ^= <u32>load<u8>(ptr + i);
    h *= 0x01000193;
  }
  return h;
}

export function bucketOf(ptr: usize, len: usize): u32 {
  return fnv1a(ptr, len) % 10000;
}

// Percent for a request: the most specific matching rule (rules are pre-sorted), else the default.
// host: ":authority" lower-cased; hostNoPort: the same without its port; path: no query.
export function percentFor(cfg: Config, host: string, hostNoPort: string, path: string, method: string): f64 {
  const rules = cfg.samplingRules;
  const bit = methodBit(method);
  for (let i = 0; i < rules.length; i++) {
    const r = unchecked(rules[i]);
    if (ruleMatches(r, host, hostNoPort, path, method, bit)) return r.percent;
  }
  return cfg.samplingDefault;
}

export function ruleMatches(r: SamplingRule, host: string, hostNoPort: string, path: string, method: string, bit: u32): bool {
  const ms = r.methods;
  if (ms !== null && !ms.has(method, bit)) return false;
  const pp = r.pathPrefix;
  if (pp !== null && !path.startsWith(pp)) return false;
  const h = r.host;
  if (h !== null && !h.matches(host, hostNoPort)) return false;
  return true;
}

@inline export function sampled(bucket: u32, percent: f64): bool {
  return <f64>bucket < percent * 100.0;
}

