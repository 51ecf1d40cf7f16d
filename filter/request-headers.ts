// Request-header reads by name for the hot path: one proxy_get_header_map_value per header with
// names pre-encoded once, so an untouched request costs a few hash lookups in the proxy and no
// serialization of the whole map (get_header_map_pairs is only used where every value matters:
// repeated baggage headers). Envoy returns the FIRST value of a repeated header.
import { getHeaderRaw, getHeaderPairs } from "./host";
import { REQUEST_HEADERS } from "./abi";
import { PairsView } from "./pairs";

export const K_SHADOW = String.UTF8.encode("x-shadow");
export const K_PAIR = String.UTF8.encode("x-shadow-pair");
export const K_BAGGAGE = String.UTF8.encode("baggage");
export const K_REQUEST_ID = String.UTF8.encode("x-request-id");
export const K_AUTHORITY = String.UTF8.encode(":authority");
export const K_PATH = String.UTF8.encode(":path");
export const K_METHOD = String.UTF8.encode(":method");

export function reqRaw(key: ArrayBuffer): ArrayBuffer | null {
  return getHeaderRaw(REQUEST_HEADERS, key);
}

export function reqHas(key: ArrayBuffer): bool {
  return getHeaderRaw(REQUEST_HEADERS, key) !== null;
}

// Value as a string ("" when absent). Invalid UTF-8 decodes leniently, never traps.
export function reqStr(key: ArrayBuffer): string {
  const b = getHeaderRaw(REQUEST_HEADERS, key);
  return b === null ? "" : String.UTF8.decode(b);
}

const all = new PairsView();

// Every value of a (possibly repeated) request header, in order.
export function reqAll(name: string): Array<string> {
  all.reset(getHeaderPairs(REQUEST_HEADERS));
  const out = new Array<string>();
  for (let i = 0; i < all.count; i++) {
    if (all.keyLen(i) == name.length && all.key(i) == name) out.push(all.value(i));
  }
  if (all.truncated) {
    // A map too large to scan whole: at least the first value, as the proxy reports it.
    const first = reqStr(String.UTF8.encode(name));
    if (first.length > 0 && !out.includes(first)) out.unshift(first);
  }
  all.reset(null);
  return out;
}
