// Request-header reads by name for the hot path. The request's header map is read once per callback
// with proxy_get_header_map_pairs (one host call and one allocation, instead of one call per header
// and one allocation per value found: the roles need 3–5 headers of every request) and looked up in
// place. The copy is dropped when the callback ends or the filter changes a header (host.ts epoch),
// so a read never sees a stale map. A map too large for the view (pairs.ts MAX_PAIRS) or malformed
// falls back to one proxy_get_header_map_value per header. Envoy returns the FIRST value of a
// repeated header; so does the view.
import { getHeaderRaw, getHeaderPairsInto, lastSize, currentHeaderEpoch } from "./host";
import { REQUEST_HEADERS } from "./abi";
import { PairsView } from "./pairs";
import { pathOnly } from "./egress";
import { knownMethod } from "./config/model";

export const K_SHADOW = String.UTF8.encode("x-shadow");
export const K_PAIR = String.UTF8.encode("x-shadow-pair");
export const K_BAGGAGE = String.UTF8.encode("baggage");
export const K_REQUEST_ID = String.UTF8.encode("x-request-id");
export const K_AUTHORITY = String.UTF8.encode(":authority");
export const K_PATH = String.UTF8.encode(":path");
export const K_METHOD = String.UTF8.encode(":method");

const snap = new PairsView();
let snapEpoch: u32 = 0;
// Where the host writes the map (a larger one gets a buffer of its own): no GC allocation per request.
const SNAP_BYTES: i32 = 4096;
const snapBuf = new ArrayBuffer(SNAP_BYTES);
// Values read one by one (fallback), kept alive as long as the snapshot would have been.
const fallbacks = new Array<ArrayBuffer>();

// The request map of this callback, or null when it cannot be scanned whole (then: per-header reads).
function snapshot(): PairsView | null {
  const e = currentHeaderEpoch();
  if (snapEpoch != e) {
    snap.resetLen(getHeaderPairsInto(REQUEST_HEADERS, snapBuf), lastSize);
    snapEpoch = e;
    if (fallbacks.length > 0) fallbacks.length = 0;
  }
  return snap.truncated ? null : snap;
}

// The whole request map of this callback, as far as the view scans (capture.request copies from it).
export function reqView(): PairsView {
  snapshot();
  return snap;
}

// Where the value of `key` lies in memory, for callers that hash or copy it without decoding; valid
// until the callback ends or a header is changed. reqFind returns false when absent (then valuePtr
// and valueLen are unchanged).
export let valuePtr: usize = 0;
export let valueLen: i32 = 0;
export function reqFind(key: ArrayBuffer): bool {
  const v = snapshot();
  if (v === null) {
    const b = getHeaderRaw(REQUEST_HEADERS, key);
    if (b === null) return false;
    fallbacks.push(b);
    valuePtr = changetype<usize>(b);
    valueLen = b.byteLength;
    return true;
  }
  const i = v.findRaw(key);
  if (i < 0) return false;
  valuePtr = v.valuePtr(i);
  valueLen = v.valueLen(i);
  return true;
}

export function reqHas(key: ArrayBuffer): bool {
  const v = snapshot();
  if (v === null) return getHeaderRaw(REQUEST_HEADERS, key) !== null;
  return v.findRaw(key) >= 0;
}

// Value as a string ("" when absent). Invalid UTF-8 decodes leniently, never traps.
export function reqStr(key: ArrayBuffer): string {
  return reqFind(key) ? String.UTF8.decodeUnsafe(valuePtr, <usize>valueLen) : "";
}

// ":method", as the shared constant when it is a known method ("" when absent).
export function reqMethod(): string {
  if (!reqFind(K_METHOD)) return "";
  const k = knownMethod(valuePtr, valueLen);
  return k !== null ? k : String.UTF8.decodeUnsafe(valuePtr, <usize>valueLen);
}

// ":path" without its query (egress.ts pathOnly of reqStr(K_PATH)), decoding only what it keeps.
// Byte and character offsets agree only while the bytes are ASCII (the lenient decoder may fold a
// '?' into a malformed sequence), so anything else takes the general route.
export function reqPathOnly(): string {
  if (!reqFind(K_PATH)) return "";
  const p = valuePtr, n = valueLen;
  for (let i = 0; i < n; i++) {
    const c = load<u8>(p + <usize>i);
    if (c == 0x3f) return String.UTF8.decodeUnsafe(p, <usize>i);
    if (c >= 0x80) return pathOnly(String.UTF8.decodeUnsafe(p, <usize>n));
  }
  return String.UTF8.decodeUnsafe(p, <usize>n);
}

// Every value of a (possibly repeated) request header, in order.
export function reqAll(name: string): Array<string> {
  snapshot(); // this callback's map, scanned as far as the view goes (the same scan when truncated)
  const out = new Array<string>();
  for (let i = 0; i < snap.count; i++) {
    if (snap.keyLen(i) == name.length && snap.key(i) == name) out.push(snap.value(i));
  }
  if (snap.truncated) {
    // A map too large to scan whole: at least the first value, as the proxy reports it.
    const first = reqStr(String.UTF8.encode(name)); // a truncated snapshot reads by name
    if (first.length > 0 && !out.includes(first)) out.unshift(first);
  }
  return out;
}
