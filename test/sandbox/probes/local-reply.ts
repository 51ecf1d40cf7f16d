// Probe: local replies and close_stream. Request header x-deny → 403 from on_request_headers (returning
// Continue, which Envoy forces to stop); response header x-deny-response → 502 from on_response_headers;
// x-close → close_stream(request). Response callbacks log what they see and tag the response.
import { log, getHeader, addHeader, buf, ptr, pairs, proxy_send_local_response, proxy_close_stream } from "./lib/host";
export { malloc } from "./lib/host";
function reply(status: u32, details: string, body: string, grpc: i32): i32 {
  const d = buf(details), b = buf(body), h = pairs(["x-probe", "1"]);
  return proxy_send_local_response(status, ptr(d), d.byteLength, ptr(b), b.byteLength, ptr(h), h.byteLength, grpc);
}
export function proxy_abi_version_0_2_1(): void {}
export function proxy_on_context_create(id: u32, parent: u32): void {}
export function proxy_on_request_headers(id: u32, n: u32, eos: u32): u32 {
  if (getHeader(0, "x-deny").startsWith("0:")) log("reply rc=" + reply(403, "denied by probe", "nope", -1).toString());
  if (getHeader(0, "x-deny-grpc").startsWith("0:")) log("reply rc=" + reply(403, "grpc deny", "no access", 7).toString());
  if (getHeader(0, "x-close").startsWith("0:")) log("close rc=" + proxy_close_stream(0).toString());
  return 0;
}
export function proxy_on_request_body(id: u32, size: u32, eos: u32): u32 { log("request_body"); return 0; }
export function proxy_on_response_headers(id: u32, n: u32, eos: u32): u32 {
  log("response_headers status=" + getHeader(2, ":status") + " eos=" + eos.toString());
  addHeader(2, "x-seen-by-filter", "yes");
  if (getHeader(2, "x-deny-response").startsWith("0:")) log("reply rc=" + reply(502, "bad upstream", "upstream says no", -1).toString());
  return 0;
}
export function proxy_on_response_body(id: u32, size: u32, eos: u32): u32 { log("response_body size=" + size.toString() + " eos=" + eos.toString()); return 0; }
export function proxy_on_log(id: u32): void { log("log"); }
export function proxy_on_done(id: u32): u32 { log("done"); return 1; }
export function proxy_on_delete(id: u32): void { log("delete"); }
