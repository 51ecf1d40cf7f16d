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

/** `<request id>.<16 hex digits>`: unique per sampled request in this VM, and across VMs by the random prefix.
 *  Written straight into one string of its final length (no radix conversion, padding or joins). */
export function newPairId(requestId: string): string {
  counter++;
  const v = vmPrefix() ^ (counter * 0xbf58476d1ce4e5b9);
  const n = <usize>requestId.length;
  const out = changetype<string>(__new((n + 17) << 1, idof<string>()));
  const p = changetype<usize>(out);
  memory.copy(p, changetype<usize>(requestId), n << 1);
  const q = p + (n << 1);
  store<u16>(q, 0x2e); // '.'
  for (let i: usize = 0; i < 16; i++) {
    const d = <u32>(v >> (<u64>(60 - 4 * i)) & 0xf);
    store<u16>(q + 2 + (i << 1), <u16>(d < 10 ? 0x30 + d : 0x57 + d)); // 0-9, a-f
  }
  return out;
}
