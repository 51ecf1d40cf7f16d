// Lockstep scan of two JSON texts (live and shadow bodies are mostly the same text): the byte-identical
// spans are tokenized once, on one side, tracking only the path (open containers, current keys), and
// never parsed; at each divergence the smallest value the diff can take alone is cut out of both
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

// Per open container (synchronous, so shared): kind, start offsets in both texts, current key, where
// its keys start in the key list, whether a unit lies inside, element count.
const CAP = MAX_JSON_DEPTH + 1;
const kind = new Uint8Array(CAP);
const startA = new Int32Array(CAP);
const startB = new Int32Array(CAP);
const keyS = new Int32Array(CAP);
const keyE = new Int32Array(CAP);
const keyBase = new Int32Array(CAP);
const dirty = new Uint8Array(CAP);
const count = new Int32Array(CAP);
let keyList = new Int32Array(256);

/**
 * `bytes`: the texts' bytes when both are ASCII (offsets agree), so that equal stretches compare
 * natively rather than character by character.
 */
export function lockstep(a: string, b: string, bytes?: [Buffer, Buffer]): Lockstep | undefined {
  const units: Unit[] = [];
  let nodes = 0;
  let deepArrays = false;
  let depth = 0;
  let arrays = 0; // arrays open
  let outerArr = -1; // level of the outermost open array
  let keyTop = 0;
  let state = VALUE;
  let delta = 0; // b offset - a offset, constant between units
  let i = 0;
  let nextEsc = a.indexOf('\\'); // next backslash in a: strings without one end at the next quote
  const aEsc = nextEsc;
  let bEsc = -2; // b's first backslash, once a unit needs it
  let tail = -1; // where the common tail of a and b starts in a, once a container unit needs it
  const n = a.length;
  // Strings need a per-character check for control characters only where a holds any; the first
  // few strings are checked one by one (a scan that stops early never searches the whole text).
  let low = true;
  let checked = 0;

  for (;;) {
    // the next divergence at or after i (n + 1: none)
    const lim = Math.min(n, b.length - delta);
    let d = i;
    if (bytes && lim - i > SHORT) d = i + equalPrefix(bytes[0], i, bytes[1], i + delta, lim - i);
    else while (d < lim && a.charCodeAt(d) === b.charCodeAt(d + delta)) d++;
    if (d === n && d + delta === b.length) d = n + 1;

    // tokenize a up to d; `at` = the start of a value the divergence cuts, or -1 (structural)
    let at = -1;
    let p = i;
    scan: for (;;) {
      let c = code(a, p);
      while (c === 32 || c === 10 || c === 13 || c === 9) c = code(a, ++p);
      if (p >= d) {
        if (p === d && (state === VALUE || (state === VALUE_OR_CLOSE && c !== 93))) at = p;
        break;
      }
      if (p >= n) {
        if (state === END) return { units, nodes, deepArrays };
        return undefined; // a ended early: invalid
      }
      let closing = -1;
      switch (state) {
        case VALUE:
        case VALUE_OR_CLOSE: {
          if (c === 93 /* ] */ && state === VALUE_OR_CLOSE) {
            closing = ARR;
            break;
          }
          nodes++;
          if (c === 123 /* { */ || c === 91 /* [ */) {
            if (depth === MAX_JSON_DEPTH) return undefined;
            const k = c === 123 ? OBJ : ARR;
            kind[depth] = k;
            startA[depth] = p;
            startB[depth] = p + delta;
            dirty[depth] = 0;
            count[depth] = 0;
            keyBase[depth] = keyTop;
            if (k === ARR) {
              if (arrays === 0) outerArr = depth;
              arrays++;
            }
            depth++;
            p++;
            state = k === OBJ ? KEY_OR_CLOSE : VALUE_OR_CLOSE;
            break;
          }
          const str = c === 34; /* " */
          const e = str
            ? stringEnd(a, p, nextEsc, low)
            : c === 45 || (c >= 48 && c <= 57)
              ? numberEnd(a, p)
              : literalEnd(a, p, c);
          if (e < 0) return undefined; // invalid in a
          // a number or literal ending at d may go on in b
          if (str ? e > d : e >= d) {
            at = p;
            break scan;
          }
          if (str) {
            if (nextEsc >= 0 && nextEsc < e) nextEsc = a.indexOf('\\', e);
            if (low && checked >= 0 && (checked += e - p) > 256) {
              low = CONTROL.test(a);
              checked = -1;
            }
          }
          if (depth > 0 && kind[depth - 1] === ARR) count[depth - 1]++;
          p = e;
          state = depth === 0 ? END : AFTER;
          break;
        }
        case KEY_OR_CLOSE:
        case KEY: {
          if (c === 125 /* } */ && state === KEY_OR_CLOSE) {
            closing = OBJ;
            break;
          }
          if (c !== 34) return undefined;
          const e = stringEnd(a, p, nextEsc, low);
          if (e < 0) return undefined;
          if (e > d) break scan; // the divergence is in a key: structural
          if (nextEsc >= 0 && nextEsc < e) nextEsc = a.indexOf('\\', e);
          if (low && checked >= 0 && (checked += e - p) > 256) {
            low = CONTROL.test(a);
            checked = -1;
          }
          keyS[depth - 1] = p;
          keyE[depth - 1] = e;
          if (keyTop + 2 > keyList.length) {
            const grown = new Int32Array(keyList.length * 2);
            grown.set(keyList);
            keyList = grown;
          }
          keyList[keyTop++] = p;
          keyList[keyTop++] = e;
          p = e;
          state = COLON;
          break;
        }
        case COLON:
          if (c !== 58 /* : */) return undefined;
          p++;
          state = VALUE;
          break;
        case AFTER: {
          const k = kind[depth - 1];
          if (c === 44 /* , */) {
            p++;
            state = k === OBJ ? KEY : VALUE;
            break;
          }
          if (c !== (k === OBJ ? 125 : 93)) return undefined;
          closing = k;
          break;
        }
        default:
          return undefined; // END: only whitespace may follow the top-level value
      }
      if (closing >= 0) {
        p++;
        const l = depth - 1;
        if (closing === OBJ) {
          if (dirty[l] && !plainKeys(a, keyBase[l], keyTop)) return undefined;
        } else {
          // only arrays closed here count: those a unit swallows are the engine's
          if (arrays >= 3 || (arrays >= 2 && count[l] > 31)) deepArrays = true;
          arrays--;
          if (outerArr === l) outerArr = -1;
        }
        keyTop = keyBase[l];
        depth = l;
        if (depth > 0 && kind[depth - 1] === ARR) count[depth - 1]++;
        state = depth === 0 ? END : AFTER;
      }
    }

    // the unit around the divergence: the outermost open array, else the value at `at`, else the
    // innermost open object; nothing open means before or after the top-level value
    let level: number;
    let aS: number;
    let bS: number;
    if (outerArr >= 0) {
      level = outerArr;
      aS = startA[level];
      bS = startB[level];
    } else if (at >= 0) {
      level = depth;
      aS = at;
      bS = at + delta;
    } else {
      if (depth === 0) return undefined;
      level = depth - 1;
      aS = startA[level];
      bS = startB[level];
    }
    // the whole body as one unit, or units past half of it: parsing both whole is cheaper. A container
    // unit reaching from its start to the last difference (the common tail known natively) says so
    // before any scan.
    if (level === 0) return undefined;
    if (bytes && (code(a, aS) === 123 || code(a, aS) === 91)) {
      if (tail < 0) tail = n - equalSuffix(bytes[0], bytes[1], Math.min(n, b.length));
      if (tail - aS > n >> 1) return undefined;
    }
    while (units.length && units[units.length - 1].aStart >= aS) units.pop();
    let inUnits = 0;
    for (const u of units) inUnits += u.aEnd - u.aStart;
    if (bEsc === -2) bEsc = b.indexOf('\\');
    const aE = scanValue(a, aS, MAX_JSON_DEPTH - level, aEsc < 0, aS + (n >> 1) - inUnits);
    const bE = scanValue(b, bS, MAX_JSON_DEPTH - level, bEsc < 0);
    if (aE < 0 || bE < 0) return undefined;
    const keys = new Array<string>(level);
    for (let l = 0; l < level; l++) {
      keys[l] = keyText(a, keyS[l], keyE[l]);
      dirty[l] = 1;
    }
    units.push({ keys, aStart: aS, aEnd: aE, bStart: bS, bEnd: bE });
    if (level < depth) keyTop = keyBase[level];
    depth = level;
    arrays = 0;
    outerArr = -1;
    state = depth === 0 ? END : AFTER;
    i = aE;
    delta = bE - aE;
    if (nextEsc >= 0 && nextEsc < i) nextEsc = a.indexOf('\\', i);
  }
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

/** The keys at keyList[from..to) (start, end pairs) of an object: none twice, none starting with a digit. */
function plainKeys(s: string, from: number, to: number): boolean {
  const names: string[] = [];
  for (let k = from; k < to; k += 2) {
    const key = keyText(s, keyList[k], keyList[k + 1]);
    const c = key.charCodeAt(0);
    if (c >= 48 && c <= 57) return false;
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
