// Probe: records every callback it receives (in order, with arguments) and answers with the action a
// request/response header asks for, so a test can script pauses, continues and traps:
//   x-req-headers / x-res-headers: pause | stopall-buffer | continue-end | big | pause-tick
//   x-req-body / x-res-body:       pause-until-end | nobuffer
//   x-req-trailers:                pause
// "pause-tick" streams are continued from on_tick (set_effective_context + continue_stream).
// Plugin configuration "reject" makes on_configure return false; "trap" makes it trap; "tick:N" arms a timer.
import { log, getHeader, RET, retString, proxy_get_buffer_bytes, proxy_set_effective_context, proxy_continue_stream, proxy_set_tick_period_milliseconds } from "./lib/host";
export { malloc } from "./lib/host";

const reqBody = new Map<u32, string>();
const resBody = new Map<u32, string>();
const reqTrailers = new Map<u32, string>();
let parked: u32[] = [];
let parkedType: i32[] = [];

function action(map: i32, key: string): string {
  const v = getHeader(map, key);
  return v.startsWith("0:") ? v.slice(2) : "";
}
function headersResult(a: string, id: u32, streamType: i32): u32 {
  if (a == "pause") return 1;
  if (a == "stopall-buffer") return 3;
  if (a == "continue-end") return 2;
  if (a == "big") return 7;
  if (a == "pause-tick") { parked.push(id); parkedType.push(streamType); return 1; }
  return 0;
}
function bodyResult(a: string, eos: u32): u32 {
  if (a == "pause-until-end") return eos ? 0 : 1;
  if (a == "nobuffer") return 3;
  return 0;
}
/** One body callback of either direction: logs it with the chunk and answers what the headers asked for. */
function onBody(event: string, buffer: i32, actions: Map<u32, string>, id: u32, size: u32, eos: u32): u32 {
  proxy_get_buffer_bytes(buffer, 0, size, RET, RET + 4);
  log(event + " " + id.toString() + " " + size.toString() + " " + eos.toString() + " " + retString());
  return bodyResult(actions.has(id) ? actions.get(id) : "", eos);
}
function logHeaders(event: string, id: u32, n: u32, eos: u32): void {
  log(event + " " + id.toString() + " " + n.toString() + " " + eos.toString());
}

export function proxy_abi_version_0_2_1(): void {}
export function proxy_on_context_create(id: u32, parent: u32): void { log("create " + id.toString() + " " + parent.toString()); }
export function proxy_on_vm_start(root: u32, size: u32): u32 { log("vm_start " + root.toString() + " " + size.toString()); return 1; }
export function proxy_on_configure(root: u32, size: u32): u32 {
  proxy_get_buffer_bytes(7, 0, size, RET, RET + 4);
  const cfg = retString();
  log("configure " + root.toString() + " " + cfg);
  if (cfg == "reject") return 0;
  if (cfg == "trap") unreachable();
  if (cfg.startsWith("tick:")) proxy_set_tick_period_milliseconds(U32.parseInt(cfg.slice(5)));
  return 1;
}
export function proxy_on_tick(root: u32): void {
  log("tick " + root.toString());
  const p = parked, t = parkedType;
  parked = [];
  parkedType = [];
  for (let i = 0; i < p.length; i++) {
    log("continue " + p[i].toString() + " rc=" + proxy_set_effective_context(p[i]).toString() + "," + proxy_continue_stream(t[i]).toString());
  }
}
export function proxy_on_request_headers(id: u32, n: u32, eos: u32): u32 {
  logHeaders("request_headers", id, n, eos);
  reqBody.set(id, action(0, "x-req-body"));
  reqTrailers.set(id, action(0, "x-req-trailers"));
  return headersResult(action(0, "x-req-headers"), id, 0);
}
export function proxy_on_request_body(id: u32, size: u32, eos: u32): u32 {
  return onBody("request_body", 0, reqBody, id, size, eos);
}
export function proxy_on_request_trailers(id: u32, n: u32): u32 {
  log("request_trailers " + id.toString() + " " + n.toString());
  return reqTrailers.has(id) && reqTrailers.get(id) == "pause" ? 1 : 0;
}
export function proxy_on_response_headers(id: u32, n: u32, eos: u32): u32 {
  logHeaders("response_headers", id, n, eos);
  resBody.set(id, action(2, "x-res-body"));
  return headersResult(action(2, "x-res-headers"), id, 1);
}
export function proxy_on_response_body(id: u32, size: u32, eos: u32): u32 {
  return onBody("response_body", 1, resBody, id, size, eos);
}
export function proxy_on_response_trailers(id: u32, n: u32): u32 { log("response_trailers " + id.toString() + " " + n.toString()); return 0; }
export function proxy_on_log(id: u32): void { log("log " + id.toString()); }
export function proxy_on_done(id: u32): u32 { log("done " + id.toString()); return 1; }
export function proxy_on_delete(id: u32): void { log("delete " + id.toString()); }
