// Envoy's header map semantics, as the filter observes them through the ABI: keys are lower-cased,
// pseudo-headers stay in front, `get` sees the first value only, `set` (setCopy) removes every value
// then appends one (envoy.reloadable_features.http_set_copy_replace_all_headers, default on), and the
// size the ABI reports is HeaderMap::byteSize() (sum of key and value bytes).
// Also the proxy-wasm "pairs" wire format (cpp-host src/pairs_util.cc) with its limits.

export type HeaderList = Array<[string, string]>;

export class HeaderMap {
  private entries: HeaderList;

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
    const k = key.toLowerCase();
    this.entries = this.entries.filter((e) => e[0] !== k);
  }
  clear(): void {
    this.entries = [];
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
  /** The entries themselves, for a synchronous read that copies what it needs (no per-call copy). */
  view(): ReadonlyArray<readonly [string, string]> {
    return this.entries;
  }
  clone(): HeaderMap {
    return new HeaderMap(this.entries);
  }
}

export type HeadersInit = Iterable<readonly [string, string]> | Record<string, string>;
export function toHeaderMap(init: HeadersInit | undefined): HeaderMap {
  if (!init) return new HeaderMap();
  if (Symbol.iterator in init) return new HeaderMap(init as Iterable<readonly [string, string]>);
  return new HeaderMap(Object.entries(init));
}

/** cpp-host include/proxy-wasm/limits.h: larger input from the module is treated as an empty map. */
export const PAIRS_MAX_BYTES = 1 << 20;
export const PAIRS_MAX_COUNT = 1024;

/** Pairs wire format: u32 count, count × (u32 key len, u32 value len), then each key\0 value\0.
 *  Strings are UTF-8-encoded straight into the output (no intermediate Buffer per key and value). */
export function encodePairs(pairs: ReadonlyArray<readonly [string | Uint8Array, string | Uint8Array]>): Buffer {
  const len = (x: string | Uint8Array): number => (typeof x === 'string' ? Buffer.byteLength(x, 'utf8') : x.length);
  let size = 4 + pairs.length * 8;
  for (const [k, v] of pairs) size += len(k) + len(v) + 2;
  const out = Buffer.alloc(size); // zero-filled: the NUL after each key and value
  out.writeUInt32LE(pairs.length, 0);
  let off = 4 + pairs.length * 8;
  const put = (x: string | Uint8Array): number => {
    let n: number;
    if (typeof x === 'string') n = out.write(x, off, 'utf8');
    else {
      out.set(x, off);
      n = x.length;
    }
    off += n + 1;
    return n;
  };
  pairs.forEach(([k, v], i) => {
    out.writeUInt32LE(put(k), 4 + i * 8);
    out.writeUInt32LE(put(v), 8 + i * 8);
  });
  return out;
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
