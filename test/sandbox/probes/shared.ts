// Probe: shared data and queues, driven by request header x-op = "<op>:<a>:<b>:<c>":
//   set:key:value:cas   get:key   register:name   resolve:vmid:name   enqueue:token:data   dequeue:token
// on_queue_ready dequeues and logs what it got.
import { log, getHeader, buf, ptr, RET, retString, proxy_set_shared_data, proxy_get_shared_data, proxy_register_shared_queue, proxy_resolve_shared_queue, proxy_enqueue_shared_queue, proxy_dequeue_shared_queue } from "./lib/host";
export { malloc } from "./lib/host";
export function proxy_abi_version_0_2_1(): void {}
export function proxy_on_context_create(id: u32, parent: u32): void {}
export function proxy_on_request_headers(id: u32, n: u32, eos: u32): u32 {
  const v = getHeader(0, "x-op");
  const a = v.slice(2).split(":");
  const op = a[0];
  if (op == "set") {
    const k = buf(a[1]), val = buf(a[2]);
    log("set rc=" + proxy_set_shared_data(ptr(k), k.byteLength, ptr(val), val.byteLength, U32.parseInt(a[3])).toString());
  } else if (op == "get") {
    const k = buf(a[1]);
    const rc = proxy_get_shared_data(ptr(k), k.byteLength, RET, RET + 4, RET + 8);
    log("get rc=" + rc.toString() + (rc == 0 ? " value=" + retString() + " cas=" + load<u32>(RET + 8).toString() : ""));
  } else if (op == "register") {
    const q = buf(a[1]);
    const rc = proxy_register_shared_queue(ptr(q), q.byteLength, RET);
    log("register rc=" + rc.toString() + " token=" + load<u32>(RET).toString());
  } else if (op == "resolve") {
    const vm = buf(a[1]), q = buf(a[2]);
    const rc = proxy_resolve_shared_queue(ptr(vm), vm.byteLength, ptr(q), q.byteLength, RET);
    log("resolve rc=" + rc.toString() + " token=" + (rc == 0 ? load<u32>(RET).toString() : "-"));
  } else if (op == "enqueue") {
    const d = buf(a[2]);
    log("enqueue rc=" + proxy_enqueue_shared_queue(U32.parseInt(a[1]), ptr(d), d.byteLength).toString());
  } else if (op == "dequeue") {
    const rc = proxy_dequeue_shared_queue(U32.parseInt(a[1]), RET, RET + 4);
    log("dequeue rc=" + rc.toString() + (rc == 0 ? " data=" + retString() : ""));
  }
  return 0;
}
export function proxy_on_queue_ready(root: u32, token: u32): void {
  const rc = proxy_dequeue_shared_queue(token, RET, RET + 4);
  log("queue_ready root=" + root.toString() + " token=" + token.toString() + " rc=" + rc.toString() + " data=" + (rc == 0 ? retString() : ""));
}
