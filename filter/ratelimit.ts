// Token buckets shared by every worker VM of a proxy, kept in proxy-wasm shared data (process-wide
// per vm_id) and updated with compare-and-swap: read (value, cas) → refill → take → write with cas;
// on CasMismatch another worker won the race, so re-read and retry (bounded). The refill arithmetic
// is a pure function. When the bucket cannot be updated (host error, persistent contention) we
// answer "limited": rate limits only guard shadow traffic, where failing closed is the rule.
import { RateLimit } from "./config/parse";
import { sharedGet, sharedSet, lastCas } from "./host";
import { OK, CAS_MISMATCH } from "./abi";

const MAX_RETRIES: i32 = 8;
const STATE = new ArrayBuffer(16); // [f64 tokens][u64 last refill ns]

// Tokens after refilling from lastNs to nowNs, capped at burst. A clock going backwards refills nothing.
export function refill(tokens: f64, lastNs: u64, nowNs: u64, rps: f64, burst: f64): f64 {
  if (nowNs <= lastNs) return min(tokens, burst);
  const t = tokens + <f64>(nowNs - lastNs) / 1e9 * rps;
  return t > burst ? burst : t;
}

// Takes one token; true when the request may pass.
export function take(rl: RateLimit, nowNs: u64): bool {
  const base = changetype<usize>(STATE);
  for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
    const cur = sharedGet(rl.key);
    let tokens = rl.burst;
    let cas: u32 = 0;
    if (cur !== null && cur.byteLength == 16) {
      tokens = refill(load<f64>(changetype<usize>(cur)), load<u64>(changetype<usize>(cur) + 8), nowNs, rl.rps, rl.burst);
      cas = lastCas;
    }
    const allowed = tokens >= 1.0;
    if (allowed) tokens -= 1.0;
    store<f64>(base, tokens);
    store<u64>(base + 8, nowNs);
    const st = sharedSet(rl.key, STATE, cas);
    if (st == OK) return allowed;
    if (st != CAS_MISMATCH) return false;
  }
  return false;
}
