// Lockstep scan of two JSON texts (live and shadow bodies are mostly the same text): the byte-identical
// spans are found natively and never parsed; the first text is tokenized once into a tree of value
// offsets (its Skeleton, shared by the scans against a candidate and a secondary); at each divergence the smallest value the diff can take alone is cut out of both
// texts — the differing value itself, or its enclosing object when the divergence is structural (a
// key, whitespace, a separator), or the outermost array around it (an array's elements decide its
// 'size' / 'order' differences and unordered matching together) — and only those units are parsed
// and diffed (diff.ts), at their path. The walk then emits exactly what the walk over both parsed
// bodies emits: the same differences in the same order.
//
// Whatever would make that untrue answers undefined (the caller parses both bodies): invalid JSON on
// either side, nesting past MAX_JSON_DEPTH, a divergence before or after the top-level value, and an
// object holding a unit with a duplicate key (JSON.parse keeps the last value at the first key's
// position) or a key starting with a digit (integer-like keys iterate first, out of text order). So
// does a scan that would not pay: the whole body as one unit, or units past half of it.

import { MAX_JSON_DEPTH } from './normalize.js';

/** One value to diff: its path (object keys from the body root: a unit is never inside an array). */
export interface Unit {
  keys: string[];
  aStart: number;
  aEnd: number;
  bStart: number;
  bEnd: number;
}

export interface Lockstep {
  units: Unit[];
  /** values tokenized outside the units: an upper bound on the walk's visits there (its work budget) */
  nodes: number;
  /**
   * An array nested in an array holds arrays or more than 32 elements outside the units: there an
   * unordered array's equality check may spend more than one unit of work per node (multiset.ts).
   */
  deepArrays: boolean;
}

const OBJ = 0;
const ARR = 1;
// what the tokenizer expects next
const VALUE = 0;
const VALUE_OR_CLOSE = 1; // after '['
const KEY_OR_CLOSE = 2; // after '{'
const KEY = 3; // after ',' in an object
const COLON = 4;
const AFTER = 5; // after a value in a container
const END = 6; // after the top-level value

/** bytes compared by hand before native chunks (divergences come in clusters) */
const SHORT = 16;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for (JSON forbids them raw in strings)
const CONTROL = /[\u0000-\u001f]/;

// The live text is tokenized once into a tree of value nodes (its skeleton), shared by the lockstep
// scans against each shadow (candidate, secondary), and only as far as a scan needs it: a scan that
// gives up early leaves the rest of the text untokenized. Nodes are in text order (pre-order), in
// arrays shared by the module (synchronous): only the newest skeleton is current, an older one is
// rebuilt (skeletonOf).
const OPEN_END = 0x7fffffff; // end of a container not closed yet
const STR = 2;
const PRIM = 3; // number or literal
let generation = 0;
let cap = 0;
let nStart = new Int32Array(0);
let nEnd = new Int32Array(0);
let nParent = new Int32Array(0);
let nNext = new Int32Array(0); // the node after this one's subtree
let nKeyS = new Int32Array(0); // its key in the parent object (start, end of the quoted text)
let nKeyE = new Int32Array(0);
let nOuter = new Int32Array(0); // the outermost array holding it, or -1
let nKind = new Uint8Array(0);
let nLevel = new Uint8Array(0);
// per open container of the current skeleton: its node, its element count (arrays)
const CAP = MAX_JSON_DEPTH + 1;
const openNode = new Int32Array(CAP);
const elements = new Int32Array(CAP);

function grow(): void {
  const c = Math.max(1024, cap * 2);
  const i32 = (old: Int32Array) => {
    const x = new Int32Array(c);
    x.set(old);
    return x;
  };
  const u8 = (old: Uint8Array) => {
    const x = new Uint8Array(c);
    x.set(old);
    return x;
  };
  nStart = i32(nStart);
  nEnd = i32(nEnd);
  nParent = i32(nParent);
  nNext = i32(nNext);
  nKeyS = i32(nKeyS);
  nKeyE = i32(nKeyE);
  nOuter = i32(nOuter);
  nKind = u8(nKind);
  nLevel = u8(nLevel);
  cap = c;
}

/** One text's tokenization, extended on demand; invalid JSON (as JSON.parse reads it) stops it for good. */
export class Skeleton {
  readonly gen = ++generation;
  count = 0;
  invalid = false;
  /** arrays nested in an array that hold arrays or more than 32 elements (Lockstep.deepArrays) */
  readonly deep: number[] = [];
  private p = 0;
  private state = VALUE;
  private depth = 0;
  private arrays = 0;
  private keyS = -1;
  private keyE = -1;
  private nextEsc: number; // next backslash: strings without one end at the next quote
  // Strings need a per-character check for control characters only where the text holds any; the
  // first few strings are checked one by one (a scan that stops early never searches the whole text).
  private low = true;
  private checked = 0;

  constructor(readonly text: string) {
    this.nextEsc = text.indexOf('\\');
  }

  get current(): boolean {
    return this.gen === generation;
  }

  /**
   * Tokenizes on while tokens start at or before `to` and node `until` (when ≥ 0) is open; false when
   * the text is invalid. Past the end, true means the whole text is one valid JSON value.
   */
  extend(to: number, until: number): boolean {
    if (this.invalid) return false;
    const a = this.text;
    const n = a.length;
    let { p, state, depth, arrays, keyS, keyE, nextEsc, low, checked, count } = this;
    let ok = true;
    for (;;) {
      if (until >= 0 && nEnd[until] !== OPEN_END) break;
      let c = code(a, p);
      while (c === 32 || c === 10 || c === 13 || c === 9) c = code(a, ++p);
      if (p > to) break;
      if (p >= n) {
        ok = state === END;
        break;
      }
      let closing = -1;
      if (state === VALUE || state === VALUE_OR_CLOSE) {
        if (c === 93 /* ] */ && state === VALUE_OR_CLOSE) closing = ARR;
        else {
          if (count === cap) grow();
          const x = count++;
          const par = depth > 0 ? openNode[depth - 1] : -1;
          nStart[x] = p;
          nParent[x] = par;
          nLevel[x] = depth;
          if (par < 0) nOuter[x] = -1;
          else if (nKind[par] === OBJ) {
            nKeyS[x] = keyS;
            nKeyE[x] = keyE;
            nOuter[x] = nOuter[par];
          } else {
            elements[depth - 1]++;
            nOuter[x] = nOuter[par] >= 0 ? nOuter[par] : par;
          }
          if (c === 123 /* { */ || c === 91 /* [ */) {
            if (depth === MAX_JSON_DEPTH) {
              ok = false;
              break;
            }
            const k = c === 123 ? OBJ : ARR;
            nKind[x] = k;
            nEnd[x] = OPEN_END;
            openNode[depth] = x;
            elements[depth] = 0;
            if (k === ARR) arrays++;
            depth++;
            p++;
            state = k === OBJ ? KEY_OR_CLOSE : VALUE_OR_CLOSE;
          } else {
            const str = c === 34; /* " */
            const e = str
              ? stringEnd(a, p, nextEsc, low)
              : c === 45 || (c >= 48 && c <= 57)
                ? numberEnd(a, p)
                : literalEnd(a, p, c);
            if (e < 0) {
              ok = false;
              break;
            }
            if (str) {
              if (nextEsc >= 0 && nextEsc < e) nextEsc = a.indexOf('\\', e);
              if (low && checked >= 0 && (checked += e - p) > 256) {
                low = CONTROL.test(a);
                checked = -1;
              }
            }
            nKind[x] = str ? STR : PRIM;
            nEnd[x] = e;
            nNext[x] = x + 1;
            p = e;
            state = depth === 0 ? END : AFTER;
          }
        }
      } else if (state === KEY_OR_CLOSE || state === KEY) {
        if (c === 125 /* } */ && state === KEY_OR_CLOSE) closing = OBJ;
        else {
          const e = c === 34 ? stringEnd(a, p, nextEsc, low) : -1;
          if (e < 0) {
            ok = false;
            break;
          }
          if (nextEsc >= 0 && nextEsc < e) nextEsc = a.indexOf('\\', e);
          if (low && checked >= 0 && (checked += e - p) > 256) {
            low = CONTROL.test(a);
            checked = -1;
          }
          keyS = p;
          keyE = e;
          p = e;
          state = COLON;
        }
      } else if (state === COLON) {
        if (c !== 58 /* : */) {
          ok = false;
          break;
        }
        p++;
        state = VALUE;
      } else if (state === AFTER) {
        const k = nKind[openNode[depth - 1]];
        if (c === 44 /* , */) {
          p++;
          state = k === OBJ ? KEY : VALUE;
        } else if (c === (k === OBJ ? 125 : 93)) closing = k;
        else {
          ok = false;
          break;
        }
      } else {
        ok = false; // END: only whitespace may follow the top-level value
        break;
      }
      if (closing >= 0) {
        const x = openNode[depth - 1];
        nEnd[x] = p + 1;
        nNext[x] = count;
        if (closing === ARR) {
          if (arrays >= 3 || (arrays >= 2 && elements[depth - 1] > 31)) this.deep.push(x);
          arrays--;
        }
        p++;
        depth--;
        state = depth === 0 ? END : AFTER;
      }
    }
    this.p = p;
    this.state = state;
    this.depth = depth;
    this.arrays = arrays;
    this.keyS = keyS;
    this.keyE = keyE;
    this.nextEsc = nextEsc;
    this.low = low;
    this.checked = checked;
    this.count = count;
    if (!ok) this.invalid = true;
    return ok;
  }
}

/** The skeleton of text: `prev` when it is that text's and still current, else a new one. */
export function skeletonOf(text: string, prev?: Skeleton): Skeleton {
  return prev && prev.text === text && prev.current ? prev : new Skeleton(text);
}

/** The last node starting at or before d, or -1. */
function nodeAt(count: number, d: number): number {
  let lo = 0,
    hi = count; // nStart[lo-1] <= d < nStart[hi]
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (nStart[mid] <= d) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * `a`: the first text, or its skeleton (skeletonOf) when it is compared with more than one text.
 * `bytes`: the texts' bytes when both are ASCII (offsets agree), so that equal stretches compare
 * natively rather than character by character.
 */
export function lockstep(a: string | Skeleton, b: string, bytes?: [Buffer, Buffer]): Lockstep | undefined {
  const sk = typeof a === 'string' ? new Skeleton(a) : skeletonOf(a.text, a);
  const t = sk.text;
  const n = t.length;
  const units: Unit[] = [];
  const unitNodes: number[] = [];
  let delta = 0; // b offset - a offset, constant between units
  let i = 0; // where the scan goes on in a (after the last unit)
  let bEsc = -2; // b's first backslash, once a unit needs it
  let tail = -1; // where the common tail of a and b starts in a, once a container unit needs it

  for (;;) {
    // the next divergence at or after i
    const lim = Math.min(n, b.length - delta);
    let d = i;
    if (bytes && lim - i > SHORT) d = i + equalPrefix(bytes[0], i, bytes[1], i + delta, lim - i);
    else while (d < lim && t.charCodeAt(d) === b.charCodeAt(d + delta)) d++;
    if (d === n && d + delta === b.length) break;
    if (!sk.extend(d, -1)) return undefined;

    // What the divergence cuts: the value starting at d or a primitive spanning it (`at`; a number or
    // literal ending at d may go on in b), else (structural: a key, whitespace, a separator) the
    // innermost container open at d. Nodes before i are the last unit's or the containers around it.
    const x = nodeAt(sk.count, d);
    let at = -1;
    let open = -1;
    if (x >= 0) {
      const s = nStart[x];
      const k = nKind[x];
      if (s >= i && (s === d || (k === STR ? nEnd[x] > d : k === PRIM && nEnd[x] >= d))) at = x;
      else {
        let y = k <= ARR ? x : nParent[x];
        while (y >= 0 && nEnd[y] <= d) y = nParent[y];
        open = y;
      }
    }
    // the unit around the divergence: the outermost open array, else the value at `at`, else the
    // innermost open object; nothing open means before or after the top-level value
    const outer =
      at >= 0 ? nOuter[at] : open < 0 ? -1 : nOuter[open] >= 0 ? nOuter[open] : nKind[open] === ARR ? open : -1;
    const u = outer >= 0 ? outer : at >= 0 ? at : open;
    if (u < 0) return undefined;
    const level = nLevel[u];
    const aS = nStart[u];
    const container = nKind[u] <= ARR;
    // the whole body as one unit, or units past half of it: parsing both whole is cheaper. A container
    // unit reaching from its start to the last difference (the common tail known natively) says so
    // before any scan.
    if (level === 0) return undefined;
    if (bytes && container) {
      if (tail < 0) tail = n - equalSuffix(bytes[0], bytes[1], Math.min(n, b.length));
      if (tail - aS > n >> 1) return undefined;
    }
    while (units.length && units[units.length - 1].aStart >= aS) {
      units.pop();
      unitNodes.pop();
    }
    let inUnits = 0;
    for (const v of units) inUnits += v.aEnd - v.aStart;
    const limit = aS + (n >> 1) - inUnits;
    if (container ? !sk.extend(limit, u) || nEnd[u] > limit : aS >= limit) return undefined;
    // b's offsets before the unit: those after the last unit kept (a container may hold units popped)
    const last = units[units.length - 1];
    const bS = aS + (last ? last.bEnd - last.aEnd : 0);
    if (bEsc === -2) bEsc = b.indexOf('\\');
    const aE = nEnd[u];
    const bE = scanValue(b, bS, MAX_JSON_DEPTH - level, bEsc < 0);
    if (bE < 0) return undefined;
    const keys = new Array<string>(level);
    for (let y = u; nLevel[y] > 0; y = nParent[y]) keys[nLevel[y] - 1] = keyText(t, nKeyS[y], nKeyE[y]);
    units.push({ keys, aStart: aS, aEnd: aE, bStart: bS, bEnd: bE });
    unitNodes.push(u);
    i = aE;
    delta = bE - aE;
  }

  // no divergence left: a must be valid to its end
  if (!sk.extend(n, -1)) return undefined;
  let nodes = sk.count;
  for (const u of unitNodes) nodes -= nNext[u] - u - 1;
  // the objects holding a unit: parse order and for…in order must be text order
  const checked: number[] = [];
  for (const u of unitNodes)
    for (let y = nParent[u]; y >= 0 && !checked.includes(y); y = nParent[y]) {
      checked.push(y);
      if (!plainKeys(t, y)) return undefined;
    }
  let deepArrays = false;
  for (const x of sk.deep) if (!unitNodes.some((u) => x >= u && x < nNext[u])) deepArrays = true;
  return { units, nodes, deepArrays };
}

/**
 * End (after the closing quote) of the string at p, or -1 when JSON.parse would reject it. `esc` is a
 * hint: the next backslash at or after p, or -1; `check`: look for control characters (not allowed).
 */
function stringEnd(s: string, p: number, esc: number, check: boolean): number {
  let k = p + 1;
  let q = -1;
  for (;;) {
    if (q < k) {
      q = s.indexOf('"', k);
      if (q < 0) return -1;
    }
    if (esc >= 0 && esc < k) esc = s.indexOf('\\', k);
    const stop = esc >= 0 && esc < q ? esc : q;
    if (check) for (let j = k; j < stop; j++) if (s.charCodeAt(j) < 32) return -1;
    if (stop === q) return q + 1;
    // an escape before the quote: validate it and go on after it
    const e = s.charCodeAt(esc + 1);
    if (e === 117 /* u */) {
      for (let j = esc + 2; j < esc + 6; j++) if (!isHex(s.charCodeAt(j))) return -1;
      k = esc + 6;
    } else if (e === 34 || e === 92 || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116)
      k = esc + 2;
    else return -1;
  }
}

/**
 * How many bytes of x from i equal y from j (at most n): a few by hand (divergences come in clusters),
 * then doubling chunks compared natively, then a bisection of the chunk that differs.
 */
function equalPrefix(x: Buffer, i: number, y: Buffer, j: number, n: number): number {
  let k = 0;
  for (; k < SHORT; k++) if (x[i + k] !== y[j + k]) return k;
  let step = 64;
  while (k < n) {
    const len = Math.min(step, n - k);
    if (x.compare(y, j + k, j + k + len, i + k, i + k + len) !== 0) {
      let lo = k,
        hi = k + len;
      while (hi - lo > SHORT) {
        const mid = (lo + hi) >>> 1;
        if (x.compare(y, j + lo, j + mid, i + lo, i + mid) === 0) lo = mid;
        else hi = mid;
      }
      while (x[i + lo] === y[j + lo]) lo++;
      return lo;
    }
    k += len;
    step *= 2;
  }
  return n;
}

/** How many trailing bytes of x and y are equal (at most n), found like equalPrefix but backwards. */
function equalSuffix(x: Buffer, y: Buffer, n: number): number {
  const xe = x.length,
    ye = y.length;
  let k = 0;
  for (; k < SHORT && k < n; k++) if (x[xe - 1 - k] !== y[ye - 1 - k]) return k;
  let step = 64;
  while (k < n) {
    const len = Math.min(step, n - k);
    if (x.compare(y, ye - k - len, ye - k, xe - k - len, xe - k) !== 0) {
      let lo = k,
        hi = k + len;
      while (hi - lo > SHORT) {
        const mid = (lo + hi) >>> 1;
        if (x.compare(y, ye - mid, ye - lo, xe - mid, xe - lo) === 0) lo = mid;
        else hi = mid;
      }
      while (x[xe - 1 - lo] === y[ye - 1 - lo]) lo++;
      return lo;
    }
    k += len;
    step *= 2;
  }
  return n;
}

/** charCodeAt without reading past the end (V8 deoptimizes out-of-bounds reads): -1 there. */
function code(s: string, k: number): number {
  return k < s.length ? s.charCodeAt(k) : -1;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** End of the JSON number at p, or -1 (the grammar exactly: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?). */
function numberEnd(s: string, p: number): number {
  let k = p;
  if (code(s, k) === 45) k++;
  let c = code(s, k);
  if (c === 48) c = code(s, ++k);
  else if (c >= 49 && c <= 57) while (c >= 48 && c <= 57) c = code(s, ++k);
  else return -1;
  if (c === 46 /* . */) {
    c = code(s, ++k);
    if (!(c >= 48 && c <= 57)) return -1;
    while (c >= 48 && c <= 57) c = code(s, ++k);
  }
  if (c === 101 || c === 69) {
    c = code(s, ++k);
    if (c === 43 || c === 45) c = code(s, ++k);
    if (!(c >= 48 && c <= 57)) return -1;
    while (c >= 48 && c <= 57) c = code(s, ++k);
  }
  return k;
}

function literalEnd(s: string, p: number, c: number): number {
  const word = c === 116 ? 'true' : c === 102 ? 'false' : c === 110 ? 'null' : '';
  return word !== '' && s.startsWith(word, p) ? p + word.length : -1;
}

/** A key's text: the characters between the quotes, or JSON.parse's reading of its escapes. */
function keyText(s: string, start: number, end: number): string {
  const t = s.slice(start + 1, end - 1);
  return t.includes('\\') ? (JSON.parse(s.slice(start, end)) as string) : t;
}

/** The keys of object node o: none twice, none starting with a digit. */
function plainKeys(s: string, o: number): boolean {
  const names: string[] = [];
  for (let c = o + 1; c < nNext[o]; c = nNext[c]) {
    const key = keyText(s, nKeyS[c], nKeyE[c]);
    const ch = key.charCodeAt(0);
    if (ch >= 48 && ch <= 57) return false;
    names.push(key);
  }
  if (names.length > 16) return new Set(names).size === names.length;
  for (let x = 1; x < names.length; x++) for (let y = 0; y < x; y++) if (names[x] === names[y]) return false;
  return true;
}

const vkind = new Uint8Array(CAP);
/**
 * End of the JSON value at p (whitespace before it skipped), or -1: invalid as JSON.parse reads it,
 * containers nested past maxDepth, or a container running past `limit`. noEscapes: s holds no
 * backslash (spares a search per call).
 */
export function scanValue(s: string, p: number, maxDepth: number, noEscapes = false, limit = s.length): number {
  let depth = 0;
  let state = VALUE;
  let esc = noEscapes ? -1 : s.indexOf('\\', p);
  const n = Math.min(s.length, limit);
  for (;;) {
    let c = code(s, p);
    while (c === 32 || c === 10 || c === 13 || c === 9) c = code(s, ++p);
    if (p >= n) return -1;
    if (state === KEY_OR_CLOSE || state === KEY) {
      if (c === 125 && state === KEY_OR_CLOSE) {
        p++;
        if (--depth === 0) return p;
        state = AFTER;
        continue;
      }
      if (c !== 34) return -1;
      p = stringEnd(s, p, esc, true);
      if (p < 0) return -1;
      if (esc >= 0 && esc < p) esc = s.indexOf('\\', p);
      state = COLON;
    } else if (state === COLON) {
      if (c !== 58) return -1;
      p++;
      state = VALUE;
    } else if (state === AFTER) {
      const k = vkind[depth - 1];
      if (c === 44) {
        p++;
        state = k === OBJ ? KEY : VALUE;
        continue;
      }
      if (c !== (k === OBJ ? 125 : 93)) return -1;
      p++;
      if (--depth === 0) return p;
    } else if (c === 93 && state === VALUE_OR_CLOSE) {
      p++;
      if (--depth === 0) return p;
      state = AFTER;
    } else if (c === 123 || c === 91) {
      if (depth === maxDepth) return -1;
      vkind[depth++] = c === 123 ? OBJ : ARR;
      p++;
      state = c === 123 ? KEY_OR_CLOSE : VALUE_OR_CLOSE;
    } else {
      const str = c === 34;
      p = str ? stringEnd(s, p, esc, true) : c === 45 || (c >= 48 && c <= 57) ? numberEnd(s, p) : literalEnd(s, p, c);
      if (p < 0) return -1;
      if (str && esc >= 0 && esc < p) esc = s.indexOf('\\', p);
      if (depth === 0) return p;
      state = AFTER;
    }
  }
}
