// Probe: HTTP and gRPC callouts owned by the root context. Request header x-call selects what the
// stream context starts (the stream pauses until the answer, then resumes through
// set_effective_context + continue_stream): http | http-bad | grpc-stream | grpc-unary | grpc-bare |
// grpc-unknown | grpc-cancel. x-cluster names the cluster, x-timeout the timeout (ms).
import { log, getHeader, addHeader, buf, ptr, pairs, RET, retString, proxy_http_call, proxy_grpc_call, proxy_grpc_stream, proxy_grpc_send, proxy_grpc_close, proxy_grpc_cancel, proxy_get_buffer_bytes, proxy_get_status, proxy_set_effective_context, proxy_continue_stream, proxy_get_header_map_pairs } from "./lib/host";
export { malloc } from "./lib/host";

const owner = new Map<u32, u32>();
function hv(key: string, dflt: string): string { const v = getHeader(0, key); return v.startsWith("0:") ? v.slice(2) : dflt; }
function status(): string {
  proxy_get_status(RET + 8, RET, RET + 4);
  return load<u32>(RET + 8).toString() + "/" + retString();
}
function grpcService(cluster: string, authority: string): ArrayBuffer {
  const c = buf(cluster), a = buf(authority);
  const inner = 2 + c.byteLength + 2 + a.byteLength;
  const out = new ArrayBuffer(2 + inner);
  const p = changetype<usize>(out);
  store<u8>(p, 0x0a); store<u8>(p + 1, <u8>inner);
  store<u8>(p + 2, 0x0a); store<u8>(p + 3, <u8>c.byteLength);
  memory.copy(p + 4, ptr(c), c.byteLength);
  store<u8>(p + 4 + c.byteLength, 0x12); store<u8>(p + 5 + c.byteLength, <u8>a.byteLength);
  memory.copy(p + 6 + c.byteLength, ptr(a), a.byteLength);
  return out;
}
function httpCall(cluster: string, hdrs: string[], timeout: u32): i32 {
  const c = buf(cluster), h = pairs(hdrs), b = buf("ping");
  return proxy_http_call(ptr(c), c.byteLength, ptr(h), h.byteLength, ptr(b), b.byteLength, 0, 0, timeout, RET);
}
function startStream(svc: ArrayBuffer): i32 {
  const s = buf("test.Echo"), m = buf("Chat"), md = pairs(["x-md", "probe"]);
  return proxy_grpc_stream(ptr(svc), svc.byteLength, ptr(s), s.byteLength, ptr(m), m.byteLength, ptr(md), md.byteLength, RET);
}
function send(token: u32, msg: string, end: u32): i32 { const b = buf(msg); return proxy_grpc_send(token, ptr(b), b.byteLength, end); }

export function proxy_abi_version_0_2_1(): void {}
export function proxy_on_context_create(id: u32, parent: u32): void {}
export function proxy_on_request_headers(id: u32, n: u32, eos: u32): u32 {
  const what = hv("x-call", "");
  const cluster = hv("x-cluster", "backend");
  const timeout = U32.parseInt(hv("x-timeout", "0"));
  if (what == "http") {
    const rc = httpCall(cluster, [":method", "POST", ":path", hv("x-call-path", "/hello"), ":authority", "backend.test", "x-from", "probe"], timeout);
    const token = load<u32>(RET);
    log("http rc=" + rc.toString() + " token=" + token.toString());
    if (rc != 0) return 0;
    owner.set(token, id);
    return 1;
  }
  if (what == "http-bad") {
    log("no-authority=" + httpCall(cluster, [":method", "GET", ":path", "/"], 0).toString());
    log("unknown-cluster=" + httpCall("nope", [":method", "GET", ":path", "/", ":authority", "a"], 0).toString());
    log("negative-timeout=" + httpCall(cluster, [":method", "GET", ":path", "/", ":authority", "a"], 0xffffffff).toString());
    log("send-on-http-token=" + send(4, "x", 0).toString() + " close-http-token=" + proxy_grpc_close(4).toString());
    return 0;
  }
  if (what == "grpc-stream" || what == "grpc-bare" || what == "grpc-cancel") {
    const svc = what == "grpc-bare" ? buf(cluster) : grpcService(cluster, "grpc.test");
    const rc = startStream(svc);
    const token = load<u32>(RET);
    log("stream rc=" + rc.toString() + " token=" + token.toString());
    if (rc != 0) return 0;
    if (what == "grpc-cancel") { log("cancel rc=" + proxy_grpc_cancel(token).toString() + " again=" + proxy_grpc_cancel(token).toString()); return 0; }
    log("send rc=" + send(token, "one", 0).toString() + "," + send(token, "two", 0).toString());
    log("close rc=" + proxy_grpc_close(token).toString());
    return 0;
  }
  if (what == "grpc-unknown") {
    log("stream rc=" + startStream(buf("no_such_cluster")).toString());
    return 0;
  }
  if (what == "grpc-unary") {
    const svc = grpcService(cluster, "grpc.test"), s = buf("test.Echo"), m = buf(hv("x-method", "Unary")), md = pairs([]), q = buf("hello");
    const rc = proxy_grpc_call(ptr(svc), svc.byteLength, ptr(s), s.byteLength, ptr(m), m.byteLength, ptr(md), md.byteLength, ptr(q), q.byteLength, timeout, RET);
    log("unary rc=" + rc.toString() + " token=" + load<u32>(RET).toString());
  }
  return 0;
}
export function proxy_on_http_call_response(root: u32, token: u32, nh: u32, bs: u32, nt: u32): void {
  const st = getHeaderOf(6, ":status");
  const brc = proxy_get_buffer_bytes(4, 0, bs, RET, RET + 4);
  const body = brc == 0 ? retString() : "(" + brc.toString() + ")";
  log("http_response root=" + root.toString() + " token=" + token.toString() + " headers=" + nh.toString() + " body=" + bs.toString() + " trailers=" + nt.toString() + " status=" + st + " text=" + body + " get_status=" + status());
  if (!owner.has(token)) return;
  const ctx = owner.get(token);
  const rc = proxy_set_effective_context(ctx);
  log("effective rc=" + rc.toString());
  if (rc != 0) return;
  addHeader(0, "x-call-status", st);
  log("continue rc=" + proxy_continue_stream(0).toString());
}
function getHeaderOf(map: i32, key: string): string { const v = getHeader(map, key); return v.startsWith("0:") ? v.slice(2) : "(" + v + ")"; }
export function proxy_on_grpc_receive_initial_metadata(root: u32, token: u32, n: u32): void {
  log("grpc_initial_metadata token=" + token.toString() + " n=" + n.toString() + " x-server=" + getHeaderOf(4, "x-server"));
}
export function proxy_on_grpc_receive(root: u32, token: u32, size: u32): void {
  proxy_get_buffer_bytes(5, 0, size, RET, RET + 4);
  log("grpc_receive token=" + token.toString() + " msg=" + retString());
}
export function proxy_on_grpc_receive_trailing_metadata(root: u32, token: u32, n: u32): void {
  log("grpc_trailing_metadata token=" + token.toString() + " n=" + n.toString() + " grpc-status=" + getHeaderOf(5, "grpc-status"));
}
export function proxy_on_grpc_close(root: u32, token: u32, code: u32): void {
  log("grpc_close root=" + root.toString() + " token=" + token.toString() + " code=" + code.toString() + " status=" + status());
}
