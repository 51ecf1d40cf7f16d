// Probe: traps (unreachable) in on_request_headers when the request carries x-trap; otherwise tags it.
import { addHeader, getHeader } from "./lib/host";
export { malloc } from "./lib/host";
export function proxy_abi_version_0_2_1(): void {}
export function proxy_on_context_create(id: u32, parent: u32): void {}
export function proxy_on_request_headers(id: u32, n: u32, eos: u32): u32 {
  if (getHeader(0, "x-trap").startsWith("0:")) unreachable();
  addHeader(0, "x-probe", "ok");
  return 0;
}
export function proxy_on_response_headers(id: u32, n: u32, eos: u32): u32 { addHeader(2, "x-probe", "ok"); return 0; }
