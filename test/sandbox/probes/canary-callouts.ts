// Probe: callouts started from on_configure — a gRPC stream to cluster "grpc" (test.Echo/Chat, given
// as a bare cluster name) with one message sent at once, and an HTTP POST to cluster "backend"
// /configured. Logs what it starts and every callout callback it receives.
import { log, buf, ptr, pairs, RET, retString, proxy_grpc_stream, proxy_grpc_send, proxy_http_call, proxy_get_buffer_bytes } from "./lib/host";
export { malloc } from "./lib/host";

export function proxy_abi_version_0_2_1(): void {}
export function proxy_on_context_create(id: u32, parent: u32): void {}
export function proxy_on_vm_start(root: u32, size: u32): u32 { return 1; }
export function proxy_on_configure(root: u32, size: u32): u32 {
  const svc = buf("grpc"), s = buf("test.Echo"), m = buf("Chat"), md = pairs([]);
  const rc = proxy_grpc_stream(ptr(svc), svc.byteLength, ptr(s), s.byteLength, ptr(m), m.byteLength, ptr(md), md.byteLength, RET);
  const token = load<u32>(RET);
  const msg = buf("hello from root " + root.toString());
  log("stream rc=" + rc.toString() + " token=" + token.toString() + " send rc=" + proxy_grpc_send(token, ptr(msg), msg.byteLength, 0).toString());
  const c = buf("backend"), h = pairs([":method", "POST", ":path", "/configured", ":authority", "backend"]), b = buf("cfg");
  log("http rc=" + proxy_http_call(ptr(c), c.byteLength, ptr(h), h.byteLength, ptr(b), b.byteLength, 0, 0, 0, RET).toString() + " token=" + load<u32>(RET).toString());
  return 1;
}
export function proxy_on_grpc_receive_initial_metadata(root: u32, token: u32, n: u32): void { log("grpc_initial_metadata " + token.toString()); }
export function proxy_on_grpc_receive(root: u32, token: u32, size: u32): void {
  proxy_get_buffer_bytes(5, 0, size, RET, RET + 4);
  log("grpc_receive " + token.toString() + " " + retString());
}
export function proxy_on_grpc_receive_trailing_metadata(root: u32, token: u32, n: u32): void { log("grpc_trailing_metadata " + token.toString()); }
export function proxy_on_grpc_close(root: u32, token: u32, code: u32): void { log("grpc_close " + token.toString() + " " + code.toString()); }
export function proxy_on_http_call_response(root: u32, token: u32, nh: u32, bs: u32, nt: u32): void {
  log("http_response " + token.toString() + " body=" + bs.toString());
}
