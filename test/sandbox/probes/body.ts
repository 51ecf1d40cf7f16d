// Probe: body buffers. x-body-op (request header) selects: buffer | prepend | append | mid | past-end.
import { log, getHeader, buf, ptr, RET, retString, proxy_get_buffer_bytes, proxy_set_buffer_bytes, proxy_get_buffer_status } from "./lib/host";
export { malloc } from "./lib/host";
const ops = new Map<u32, string>();
function op(id: u32): string { return ops.has(id) ? ops.get(id) : ""; }
function setBody(t: i32, start: u32, len: u32, s: string): i32 { const b = buf(s); return proxy_set_buffer_bytes(t, start, len, ptr(b), b.byteLength); }
export function proxy_abi_version_0_2_1(): void {}
export function proxy_on_context_create(id: u32, parent: u32): void {}
export function proxy_on_request_headers(id: u32, n: u32, eos: u32): u32 {
  const v = getHeader(0, "x-body-op");
  ops.set(id, v.startsWith("0:") ? v.slice(2) : "");
  log("in-headers set=" + setBody(0, 0, 0, "x").toString() + " status=" + proxy_get_buffer_status(0, RET, RET + 4).toString() + ":" + load<u32>(RET).toString());
  return 0;
}
export function proxy_on_request_body(id: u32, size: u32, eos: u32): u32 {
  const o = op(id);
  proxy_get_buffer_bytes(0, 0, size, RET, RET + 4);
  log("body size=" + size.toString() + " eos=" + eos.toString() + " data=" + retString());
  if (o == "buffer") {
    if (!eos) return 1;
    log("replace=" + setBody(0, 0, size, "REPLACED").toString());
  } else if (o == "prepend") log("prepend=" + setBody(0, 0, 0, "pre-").toString());
  else if (o == "append") log("append=" + setBody(0, size, 0, "-post").toString());
  else if (o == "mid") log("mid=" + setBody(0, 1, 1, "x").toString());
  else if (o == "past-end") {
    const rc = proxy_get_buffer_bytes(0, size + 5, 10, RET, RET + 4);
    log("past-end=" + rc.toString() + ":" + load<u32>(RET).toString() + "," + load<u32>(RET + 4).toString());
    proxy_get_buffer_bytes(0, 1, 2, RET, RET + 4);
    log("slice=" + retString());
  }
  return 0;
}
export function proxy_on_response_body(id: u32, size: u32, eos: u32): u32 {
  proxy_get_buffer_bytes(1, 0, size, RET, RET + 4);
  log("response body=" + retString());
  log("response append=" + setBody(1, size, 0, "!").toString());
  log("bad-type=" + proxy_get_buffer_status(9, RET, RET + 4).toString() + " no-config=" + proxy_get_buffer_status(7, RET, RET + 4).toString());
  return 0;
}
