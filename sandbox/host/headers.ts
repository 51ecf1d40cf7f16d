// Envoy's header map semantics, as the filter observes them through the ABI: keys are lower-cased,
// pseudo-headers stay in front, `get` sees the first value only, `set` (setCopy) removes every value
// then appends one (envoy.reloadable_features.http_set_copy_replace_all_headers, default on), and the
// size the ABI reports is HeaderMap::byteSize() (sum of key and value bytes).
// Also the proxy-wasm "pairs" wire format (cpp-host src/pairs_util.cc) with its limits.

export type HeaderList = Array<[string, string]>;

export class HeaderMap {
  private entries: HeaderList;
  // The map in the pairs wire format, dropped on every change. Envoy's header keys and values are
  // bytes (HeaderString) before any filter runs, so its get_header_map_pairs only copies them
  // (cpp-host src/exports.cc get_header_map_pairs → PairsUtil::marshalPairs); a JS string has to be
  // encoded first, work Envoy has no counterpart for in the filter's call. The codec point
  // (toHeaderMap) encodes it, as Envoy's codec produces the bytes; a change re-encodes on the next read.
  private wire: Buffer | undefined;

  constructor(init: Iterable<readonly [string, string]> = []) {
    this.entries = [];
    for (const [k, v] of init) this.add(k, v);
  }

  get size(): number {
    return this.entries.length;
  }
  get byteSize(): number {
    return this.entries.reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  }

  // Plain loops below: these run on every header host call, so no per-call closures or arrays.
  get(key: string): string | undefined {
    const k = key.toLowerCase();
    for (const e of this.entries) if (e[0] === k) return e[1];
    return undefined;
  }
  getAll(key: string): string[] {
    const k = key.toLowerCase();
    const out: string[] = [];
    for (const e of this.entries) if (e[0] === k) out.push(e[1]);
    return out;
  }
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  add(key: string, value: string): void {
    this.wire = undefined;
    const k = key.toLowerCase();
    if (k[0] === ':') {
      // Envoy keeps pseudo-headers ahead of regular headers whatever the insertion order.
      let i = 0;
      while (i < this.entries.length && this.entries[i][0][0] === ':') i++;
      if (i === this.entries.length) this.entries.push([k, value]);
      else this.entries.splice(i, 0, [k, value]);
    } else {
      this.entries.push([k, value]);
    }
  }
  set(key: string, value: string): void {
    this.remove(key);
    this.add(key, value);
  }
  remove(key: string): void {
    this.wire = undefined;
    const k = key.toLowerCase();
    this.entries = this.entries.filter((e) => e[0] !== k);
  }
  clear(): void {
    this.wire = undefined;
    this.entries = [];
  }
  /** The pairs wire format of the map as it is now (encodePairs), kept until the next change. */
  pairs(): Buffer {
    this.wire ??= encodePairs(this.entries);
    return this.wire;
  }

  /** Values of repeated keys joined with "," (how Envoy's `request.headers` property presents them). */
  joined(): Map<string, string> {
    const m = new Map<string, string>();
    for (const [k, v] of this.entries) m.set(k, m.has(k) ? `${m.get(k)},${v}` : v);
    return m;
  }
  toList(): HeaderList {
    return this.entries.map(([k, v]) => [k, v]);
  }
  clone(): HeaderMap {
    return new HeaderMap(this.entries);
  }
}

export type HeadersInit = Iterable<readonly [string, string]> | Record<string, string>;
/** Headers as they arrive from a peer (the codec's output in Envoy: header bytes exist before any
 *  filter runs, so the wire form is built here, not in the filter's first read). */
export function toHeaderMap(init: HeadersInit | undefined): HeaderMap {
  const m = !init
    ? new HeaderMap()
    : Symbol.iterator in init
      ? new HeaderMap(init as Iterable<readonly [string, string]>)
      : new HeaderMap(Object.entries(init));
  m.pairs();
  return m;
}

/** cpp-host include/proxy-wasm/limits.h: larger input from the module is treated as an empty map. */
export const PAIRS_MAX_BYTES = 1 << 20;
export const PAIRS_MAX_COUNT = 1024;

/** Pairs wire format: u32 count, count × (u32 key len, u32 value len), then each key\0 value\0.
 *  Every header map arriving at the host is encoded (toHeaderMap), so the usual case — all strings,
 *  all ASCII — is one concatenation and one native write; anything else is encoded pair by pair. */
export function encodePairs(pairs: ReadonlyArray<readonly [string | Uint8Array, string | Uint8Array]>): Buffer {
  const n = pairs.length;
  let data = '';
  for (let i = 0; i < n; i++) {
    const k = pairs[i][0];
    const v = pairs[i][1];
    if (typeof k !== 'string' || typeof v !== 'string') return encodeEach(pairs);
    data += `${k}\0${v}\0`;
  }
  if (NON_ASCII.test(data)) return encodeEach(pairs);
  const hdr = 4 + n * 8;
  const out = Buffer.allocUnsafe(hdr + data.length);
  out.write(data, hdr, 'latin1');
  putU32(out, 0, n);
  for (let i = 0; i < n; i++) {
    putU32(out, 4 + i * 8, pairs[i][0].length);
    putU32(out, 8 + i * 8, pairs[i][1].length);
  }
  return out;
}

const NON_ASCII = /[\u0080-\uffff]/;

function putU32(out: Buffer, off: number, v: number): void {
  out[off] = v & 0xff;
  out[off + 1] = (v >>> 8) & 0xff;
  out[off + 2] = (v >>> 16) & 0xff;
  out[off + 3] = v >>> 24;
}

function encodeEach(pairs: ReadonlyArray<readonly [string | Uint8Array, string | Uint8Array]>): Buffer {
  const n = pairs.length;
  let size = 4 + n * 8;
  for (let i = 0; i < n; i++) size += byteLength(pairs[i][0]) + byteLength(pairs[i][1]) + 2;
  const out = Buffer.allocUnsafe(size);
  putU32(out, 0, n);
  let off = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    const kl = put(out, pairs[i][0], off);
    off += kl + 1;
    const vl = put(out, pairs[i][1], off);
    off += vl + 1;
    putU32(out, 4 + i * 8, kl);
    putU32(out, 8 + i * 8, vl);
  }
  return out;
}

function byteLength(x: string | Uint8Array): number {
  if (typeof x !== 'string') return x.length;
  for (let i = 0; i < x.length; i++) if (x.charCodeAt(i) >= 0x80) return Buffer.byteLength(x, 'utf8');
  return x.length;
}

/** Writes x at off followed by a NUL (space known to fit); returns its byte length. */
function put(out: Buffer, x: string | Uint8Array, off: number): number {
  let len: number;
  if (typeof x === 'string') len = out.write(x, off, 'utf8');
  else {
    out.set(x, off);
    len = x.length;
  }
  out[off + len] = 0;
  return len;
}

/** Decodes the pairs format; malformed or over-limit input yields [] as cpp-host PairsUtil::toPairs. */
export function decodePairs(data: Uint8Array): HeaderList {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < 4 || buf.length > PAIRS_MAX_BYTES) return [];
  const n = buf.readUInt32LE(0);
  if (n > PAIRS_MAX_COUNT || 4 + n * 8 > buf.length) return [];
  const out: HeaderList = [];
  let off = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    const kl = buf.readUInt32LE(4 + i * 8),
      vl = buf.readUInt32LE(8 + i * 8);
    if (off + kl + vl + 2 > buf.length) return [];
    const k = buf.toString('utf8', off, off + kl);
    off += kl + 1;
    const v = buf.toString('utf8', off, off + vl);
    off += vl + 1;
    out.push([k, v]);
  }
  return out;
}
