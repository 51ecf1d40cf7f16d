// Pair ids: the correlation id a sampled request carries in x-shadow-pair (and, on mutating methods,
// as its idempotency key). It starts with the request id, so logs join on it, and ends with a suffix
// unique to this request: a per-VM random prefix (WASI random_get, drawn once) and a per-VM counter.
// Envoy regenerates x-request-id for edge requests (use_remote_address), but an operator may keep
// external ids (preserve_external_request_id, or an edge without use_remote_address); then a client
// that repeats an id must still not collide pairs nor share an idempotency key across requests.
import { random_get } from "@assemblyscript/wasi-shim/assembly/bindings/wasi_snapshot_preview1";
import { nowNanos } from "./host";

let prefix: u64 = 0;
let drawn = false;
let counter: u64 = 0;
const SCRATCH = memory.data(8);

function vmPrefix(): u64 {
  if (!drawn) {
    drawn = true;
    // random_get cannot fail in Envoy (cpp-host fills from a CSPRNG); should a host refuse it, the
    // clock at start still separates VMs, and the counter keeps this VM's ids apart.
    prefix = random_get(SCRATCH, 8) == 0 ? load<u64>(SCRATCH) : nowNanos() * 0x9e3779b97f4a7c15;
  }
  return prefix;
}

// 16 lower-case hex digits, zero-padded: one radix conversion, not sixteen concatenations.
function hex64(v: u64): string {
  return v.toString(16).padStart(16, "0");
}

/** `<request id>.<16 hex digits>`: unique per sampled request in this VM, and across VMs by the random prefix. */
export function newPairId(requestId: string): string {
  counter++;
  return requestId + "." + hex64(vmPrefix() ^ (counter * 0xbf58476d1ce4e5b9));
}
