// Probe: module globals seen by several plugins' root contexts in one VM. Counts on_configure calls in
// a global and remembers each root's configuration; streams report the count, their root's
// configuration and plugin_name (x-configures, x-root-config, x-plugin). Request header x-trap traps;
// x-call: slow starts an HTTP call to cluster "backend" /slow (owned by the stream's root).
// Configuration "first-root-only" is accepted only by root context 1 (a canary's always is).
import { log, getHeader, addHeader, buf, ptr, pairs, RET, retString, proxy_get_buffer_bytes, proxy_get_property, proxy_http_call } from "./lib/host";
export { malloc } from "./lib/host";

let configures: i32 = 0;
const rootConfig = new Map<u32, string>();
const parentOf = new Map<u32, u32>();

function property(name: string): string {
  const p = buf(name);
  return proxy_get_property(ptr(p), p.byteLength, RET, RET + 4) == 0 ? retString() : "";
}

export function proxy_abi_version_0_2_1(): void {}
export function proxy_on_context_create(id: u32, parent: u32): void {
  parentOf.set(id, parent);
  log("create " + id.toString() + " " + parent.toString());
}
export function proxy_on_vm_start(root: u32, size: u32): u32 {
  proxy_get_buffer_bytes(6, 0, size, RET, RET + 4);
  log("vm_start " + root.toString() + " " + retString());
  return 1;
}
export function proxy_on_configure(root: u32, size: u32): u32 {
  proxy_get_buffer_bytes(7, 0, size, RET, RET + 4);
  const cfg = retString();
  configures++;
  rootConfig.set(root, cfg);
  log("configure " + root.toString() + " " + cfg + " configures=" + configures.toString());
  return cfg == "first-root-only" && root != 1 ? 0 : 1;
}
export function proxy_on_request_headers(id: u32, n: u32, eos: u32): u32 {
  if (getHeader(0, "x-trap").startsWith("0:")) unreachable();
  const root = parentOf.get(id);
  addHeader(0, "x-configures", configures.toString());
  addHeader(0, "x-root-config", rootConfig.has(root) ? rootConfig.get(root) : "?");
  addHeader(0, "x-plugin", property("plugin_name"));
  if (getHeader(0, "x-call") == "0:slow") {
    const c = buf("backend"), h = pairs([":method", "GET", ":path", "/slow", ":authority", "backend"]), b = buf("");
    const rc = proxy_http_call(ptr(c), c.byteLength, ptr(h), h.byteLength, ptr(b), 0, 0, 0, 0, RET);
    log("http rc=" + rc.toString() + " token=" + load<u32>(RET).toString());
  }
  return 0;
}
export function proxy_on_http_call_response(root: u32, token: u32, nh: u32, bs: u32, nt: u32): void {
  log("http_response " + root.toString() + " " + token.toString());
}
export function proxy_on_done(id: u32): u32 { log("done " + id.toString()); return 1; }
export function proxy_on_delete(id: u32): void { log("delete " + id.toString()); }
