// AssemblyScript bindings of the proxy-wasm ABI 0.2.1 host functions with their exact signatures, plus
// small helpers. Probes import what they use; AssemblyScript emits only the imports actually called.

@external("env", "proxy_log") export declare function proxy_log(level: i32, ptr: usize, len: usize): i32;
@external("env", "proxy_get_header_map_value") export declare function proxy_get_header_map_value(t: i32, kp: usize, kl: usize, rp: usize, rs: usize): i32;
@external("env", "proxy_add_header_map_value") export declare function proxy_add_header_map_value(t: i32, kp: usize, kl: usize, vp: usize, vl: usize): i32;
@external("env", "proxy_replace_header_map_value") export declare function proxy_replace_header_map_value(t: i32, kp: usize, kl: usize, vp: usize, vl: usize): i32;
@external("env", "proxy_remove_header_map_value") export declare function proxy_remove_header_map_value(t: i32, kp: usize, kl: usize): i32;
@external("env", "proxy_get_header_map_pairs") export declare function proxy_get_header_map_pairs(t: i32, rp: usize, rs: usize): i32;
@external("env", "proxy_get_header_map_size") export declare function proxy_get_header_map_size(t: i32, rs: usize): i32;
@external("env", "proxy_get_buffer_bytes") export declare function proxy_get_buffer_bytes(t: i32, start: u32, len: u32, rp: usize, rs: usize): i32;
@external("env", "proxy_get_buffer_status") export declare function proxy_get_buffer_status(t: i32, rs: usize, rf: usize): i32;
@external("env", "proxy_set_buffer_bytes") export declare function proxy_set_buffer_bytes(t: i32, start: u32, len: u32, dp: usize, dl: usize): i32;
@external("env", "proxy_get_property") export declare function proxy_get_property(pp: usize, pl: usize, rp: usize, rs: usize): i32;
@external("env", "proxy_set_property") export declare function proxy_set_property(pp: usize, pl: usize, vp: usize, vl: usize): i32;
@external("env", "proxy_continue_stream") export declare function proxy_continue_stream(t: i32): i32;
@external("env", "proxy_close_stream") export declare function proxy_close_stream(t: i32): i32;
@external("env", "proxy_send_local_response") export declare function proxy_send_local_response(status: u32, dp: usize, dl: usize, bp: usize, bl: usize, hp: usize, hl: usize, grpc: i32): i32;
@external("env", "proxy_set_effective_context") export declare function proxy_set_effective_context(id: u32): i32;
@external("env", "proxy_http_call") export declare function proxy_http_call(up: usize, ul: usize, hp: usize, hl: usize, bp: usize, bl: usize, tp: usize, tl: usize, timeout: u32, tokenPtr: usize): i32;
@external("env", "proxy_grpc_call") export declare function proxy_grpc_call(sp: usize, sl: usize, np: usize, nl: usize, mp: usize, ml: usize, dp: usize, dl: usize, qp: usize, ql: usize, timeout: u32, tokenPtr: usize): i32;
@external("env", "proxy_grpc_stream") export declare function proxy_grpc_stream(sp: usize, sl: usize, np: usize, nl: usize, mp: usize, ml: usize, dp: usize, dl: usize, tokenPtr: usize): i32;
@external("env", "proxy_grpc_send") export declare function proxy_grpc_send(token: u32, mp: usize, ml: usize, end: u32): i32;
@external("env", "proxy_grpc_close") export declare function proxy_grpc_close(token: u32): i32;
@external("env", "proxy_grpc_cancel") export declare function proxy_grpc_cancel(token: u32): i32;
@external("env", "proxy_get_status") export declare function proxy_get_status(cp: usize, mp: usize, ms: usize): i32;
@external("env", "proxy_set_shared_data") export declare function proxy_set_shared_data(kp: usize, kl: usize, vp: usize, vl: usize, cas: u32): i32;
@external("env", "proxy_get_shared_data") export declare function proxy_get_shared_data(kp: usize, kl: usize, rp: usize, rs: usize, casPtr: usize): i32;
@external("env", "proxy_register_shared_queue") export declare function proxy_register_shared_queue(np: usize, nl: usize, tokenPtr: usize): i32;
@external("env", "proxy_resolve_shared_queue") export declare function proxy_resolve_shared_queue(vp: usize, vl: usize, np: usize, nl: usize, tokenPtr: usize): i32;
@external("env", "proxy_enqueue_shared_queue") export declare function proxy_enqueue_shared_queue(token: u32, dp: usize, dl: usize): i32;
@external("env", "proxy_dequeue_shared_queue") export declare function proxy_dequeue_shared_queue(token: u32, rp: usize, rs: usize): i32;
@external("env", "proxy_define_metric") export declare function proxy_define_metric(t: i32, np: usize, nl: usize, idPtr: usize): i32;
@external("env", "proxy_increment_metric") export declare function proxy_increment_metric(id: u32, delta: i64): i32;
@external("env", "proxy_record_metric") export declare function proxy_record_metric(id: u32, value: u64): i32;
@external("env", "proxy_get_metric") export declare function proxy_get_metric(id: u32, rp: usize): i32;
@external("env", "proxy_set_tick_period_milliseconds") export declare function proxy_set_tick_period_milliseconds(ms: u32): i32;

/** Out-parameters: [0] pointer / value, [4] size, [8] cas or u64 result. */
export const RET: usize = memory.data(16);

export function malloc(size: usize): usize { return heap.alloc(size); }

export function buf(s: string): ArrayBuffer { return String.UTF8.encode(s); }
export function ptr(b: ArrayBuffer): usize { return changetype<usize>(b); }

export function log(msg: string): void {
  const b = buf(msg);
  proxy_log(2, ptr(b), b.byteLength);
}

/** The bytes the host returned through RET (pointer, size). */
export function retBytes(): ArrayBuffer {
  const p = load<u32>(RET);
  const n = load<u32>(RET + 4);
  const out = new ArrayBuffer(n);
  if (n > 0) memory.copy(changetype<usize>(out), p, n);
  return out;
}
export function retString(): string { return String.UTF8.decode(retBytes()); }

export function hex(b: ArrayBuffer): string {
  const u = Uint8Array.wrap(b);
  let s = "";
  for (let i = 0; i < u.length; i++) s += (u[i] < 16 ? "0" : "") + u[i].toString(16);
  return s;
}

/** get_header_map_value → "rc:value". */
export function getHeader(map: i32, key: string): string {
  const k = buf(key);
  const rc = proxy_get_header_map_value(map, ptr(k), k.byteLength, RET, RET + 4);
  return rc == 0 ? "0:" + retString() : rc.toString() + ":";
}
export function addHeader(map: i32, key: string, value: string): i32 {
  const k = buf(key), v = buf(value);
  return proxy_add_header_map_value(map, ptr(k), k.byteLength, ptr(v), v.byteLength);
}
export function replaceHeader(map: i32, key: string, value: string): i32 {
  const k = buf(key), v = buf(value);
  return proxy_replace_header_map_value(map, ptr(k), k.byteLength, ptr(v), v.byteLength);
}
export function removeHeader(map: i32, key: string): i32 {
  const k = buf(key);
  return proxy_remove_header_map_value(map, ptr(k), k.byteLength);
}
/** Pairs serialized with the proxy-wasm pairs format. */
export function pairs(kv: string[]): ArrayBuffer {
  const n = kv.length / 2;
  let size = 4 + n * 8;
  const enc: ArrayBuffer[] = [];
  for (let i = 0; i < kv.length; i++) { const e = buf(kv[i]); enc.push(e); size += e.byteLength + 1; }
  const out = new ArrayBuffer(size);
  const base = changetype<usize>(out);
  store<u32>(base, n);
  let off: usize = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    store<u32>(base + 4 + i * 8, enc[2 * i].byteLength);
    store<u32>(base + 8 + i * 8, enc[2 * i + 1].byteLength);
  }
  for (let i = 0; i < enc.length; i++) {
    memory.copy(base + off, changetype<usize>(enc[i]), enc[i].byteLength);
    off += enc[i].byteLength;
    store<u8>(base + off, 0);
    off += 1;
  }
  return out;
}
