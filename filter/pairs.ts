// The proxy-wasm header-pairs wire format: [u32 count][(u32 klen, u32 vlen) × count][key\0 value\0 …].
// PairsView reads a map the host returned without copying (offsets into one reusable table), so a
// request that needs nothing from its headers pays one host call and one linear scan. Every offset
// is bounds-checked: a truncated or hostile buffer yields fewer pairs, never a trap.

// Host limit is 1024 pairs for maps we send; we accept more from the host but cap the scan.
export const MAX_PAIRS: i32 = 2048;
const EMPTY_BUF = new ArrayBuffer(0);

export class PairsView {
  base: usize = 0;
  count: i32 = 0;
  truncated: bool = false;   // the map had more pairs than we scanned (or was malformed)
  buf: ArrayBuffer = EMPTY_BUF;
  // Offsets table, per view (several views can be live at once: the request snapshot stays valid
  // while the response headers are read). Grown on demand, never shrunk: no allocation per reset.
  private offs: StaticArray<i32> = new StaticArray<i32>(64 * 4);

  // Re-point the view at a new buffer.
  reset(buf: ArrayBuffer | null): void {
    this.resetLen(buf, buf === null ? 0 : <u32>buf.byteLength);
  }

  // The same for the first `len` bytes of buf (a reused buffer: host.ts getHeaderPairsInto).
  resetLen(buf: ArrayBuffer | null, len: u32): void {
    this.count = 0;
    this.truncated = false;
    if (buf === null) { this.buf = EMPTY_BUF; this.base = 0; return; }
    this.buf = buf;
    const base = changetype<usize>(buf);
    this.base = base;
    if (len > <u32>buf.byteLength) len = <u32>buf.byteLength;
    if (len < 4) return;
    const n = load<u32>(base);
    let scan = n;
    if (scan > <u32>MAX_PAIRS) { scan = <u32>MAX_PAIRS; this.truncated = true; }
    // Size table must fit before any data.
    const tableEnd = <u64>4 + <u64>n * 8;
    if (tableEnd > <u64>len) { this.truncated = true; return; }
    let off = <u32>tableEnd;
    if (<i32>scan * 4 > this.offs.length) this.offs = new StaticArray<i32>(<i32>scan * 4);
    const OFFS = this.offs;
    let i: u32 = 0;
    for (; i < scan; i++) {
      const kl = load<u32>(base + 4 + i * 8);
      const vl = load<u32>(base + 8 + i * 8);
      const kEnd = <u64>off + <u64>kl;
      const vStart = kEnd + 1;
      const vEnd = vStart + <u64>vl;
      if (vEnd + 1 > <u64>len) { this.truncated = true; break; }
      const j = <i32>i * 4;
      unchecked(OFFS[j] = <i32>off);
      unchecked(OFFS[j + 1] = <i32>kl);
      unchecked(OFFS[j + 2] = <i32>vStart);
      unchecked(OFFS[j + 3] = <i32>vl);
      off = <u32>(vEnd + 1);
    }
    this.count = <i32>i;
  }

  @inline keyPtr(i: i32): usize { return this.base + <usize>unchecked(this.offs[i * 4]); }
  @inline keyLen(i: i32): i32 { return unchecked(this.offs[i * 4 + 1]); }
  @inline valuePtr(i: i32): usize { return this.base + <usize>unchecked(this.offs[i * 4 + 2]); }
  @inline valueLen(i: i32): i32 { return unchecked(this.offs[i * 4 + 3]); }

  // Index of the first pair whose key equals the UTF-8 bytes of `key`, ASCII case-insensitively (the
  // proxy's keys are lower-case; a configured name may not be), or -1.
  findRaw(key: ArrayBuffer): i32 {
    const kl = key.byteLength;
    const kp = changetype<usize>(key);
    for (let i = 0; i < this.count; i++) {
      if (this.keyLen(i) == kl && asciiEqualsFold(this.keyPtr(i), kp, kl)) return i;
    }
    return -1;
  }

  // Index of the first pair whose key equals `name` (an ASCII lower-case literal), or -1.
  find(name: string): i32 {
    const nl = name.length;
    for (let i = 0; i < this.count; i++) {
      if (this.keyLen(i) != nl) continue;
      if (asciiEquals(this.keyPtr(i), name, nl)) return i;
    }
    return -1;
  }

  value(i: i32): string {
    if (i < 0 || i >= this.count) return "";
    return String.UTF8.decodeUnsafe(this.valuePtr(i), <usize>this.valueLen(i));
  }

  key(i: i32): string {
    if (i < 0 || i >= this.count) return "";
    return String.UTF8.decodeUnsafe(this.keyPtr(i), <usize>this.keyLen(i));
  }

  get(name: string): string | null {
    const i = this.find(name);
    return i < 0 ? null : this.value(i);
  }

  has(name: string): bool { return this.find(name) >= 0; }

  // Value of `name`, "" when absent.
  str(name: string): string {
    const i = this.find(name);
    return i < 0 ? "" : this.value(i);
  }
}

// Compares `n` bytes at p with the UTF-16 code units of an ASCII string.
export function asciiEquals(p: usize, s: string, n: i32): bool {
  const sp = changetype<usize>(s);
  for (let i = 0; i < n; i++) {
    if (<u32>load<u8>(p + <usize>i) != <u32>load<u16>(sp + (<usize>i << 1))) return false;
  }
  return true;
}

function asciiEqualsFold(a: usize, b: usize, n: i32): bool {
  for (let i = 0; i < n; i++) {
    let x = <u32>load<u8>(a + <usize>i), y = <u32>load<u8>(b + <usize>i);
    if (x == y) continue;
    if (x - 0x41 < 26) x |= 0x20;
    if (y - 0x41 < 26) y |= 0x20;
    if (x != y) return false;
  }
  return true;
}

// Serializes pairs for proxy_send_local_response / gRPC initial metadata.
export function serializePairs(keys: Array<string>, values: Array<string>): ArrayBuffer {
  const n = min(keys.length, values.length);
  const kb = new Array<ArrayBuffer>(n);
  const vb = new Array<ArrayBuffer>(n);
  let size = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    const k = String.UTF8.encode(unchecked(keys[i]));
    const v = String.UTF8.encode(unchecked(values[i]));
    unchecked(kb[i] = k);
    unchecked(vb[i] = v);
    size += k.byteLength + v.byteLength + 2;
  }
  const out = new ArrayBuffer(size);
  const base = changetype<usize>(out);
  store<u32>(base, <u32>n);
  let off: usize = 4 + <usize>n * 8;
  for (let i = 0; i < n; i++) {
    const k = unchecked(kb[i]);
    const v = unchecked(vb[i]);
    store<u32>(base + 4 + <usize>i * 8, <u32>k.byteLength);
    store<u32>(base + 8 + <usize>i * 8, <u32>v.byteLength);
    memory.copy(base + off, changetype<usize>(k), k.byteLength);
    off += <usize>k.byteLength + 1;
    memory.copy(base + off, changetype<usize>(v), v.byteLength);
    off += <usize>v.byteLength + 1;
  }
  return out;
}
