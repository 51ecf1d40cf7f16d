// Probe: network-filter callbacks. Logs what it sees; behaviour by the first downstream byte:
// 'P' pause until 10 bytes are buffered, then replace the first 2 bytes with "XY" and try a
// mid-buffer edit; 'C' close_stream(UPSTREAM); 'K' close_stream(DOWNSTREAM); 'U' continue_stream(UPSTREAM).
// Server bytes: 'R' rewrites the chunk to "REPLY", anything else passes. on_new_connection logs the
// cluster_name it can see; the first downstream callback logs it again.
import { log, buf, ptr, RET, retString, proxy_get_buffer_bytes, proxy_set_buffer_bytes, proxy_close_stream, proxy_continue_stream, proxy_get_property } from "./lib/host";
export { malloc } from "./lib/host";
function set(t: i32, start: u32, len: u32, s: string): i32 { const b = buf(s); return proxy_set_buffer_bytes(t, start, len, ptr(b), b.byteLength); }
function prop(path: string): string {
  const p = buf(path);
  const rc = proxy_get_property(ptr(p), p.byteLength, RET, RET + 4);
  return rc == 0 ? retString() : "<" + rc.toString() + ">";
}
export function proxy_abi_version_0_2_1(): void {}
export function proxy_on_context_create(id: u32, parent: u32): void {}
export function proxy_on_vm_start(root: u32, size: u32): u32 { return 1; }
export function proxy_on_configure(root: u32, size: u32): u32 { return 1; }
export function proxy_on_new_connection(id: u32): u32 {
  log("new cluster=" + prop("cluster_name") + " sni=" + prop("connection\0requested_server_name"));
  return 0;
}
export function proxy_on_downstream_data(id: u32, size: u32, eos: u32): u32 {
  proxy_get_buffer_bytes(2, 0, size, RET, RET + 4);
  const data = retString();
  log("down size=" + size.toString() + " eos=" + eos.toString() + " data=" + data + " cluster=" + prop("cluster_name"));
  const op = data.length > 0 ? data.charAt(0) : "";
  if (op == "P") {
    if (size < 10) return 1;
    log("mid=" + set(2, 3, 1, "z").toString() + " prefix=" + set(2, 0, 2, "XY").toString());
  } else if (op == "C") log("close=" + proxy_close_stream(3).toString());
  else if (op == "K") log("close=" + proxy_close_stream(2).toString());
  else if (op == "U") log("continue-upstream=" + proxy_continue_stream(3).toString());
  return 0;
}
export function proxy_on_upstream_data(id: u32, size: u32, eos: u32): u32 {
  proxy_get_buffer_bytes(3, 0, size, RET, RET + 4);
  const data = retString();
  log("up size=" + size.toString() + " data=" + data);
  if (data.length > 0 && data.charAt(0) == "R") set(3, 0, size, "REPLY");
  return 0;
}
export function proxy_on_downstream_connection_close(id: u32, peer: u32): void { log("downstream-close peer=" + peer.toString()); }
export function proxy_on_upstream_connection_close(id: u32, peer: u32): void { log("upstream-close peer=" + peer.toString()); }
export function proxy_on_done(id: u32): u32 { log("done"); return 1; }
export function proxy_on_log(id: u32): void { log("log"); }
export function proxy_on_delete(id: u32): void { log("delete"); }
