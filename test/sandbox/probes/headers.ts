// Probe: exercises the header-map functions and logs every result code, in and out of their windows.
import { log, getHeader, addHeader, replaceHeader, removeHeader, RET, proxy_get_header_map_pairs, proxy_get_header_map_size, proxy_get_buffer_status } from "./lib/host";
export { malloc } from "./lib/host";
export function proxy_abi_version_0_2_1(): void {}
export function proxy_on_context_create(id: u32, parent: u32): void {}
export function proxy_on_request_headers(id: u32, n: u32, eos: u32): u32 {
  log("multi=" + getHeader(0, "X-Multi"));
  log("missing=" + getHeader(0, "x-missing"));
  log("empty=" + getHeader(0, "x-empty"));
  proxy_get_header_map_size(0, RET);
  log("size=" + load<u32>(RET).toString() + " count=" + n.toString());
  log("add=" + addHeader(0, "X-Added", "1").toString());
  log("replace=" + replaceHeader(0, "x-multi", "only").toString());
  log("remove=" + removeHeader(0, "x-remove-me").toString() + "," + removeHeader(0, "x-never-there").toString());
  log("resp-get=" + getHeader(2, ":status"));
  log("resp-add=" + addHeader(2, "x-too-early", "1").toString());
  const rc = proxy_get_header_map_pairs(2, RET, RET + 4);
  log("resp-pairs=" + rc.toString() + ":" + load<u32>(RET).toString() + "," + load<u32>(RET + 4).toString());
  log("bad-type=" + getHeader(8, "x"));
  return 0;
}
export function proxy_on_request_body(id: u32, size: u32, eos: u32): u32 {
  log("req-in-body=" + getHeader(0, ":path"));
  if (eos) log("add-trailer=" + addHeader(1, "x-added-trailer", "t").toString());
  return 0;
}
export function proxy_on_response_headers(id: u32, n: u32, eos: u32): u32 {
  log("req-in-resp=" + getHeader(0, ":path"));
  log("status=" + getHeader(2, ":status"));
  log("resp-replace=" + replaceHeader(2, "server", "probe").toString());
  return 0;
}
export function proxy_on_response_body(id: u32, size: u32, eos: u32): u32 {
  log("resp-in-body=" + getHeader(2, ":status"));
  log("req-body-status=" + proxy_get_buffer_status(0, RET, RET + 4).toString() + ":" + load<u32>(RET).toString());
  return 0;
}
export function proxy_on_log(id: u32): void {
  log("log-path=" + getHeader(0, ":path"));
  log("log-status=" + getHeader(2, ":status"));
  log("log-req-trailer=" + getHeader(1, "x-added-trailer"));
  log("log-add=" + addHeader(0, "x-late", "1").toString());
}
