// Thin, non-throwing wrappers over the host functions the filter uses.
// The SDK's wrappers throw (CHECK_RESULT → abort → trap) on any non-Ok status and log with string
// concatenation on every call; on the live path a host error must be logged and ignored instead
// (fail open), so every wrapper here returns a status or an empty value and never aborts.
import * as imports from "@gcoredev/proxy-wasm-sdk-as/assembly/imports";
import { __unpin } from "rt/itcms";
import { OK } from "./abi";

// Out-params for host calls: a static scratch area, so no call allocates to receive results.
const OUT: usize = memory.data(32);
const OUT_PTR: usize = OUT;       // u32 pointer written by the host (buffer from our malloc)
const OUT_SIZE: usize = OUT + 4;  // u32 size
const OUT_U32: usize = OUT + 8;   // u32 (cas, token, metric id, status)
const OUT_U64: usize = OUT + 16;  // u64 (time, metric value)

export const EMPTY = new ArrayBuffer(0);

// The context id of the callback being run (set by index.ts on every entry).
let current: u32 = 0;
export function setCurrentContext(id: u32): void { current = id; headerEpoch++; }

// Bumped on every callback entry and every header mutation: a copy of a header map read earlier
// (request-headers.ts) is current only while the epoch it was read in lasts.
let headerEpoch: u32 = 1;
export function currentHeaderEpoch(): u32 { return headerEpoch; }
export function currentContext(): u32 { return current; }

export const LOG_TRACE: u32 = 0;
export const LOG_DEBUG: u32 = 1;
export const LOG_INFO: u32 = 2;
export const LOG_WARN: u32 = 3;
export const LOG_ERROR: u32 = 4;

export function log(level: u32, msg: string): void {
  const b = String.UTF8.encode(msg);
  imports.proxy_log(level, changetype<usize>(b), b.byteLength);
}

// Memory the module lends the host for the result of the next host call: the host allocates a
// result through our malloc (index.ts), which returns the lent region once when the size fits, so a
// per-request read (the request's header map, a body chunk) writes where the module wants it and
// costs no GC allocation. Lent only around one call; cleared after it whatever happened.
let lentPtr: usize = 0;
let lentCap: usize = 0;
export function takeLent(size: usize): usize {
  const p = lentPtr;
  if (p == 0 || size > lentCap) return 0;
  lentPtr = 0;
  return p;
}
@inline function lend(ptr: usize, cap: usize): void { lentPtr = ptr; lentCap = cap; }
// Size of the result of the last *Into call.
export let lastSize: u32 = 0;

// Takes ownership of a buffer the host allocated through our malloc (which pins it).
function takeOut(status: u32): ArrayBuffer | null {
  const ptr = <usize>load<u32>(OUT_PTR);
  const size = load<u32>(OUT_SIZE);
  if (ptr == 0) return status == OK ? EMPTY : null;
  const buf = changetype<ArrayBuffer>(ptr);
  __unpin(ptr);
  if (status != OK) return null;
  // Defensive: the host must not claim more bytes than it allocated.
  if (<i32>size < buf.byteLength) return buf.slice(0, <i32>size);
  return buf;
}

@inline function clearOut(): void {
  store<u32>(OUT_PTR, 0);
  store<u32>(OUT_SIZE, 0);
}

// Raw serialized pairs of a header map (see pairs.ts), written into `into` when they fit (returns
// `into`, lastSize = their size), else in a buffer the host allocated; null when the map is unavailable.
export function getHeaderPairsInto(mapType: i32, into: ArrayBuffer): ArrayBuffer | null {
  clearOut();
  lend(changetype<usize>(into), <usize>into.byteLength);
  return afterLent(imports.proxy_get_header_map_pairs(mapType, OUT_PTR, OUT_SIZE), into);
}

// After a host call made with `into` lent: `into` when the host wrote there (lastSize = the size it
// wrote), else the buffer it allocated (takeOut); null when the call failed.
function afterLent(status: u32, into: ArrayBuffer): ArrayBuffer | null {
  lend(0, 0);
  if (<usize>load<u32>(OUT_PTR) == changetype<usize>(into)) {
    lastSize = min(load<u32>(OUT_SIZE), <u32>into.byteLength);
    return status == OK ? into : null;
  }
  const b = takeOut(status);
  lastSize = b === null ? 0 : <u32>b.byteLength;
  return b;
}

// Value of a header by pre-encoded name (no per-call encoding); null when absent/unavailable.
export function getHeaderRaw(mapType: i32, key: ArrayBuffer): ArrayBuffer | null {
  clearOut();
  return takeOut(imports.proxy_get_header_map_value(mapType, changetype<usize>(key), key.byteLength, OUT_PTR, OUT_SIZE));
}

// Header mutations: name and value are encoded into one reused buffer when they fit (no allocation
// per mutation), else into a buffer of their own.
const textBuf = new ArrayBuffer(1024);
const OP_REPLACE: i32 = 0;
const OP_ADD: i32 = 1;
const OP_REMOVE: i32 = 2;

function mutateHeader(op: i32, mapType: i32, name: string, value: string): u32 {
  const kl = <usize>String.UTF8.byteLength(name), vl = <usize>String.UTF8.byteLength(value);
  const own: ArrayBuffer = kl + vl <= <usize>textBuf.byteLength ? textBuf : new ArrayBuffer(<i32>(kl + vl));
  const k = changetype<usize>(own), v = k + kl;
  String.UTF8.encodeUnsafe(changetype<usize>(name), name.length, k);
  String.UTF8.encodeUnsafe(changetype<usize>(value), value.length, v);
  headerEpoch++;
  if (op == OP_REMOVE) return imports.proxy_remove_header_map_value(mapType, k, kl);
  if (op == OP_ADD) return imports.proxy_add_header_map_value(mapType, k, kl, v, vl);
  return imports.proxy_replace_header_map_value(mapType, k, kl, v, vl);
}

export function replaceHeader(mapType: i32, name: string, value: string): u32 {
  return mutateHeader(OP_REPLACE, mapType, name, value);
}

export function addHeader(mapType: i32, name: string, value: string): u32 {
  return mutateHeader(OP_ADD, mapType, name, value);
}

export function removeHeader(mapType: i32, name: string): u32 {
  return mutateHeader(OP_REMOVE, mapType, name, "");
}

export function getBuffer(bufferType: i32, start: u32, max: u32): ArrayBuffer | null {
  clearOut();
  return takeOut(imports.proxy_get_buffer_bytes(bufferType, start, max, OUT_PTR, OUT_SIZE));
}

// Copies up to `max` bytes of a buffer to dst (lent to the host: it writes them there); returns the
// count copied.
export function copyBuffer(bufferType: i32, start: u32, max: u32, dst: usize): u32 {
  clearOut();
  lend(dst, <usize>max);
  const st = imports.proxy_get_buffer_bytes(bufferType, start, max, OUT_PTR, OUT_SIZE);
  lend(0, 0);
  if (<usize>load<u32>(OUT_PTR) == dst) return st == OK ? min(load<u32>(OUT_SIZE), max) : 0;
  const b = takeOut(st);
  if (b === null) return 0;
  let n = <u32>b.byteLength;
  if (n > max) n = max;
  memory.copy(dst, changetype<usize>(b), n);
  return n;
}

// `path` segments are separated by "\0", e.g. "xds\0listener_direction".
export function getProperty(path: string): ArrayBuffer | null {
  return getPropertyRaw(String.UTF8.encode(path));
}
// The same with the path pre-encoded (per-request reads encode it once).
export function getPropertyRaw(path: ArrayBuffer): ArrayBuffer | null {
  clearOut();
  return takeOut(imports.proxy_get_property(changetype<usize>(path), path.byteLength, OUT_PTR, OUT_SIZE));
}

// The same, written into `into` when it fits (see getHeaderPairsInto; lastSize = the value's size).
export function getPropertyInto(path: ArrayBuffer, into: ArrayBuffer): ArrayBuffer | null {
  clearOut();
  lend(changetype<usize>(into), <usize>into.byteLength);
  return afterLent(imports.proxy_get_property(changetype<usize>(path), path.byteLength, OUT_PTR, OUT_SIZE), into);
}

export function getPropertyString(path: string): string {
  const b = getProperty(path);
  return b === null ? "" : String.UTF8.decode(b);
}

export function setProperty(path: string, value: string): u32 {
  const p = String.UTF8.encode(path);
  const v = String.UTF8.encode(value);
  return imports.proxy_set_property(changetype<usize>(p), p.byteLength, changetype<usize>(v), v.byteLength);
}

export function nowNanos(): u64 {
  store<u64>(OUT_U64, 0);
  imports.proxy_get_current_time_nanoseconds(OUT_U64);
  return load<u64>(OUT_U64);
}

export function sendLocalResponse(status: u32, details: string, body: ArrayBuffer, headerPairs: ArrayBuffer): u32 {
  return sendLocalReply(status, String.UTF8.encode(details), body, headerPairs);
}

// details: the response-code details, UTF-8 encoded (hot paths encode them once).
export function sendLocalReply(status: u32, details: ArrayBuffer, body: ArrayBuffer, headerPairs: ArrayBuffer): u32 {
  // grpc_status -1 (as u32) = no grpc-status header (Envoy ignores values outside 0..16).
  return imports.proxy_send_local_response(status, changetype<usize>(details), details.byteLength,
    changetype<usize>(body), body.byteLength, changetype<usize>(headerPairs), headerPairs.byteLength, <u32>-1);
}

export function setTickPeriod(ms: u32): void {
  imports.proxy_set_tick_period_milliseconds(ms);
}

// Shared data (process-wide per vm_id). lastCas holds the cas of the last successful get.
export let lastCas: u32 = 0;
export function sharedGet(key: ArrayBuffer): ArrayBuffer | null {
  clearOut();
  store<u32>(OUT_U32, 0);
  const st = imports.proxy_get_shared_data(changetype<usize>(key), key.byteLength, OUT_PTR, OUT_SIZE, OUT_U32);
  const b = takeOut(st);
  lastCas = st == OK ? load<u32>(OUT_U32) : 0;
  return b;
}
export function sharedSet(key: ArrayBuffer, value: ArrayBuffer, cas: u32): u32 {
  return imports.proxy_set_shared_data(changetype<usize>(key), key.byteLength, changetype<usize>(value), value.byteLength, cas);
}

export function defineMetric(kind: i32, name: string): u32 {
  const n = String.UTF8.encode(name);
  store<u32>(OUT_U32, 0);
  if (imports.proxy_define_metric(kind, changetype<usize>(n), n.byteLength, OUT_U32) != OK) return 0;
  return load<u32>(OUT_U32);
}
export function incrementMetric(id: u32, delta: i64): void {
  if (id != 0) imports.proxy_increment_metric(id, delta);
}

// Scratch u32 out-param for abi.ts calls that return a token.
export function tokenOut(): usize { store<u32>(OUT_U32, 0); return OUT_U32; }
export function tokenValue(): u32 { return load<u32>(OUT_U32); }
