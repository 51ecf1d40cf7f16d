// Probe: proxy_get_property / proxy_set_property. Request header x-props lists paths separated by ","
// with "/" between segments; each is read and logged as "<path> rc hex". Also sets filter state.
import { log, getHeader, buf, ptr, hex, RET, retBytes, proxy_get_property, proxy_set_property } from "./lib/host";
export { malloc } from "./lib/host";
function prop(path: string): string {
  const p = buf(path.replaceAll("/", "\0"));
  const rc = proxy_get_property(ptr(p), p.byteLength, RET, RET + 4);
  return path + " " + rc.toString() + " " + (rc == 0 ? hex(retBytes()) : "");
}
function setProp(path: string, value: string): i32 {
  const p = buf(path), v = buf(value);
  return proxy_set_property(ptr(p), p.byteLength, ptr(v), v.byteLength);
}
export function proxy_abi_version_0_2_1(): void {}
export function proxy_on_context_create(id: u32, parent: u32): void {}
export function proxy_on_configure(root: u32, size: u32): u32 {
  log("root " + prop("plugin_name"));
  log("root " + prop("plugin_root_id"));
  log("root " + prop("plugin_vm_id"));
  log("root " + prop("xds/listener_direction"));
  log("root " + prop("xds/node/id"));
  log("root " + prop("xds/node/metadata/ROLE"));
  log("root " + prop("request/path"));
  log("root set=" + setProp("probe.key", "x").toString());
  return 1;
}
export function proxy_on_request_headers(id: u32, n: u32, eos: u32): u32 {
  const v = getHeader(0, "x-props");
  const paths = v.slice(2).split(",");
  for (let i = 0; i < paths.length; i++) log("req " + prop(paths[i]));
  log("set=" + setProp("probe.key", "v1").toString());
  return 0;
}
export function proxy_on_response_headers(id: u32, n: u32, eos: u32): u32 {
  log("resp " + prop("request/path"));
  log("resp " + prop("response/code"));
  log("resp " + prop("probe.key"));
  return 0;
}
export function proxy_on_log(id: u32): void {
  log("onlog " + prop("request/path"));
  log("onlog " + prop("response/code"));
  log("onlog " + prop("response/code_details"));
}
