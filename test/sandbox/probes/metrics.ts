// Probe: metric definition and the per-type rules; every result code is logged.
import { log, buf, ptr, RET, proxy_define_metric, proxy_increment_metric, proxy_record_metric, proxy_get_metric } from "./lib/host";
export { malloc } from "./lib/host";
let counter: u32 = 0, gauge: u32 = 0, hist: u32 = 0;
function define(t: i32, name: string): u32 {
  const n = buf(name);
  const rc = proxy_define_metric(t, ptr(n), n.byteLength, RET);
  log("define " + name + " rc=" + rc.toString() + " id=" + load<u32>(RET).toString());
  return load<u32>(RET);
}
export function proxy_abi_version_0_2_1(): void {}
export function proxy_on_context_create(id: u32, parent: u32): void {}
export function proxy_on_configure(root: u32, size: u32): u32 {
  counter = define(0, "probe_requests");
  gauge = define(1, "probe_inflight");
  hist = define(2, "probe_latency_ms");
  const n = buf("bad");
  log("define-bad rc=" + proxy_define_metric(3, ptr(n), n.byteLength, RET).toString());
  return 1;
}
export function proxy_on_request_headers(id: u32, n: u32, eos: u32): u32 {
  log("inc counter=" + proxy_increment_metric(counter, 1).toString() + " zero=" + proxy_increment_metric(counter, 0).toString() + " neg=" + proxy_increment_metric(counter, -1).toString());
  log("record counter=" + proxy_record_metric(counter, 5).toString());
  log("gauge inc=" + proxy_increment_metric(gauge, 10).toString() + " dec=" + proxy_increment_metric(gauge, -3).toString());
  proxy_get_metric(gauge, RET);
  log("gauge value=" + load<u64>(RET).toString());
  log("gauge set=" + proxy_record_metric(gauge, 42).toString());
  log("hist record=" + proxy_record_metric(hist, 7).toString() + " inc=" + proxy_increment_metric(hist, 1).toString() + " get=" + proxy_get_metric(hist, RET).toString());
  log("unknown inc=" + proxy_increment_metric(400, 1).toString() + " get=" + proxy_get_metric(404, RET).toString());
  proxy_get_metric(counter, RET);
  log("counter value=" + load<u64>(RET).toString());
  return 0;
}
