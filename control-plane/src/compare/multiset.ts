// Multiset equality of JSON arrays, as the diff sees it (ignored paths skipped, enabled detector
// classes masked, unordered arrays compared as multisets): `same` (deep equality) and `unmatched` (what
// is left of two arrays after removing equal elements). Small arrays are matched pairwise, larger ones
// by each element's multiset key (its canonical text, below); both spend from the pair's work budget
// (budget.ts), so nested unordered arrays stay O(size) keys instead of O(n² × inner) (issue 14 finding
// 8: a 32 × 1,000 body took 110–138 ms). The keys are charged but not built: a digest (hash + exact
// length) per element and an equality check that holds exactly when two keys are equal replace them.
import { type KeyDigest, keyMemo, spend, typeOf } from './budget.js';
import { classify, type DetectorClass, MASKS } from './detectors.js';
import type { CompiledSpec } from './normalize.js';
import { EMPTY_STATE, FLAG_IGNORE, FLAG_UNORDERED, type MatchState } from './paths.js';

const hasOwn = Object.prototype.hasOwnProperty;

/** Element-wise `same`. */
export function sameInOrder(a: unknown[], b: unknown[], c: CompiledSpec, el: MatchState): boolean {
  for (let i = 0; i < a.length; i++) if (!same(a[i], b[i], c, el)) return false;
  return true;
}

const PAIRWISE_MAX = 32;

/** Elements of a and b left after removing equal pairs (equality under ignore + enabled detectors). */
export function unmatched(
  a: unknown[],
  b: unknown[],
  c: CompiledSpec,
  el: MatchState,
): { restA: unknown[]; restB: unknown[] } {
  // Small arrays of scalars or objects: pairwise equality stops at the first differing field, far
  // cheaper than the canonical text of every element. Arrays of arrays always take the canonical path
  // (nested unordered arrays made pairwise matching quadratic in issue 14 finding 8), and `same` spends
  // from the pair's work budget, so no shape escapes the bound.
  if (a.length <= PAIRWISE_MAX && b.length <= PAIRWISE_MAX && !a.some(Array.isArray) && !b.some(Array.isArray)) {
    const used = new Uint8Array(b.length);
    const restA: unknown[] = [];
    outer: for (let i = 0; i < a.length; i++) {
      for (let j = 0; j < b.length; j++) {
        if (!used[j] && same(a[i], b[j], c, el)) {
          used[j] = 1;
          continue outer;
        }
      }
      restA.push(a[i]);
    }
    const restB: unknown[] = [];
    for (let j = 0; j < b.length; j++) if (!used[j]) restB.push(b[j]);
    return { restA, restB };
  }
  // Past PAIRWISE_MAX every element gets a multiset key (the canonical text, below). The keys are not
  // built: each element's digest (a hash and the key's exact length) is charged as building the key
  // was, and elements of equal hash are told apart by keyEqual, which holds exactly when the keys are
  // equal. Building and hashing the texts was ~45 % of the time and the cliff at 33 elements (issue 13).
  const hb = new Int32Array(b.length);
  for (let j = 0; j < b.length; j++) hb[j] = chargedDigest(b[j], NO_PARTNER, c, el);
  collisions = 0;
  const progress = { charged: 0 };
  try {
    return matchByDigest(a, b, hb, c, el, progress);
  } catch (e) {
    if (e !== COLLIDED) throw e;
    // every element is still charged once, whichever way it is matched
    for (let i = progress.charged; i < a.length; i++) chargedDigest(a[i], NO_PARTNER, c, el);
    return matchByText(a, b, c, el);
  }
}

/** Failed equality checks of equal digests in one unmatched() before it matches by key text instead. */
const COLLISIONS_MAX = 32;
let collisions = 0;
/** Thrown (and caught in unmatched) when digests collide often: crafted input would make it quadratic. */
const COLLIDED = new Error('multiset digests collide');

function collided(): void {
  if (++collisions > COLLISIONS_MAX) throw COLLIDED;
}

/**
 * Classes of values with equal multiset keys, found by digest. The unit the old text keys were counted
 * by in a Map: restA and restB come out as they did (a's elements past their class's count in b, and
 * the first `count` elements of each class in b's order).
 */
class KeyClasses {
  private readonly reps: unknown[] = [];
  private readonly hashes: number[] = [];
  /** the index of each class's first member in the array added */
  readonly firsts: number[] = [];
  readonly counts: number[] = [];
  /** open addressing by digest: class + 1 per slot, 0 empty; twice the members, so never full */
  private readonly slots: Int32Array;
  private readonly mask: number;
  /** the empty slot where find() stopped: where add() puts a new class */
  private free = 0;
  /** slots passed over for another digest, bounded: crafted digests could share their low bits */
  private probes = 0;

  constructor(
    private readonly c: CompiledSpec,
    private readonly el: MatchState,
    members: number,
  ) {
    let size = 8;
    while (size < 2 * members) size *= 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
  }

  find(v: unknown, h: number): number {
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const k = this.slots[i] - 1;
      if (k < 0) {
        this.free = i;
        return -1;
      }
      if (this.hashes[k] !== h) {
        if (++this.probes > 4 * this.slots.length) throw COLLIDED;
        continue;
      }
      if (keyEqual(v, this.reps[k], this.c, this.el)) return k;
      collided();
    }
  }

  add(v: unknown, h: number, index: number): number {
    let k = this.find(v, h);
    if (k < 0) {
      k = this.reps.length;
      this.reps.push(v);
      this.hashes.push(h);
      this.firsts.push(index);
      this.counts.push(0);
      this.slots[this.free] = k + 1;
    }
    this.counts[k]++;
    return k;
  }
}

/**
 * Classes of b, then each element of a charged and matched. a's digest is walked beside a guess, the
 * element of b after the last one matched (arrays usually keep or rotate their order): when it holds
 * the same key, that walk was the equality check too and its class is known without a lookup.
 */
function matchByDigest(
  a: unknown[],
  b: unknown[],
  hb: Int32Array,
  c: CompiledSpec,
  el: MatchState,
  progress: { charged: number },
): { restA: unknown[]; restB: unknown[] } {
  const classes = new KeyClasses(c, el, b.length);
  const cls = new Int32Array(b.length);
  for (let j = 0; j < b.length; j++) cls[j] = classes.add(b[j], hb[j], j);
  const counts = classes.counts;
  const restA: unknown[] = [];
  let guess = 0;
  for (let i = 0; i < a.length; i++) {
    partnered = b.length > 0;
    const h = chargedDigest(a[i], partnered ? b[guess] : NO_PARTNER, c, el);
    progress.charged = i + 1;
    const k = partnered ? cls[guess] : classes.find(a[i], h);
    if (k >= 0) guess = ((partnered ? guess : classes.firsts[k]) + 1) % b.length;
    if (k >= 0 && counts[k] > 0) counts[k]--;
    else restA.push(a[i]);
  }
  const restB: unknown[] = [];
  for (let j = 0; j < b.length; j++) {
    if (counts[cls[j]] > 0) {
      restB.push(b[j]);
      counts[cls[j]]--;
    }
  }
  return { restA, restB };
}

/** unmatched() by the keys' text (the digests already charged): what digests that collide fall back to. */
export function matchByText(
  a: unknown[],
  b: unknown[],
  c: CompiledSpec,
  el: MatchState,
): { restA: unknown[]; restB: unknown[] } {
  const counts = new Map<string, number>();
  const keysB = new Array<string>(b.length);
  for (let j = 0; j < b.length; j++) {
    const k = keyText(b[j], c, el);
    keysB[j] = k;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const restA: unknown[] = [];
  for (const x of a) {
    const k = keyText(x, c, el);
    const n = counts.get(k) ?? 0;
    if (n > 0) counts.set(k, n - 1);
    else restA.push(x);
  }
  const restB: unknown[] = [];
  for (let j = 0; j < b.length; j++) {
    const k = keysB[j];
    const n = counts.get(k) ?? 0;
    if (n > 0) {
      restB.push(b[j]);
      counts.set(k, n - 1);
    }
  }
  return { restA, restB };
}

/** Deep equality as the diff sees it: ignored paths skipped, enabled detector classes masked. */
export function same(a: unknown, b: unknown, c: CompiledSpec, state: MatchState): boolean {
  spend(1);
  if (a === b) return true;
  const ta = typeOf(a);
  if (ta !== typeOf(b)) return false;
  const m = c.paths;
  if (ta === 'array') {
    const x = a as unknown[],
      y = b as unknown[];
    if (x.length !== y.length) return false;
    const el = m && state.length ? m.step(state, '*', true) : EMPTY_STATE;
    if (m && el.length && m.flags(el) & FLAG_IGNORE) return true;
    if (m && state.length && m.flags(state) & FLAG_UNORDERED) {
      const r = unmatched(x, y, c, el);
      return r.restA.length === 0 && r.restB.length === 0;
    }
    for (let i = 0; i < x.length; i++) if (!same(x[i], y[i], c, el)) return false;
    return true;
  }
  if (ta === 'object') {
    const x = a as Record<string, unknown>,
      y = b as Record<string, unknown>;
    for (const k in x) {
      const next = m && !state.ends ? m.step(state, k, false) : EMPTY_STATE;
      if (m && next.length && m.flags(next) & FLAG_IGNORE) continue;
      if (!hasOwn.call(y, k) || !same(x[k], y[k], c, next)) return false;
    }
    for (const k in y) {
      if (hasOwn.call(x, k)) continue;
      const next = m && !state.ends ? m.step(state, k, false) : EMPTY_STATE;
      if (!(m && next.length && m.flags(next) & FLAG_IGNORE)) return false;
    }
    return true;
  }
  if (!c.anyDetector) return false;
  const ca = classify(a);
  return ca !== undefined && c.detectors[ca] && ca === classify(b);
}

// Multiset keys. An element's key is its canonical text: JSON with object keys sorted, ignored paths
// dropped ('{"a":1,"b":[2,3],}'), enabled detector classes as their mask ('<uuid>'), the parts of
// unordered arrays sorted. The budget charges a unit per value and the key's length per container,
// except a container whose key (longer than MEMO_MIN) this run already charged: one unit then. Every
// text is self-delimiting, so two keys are equal exactly when the values are equal part by part:
// keyEqual checks that, digest() gives a hash consistent with it and the key's length, and keyText()
// builds the text itself where digests collide too often.

const MEMO_MIN = 256;
/** length of the key of the value digest() last returned (a second result without an allocation) */
let textLen = 0;

const FNV_PRIME = 0x01000193;
const TAG_STRING = 0x811c9dc5;
const TAG_ARRAY = 0x2c1b3c6d;
const TAG_SET = 0x297a2d39;
const TAG_OBJECT = 0x7feb352d;
const H_NULL = fmix(0x6e756c6c);
const H_TRUE = fmix(0x74727565);
const H_FALSE = fmix(0x66616c73);
const MASK_HASH: Record<DetectorClass, number> = {
  uuid: fmix(0x75756964),
  timestamp: fmix(0x74696d65),
  token: fmix(0x746f6b65),
};
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** murmur3's finalizer: spreads every input bit over the word */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** units the digest under way owes the budget: spent per element, not per node (a call per node was 15 %) */
let owed = 0;

/**
 * digest() of one element, the budget charged what building its key charged. All at once after the
 * walk: only the total decides whether the budget trips (the run is abandoned then), and the walk is
 * linear in the element, which the body's size bounds.
 */
function chargedDigest(v: unknown, partner: unknown, c: CompiledSpec, el: MatchState): number {
  owed = 0;
  const h = digest(v, partner, c, el, true);
  spend(owed);
  return h;
}

/** No partner to compare with (a value of its own: JSON has no symbols). */
const NO_PARTNER = Symbol('no partner');
/** whether the value digest() walks beside its partner still has the partner's key (while one is given) */
let partnered = false;

/** Drops the partner: the key differs from it, or the walk cannot tell cheaply (then the hash decides). */
function unpartner(): typeof NO_PARTNER {
  partnered = false;
  return NO_PARTNER;
}

/**
 * Hash of v's key, its length left in textLen, its cost added to `owed`; memoized when `charge`. With
 * a partner, the walk also checks v's key against the partner's (plain structure only: a multiset or a
 * memoized value inside just drops the partner, and the caller looks the class up by hash instead).
 */
function digest(v: unknown, partner: unknown, c: CompiledSpec, state: MatchState, charge: boolean): number {
  owed++;
  if (v === null || typeof v !== 'object') {
    if (partner !== NO_PARTNER && ((partner !== null && typeof partner === 'object') || !atomEqual(v, partner, c)))
      unpartner();
    return atomDigest(v, c);
  }
  // One parsed value sits at one path, so its key is the same whenever it is asked for in a run.
  const memo = keyMemo();
  const hit = memo?.get(v);
  if (hit !== undefined) {
    if (partner !== NO_PARTNER) unpartner();
    textLen = hit.len;
    return hit.hash;
  }
  let h: number;
  if (Array.isArray(v)) {
    if (partner !== NO_PARTNER && !(Array.isArray(partner) && partner.length === v.length)) partner = unpartner();
    h = arrayDigest(v, partner, c, state, charge);
  } else {
    if (partner !== NO_PARTNER && (partner === null || typeof partner !== 'object' || Array.isArray(partner)))
      partner = unpartner();
    h = objectDigest(v, partner, c, state, charge);
  }
  const n = textLen;
  owed += n;
  if (charge && n > MEMO_MIN) memo?.set(v, { hash: h, len: n });
  textLen = n;
  return h;
}

function maskOf(v: unknown, c: CompiledSpec): DetectorClass | undefined {
  if (!c.anyDetector) return undefined;
  const k = classify(v);
  return k && c.detectors[k] ? k : undefined;
}

function atomDigest(v: unknown, c: CompiledSpec): number {
  const k = maskOf(v, c);
  if (k) {
    textLen = MASKS[k].length;
    return MASK_HASH[k];
  }
  if (typeof v === 'string') return stringDigest(v);
  if (typeof v === 'number' && Number.isFinite(v)) {
    textLen = numberTextLength(v);
    if (v === (v | 0)) return fmix((v | 0) ^ 0x3c6ef372); // -0 as 0: both print '0'
    f64[0] = v;
    return fmix(Math.imul(u32[0] ^ 0x1b873593, FNV_PRIME) ^ u32[1]);
  }
  if (typeof v === 'boolean') {
    textLen = v ? 4 : 5;
    return v ? H_TRUE : H_FALSE;
  }
  textLen = 4; // null, and what JSON.stringify prints as null
  return H_NULL;
}

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
/** below it a decimal's digits survive v × 10^k and Math.round exactly (error under half a unit) */
const DECIMAL_MAX = 2 ** 50;

/**
 * ('' + v).length, JSON.stringify's text of a finite number, without the text for what bodies hold:
 * integers (up to 1e21, printed in full) and decimals of up to 15 digits. The fewest fractional digits
 * k whose decimal round-trips is the shortest text, and round-trips exactly when round(v × 10^k) / 10^k
 * (one correctly rounded division) gives v back; anything else is printed.
 */
function numberTextLength(v: number): number {
  const a = v < 0 ? -v : v;
  const sign = v < 0 ? 1 : 0; // -0 prints '0'
  if (Number.isInteger(a) && a < 1e21) {
    let d = 1;
    while (d < 22 && a >= POW10[d]) d++;
    return sign + d;
  }
  if (a >= 1e-6 && a < 1e15) {
    for (let k = 1; k <= 15; k++) {
      const r = Math.round(a * POW10[k]);
      if (r >= DECIMAL_MAX) break;
      if (r / POW10[k] === a) {
        let d = 1; // digits of the integer part, '0' for a < 1
        while (a >= POW10[d]) d++;
        return sign + d + 1 + k;
      }
    }
  }
  return ('' + v).length;
}

/** FNV-1a of the UTF-16 units; textLen = the length of JSON.stringify(s) */
function stringDigest(s: string): number {
  let h = TAG_STRING,
    n = s.length + 2;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h = Math.imul(h ^ ch, FNV_PRIME);
    if (ch < 0x20) n += ch === 8 || ch === 9 || ch === 10 || ch === 12 || ch === 13 ? 1 : 5;
    else if (ch === 0x22 || ch === 0x5c) n += 1;
    else if (ch >= 0xd800 && ch <= 0xdfff) {
      const lo = ch <= 0xdbff && i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        h = Math.imul(h ^ lo, FNV_PRIME);
        i++;
      } else n += 5; // a lone surrogate is printed \udXXX
    }
  }
  textLen = n;
  return fmix(h);
}

function arrayDigest(v: unknown[], partner: unknown, c: CompiledSpec, state: MatchState, charge: boolean): number {
  const m = c.paths;
  const el = m && state.length ? m.step(state, '*', true) : EMPTY_STATE;
  const unordered = m && state.length && m.flags(state) & FLAG_UNORDERED;
  if (unordered && partner !== NO_PARTNER) partner = unpartner();
  let n = v.length === 0 ? 2 : v.length + 1; // brackets and commas
  let h = unordered ? TAG_SET : TAG_ARRAY;
  for (let i = 0; i < v.length; i++) {
    const e = digest(v[i], partner !== NO_PARTNER && partnered ? (partner as unknown[])[i] : NO_PARTNER, c, el, charge);
    n += textLen;
    // unordered: a sum, as the sorted parts make the key independent of the order
    h = unordered ? (h + fmix(e)) | 0 : Math.imul(h ^ e, FNV_PRIME);
  }
  textLen = n;
  return fmix(h ^ v.length);
}

/**
 * Object keys' digests, (hash >>> 0) + 2^32 × text length: a body repeats its few keys in every
 * element, and a lookup of a parsed (interned) key beats hashing it again. Shared by runs, bounded.
 */
const keyDigests = new Map<string, number>();
const KEY_CACHE_MAX = 4096;
/** longer keys are hashed each time (a body's keys are short; the cache stays under ~1 MB) */
const KEY_CACHED_MAX_LEN = 64;

function objectDigest(v: object, partner: unknown, c: CompiledSpec, state: MatchState, charge: boolean): number {
  const m = c.paths;
  const other = partner as Record<string, unknown>;
  let n = 2,
    h = 0,
    kept = 0;
  for (const k in v) {
    if (!hasOwn.call(v, k)) continue; // Object.keys(v), without the array
    const next = m && !state.ends ? m.step(state, k, false) : EMPTY_STATE;
    if (next.flags & FLAG_IGNORE) continue;
    const short = k.length <= KEY_CACHED_MAX_LEN;
    const d = short ? keyDigests.get(k) : undefined;
    let hk: number, kl: number;
    if (d !== undefined) {
      hk = d | 0;
      kl = Math.floor(d / 2 ** 32);
    } else {
      hk = stringDigest(k);
      kl = textLen;
      if (short) {
        if (keyDigests.size >= KEY_CACHE_MAX) keyDigests.clear();
        keyDigests.set(k, (hk >>> 0) + 2 ** 32 * kl); // kl ≤ 6 × 64 + 2: exact
      }
    }
    let p: unknown = NO_PARTNER;
    if (partner !== NO_PARTNER && partnered) p = hasOwn.call(other, k) ? other[k] : unpartner();
    kept++;
    const hv = digest((v as Record<string, unknown>)[k], p, c, next, charge);
    n += kl + textLen + 2; // '"k":v,'
    // a sum over the fields, as the sorted keys make the key independent of their order
    h = (h + fmix(Math.imul(hk, 0x9e3779b1) ^ hv)) | 0;
  }
  if (partner !== NO_PARTNER && partnered && !keepsExactly(other, kept, c, state)) unpartner();
  textLen = n;
  return fmix(h ^ TAG_OBJECT);
}

/** o's key keeps exactly `kept` of its keys, o holding all `kept` ones its counterpart's key keeps */
function keepsExactly(o: Record<string, unknown>, kept: number, c: CompiledSpec, state: MatchState): boolean {
  const names = Object.keys(o);
  if (names.length === kept) return true;
  const m = c.paths;
  if (names.length < kept || !m || state.ends) return false;
  let n = 0;
  for (let i = 0; i < names.length; i++) if (!(m.step(state, names[i], false).flags & FLAG_IGNORE)) n++;
  return n === kept;
}

/** keyText(x) === keyText(y), without the texts. Uncharged: the digests of both were charged. */
function keyEqual(x: unknown, y: unknown, c: CompiledSpec, state: MatchState): boolean {
  if (x === y) return true;
  const ox = x !== null && typeof x === 'object',
    oy = y !== null && typeof y === 'object';
  if (!ox || !oy) return !ox && !oy && atomEqual(x, y, c);
  const ax = Array.isArray(x);
  if (ax !== Array.isArray(y)) return false;
  const m = c.paths;
  if (ax) {
    const xs = x as unknown[],
      ys = y as unknown[];
    if (xs.length !== ys.length) return false;
    const el = m && state.length ? m.step(state, '*', true) : EMPTY_STATE;
    if (m && state.length && m.flags(state) & FLAG_UNORDERED) return sameKeys(xs, ys, c, el);
    for (let i = 0; i < xs.length; i++) if (!keyEqual(xs[i], ys[i], c, el)) return false;
    return true;
  }
  const xo = x as Record<string, unknown>,
    yo = y as Record<string, unknown>;
  const names = Object.keys(xo);
  let kept = 0;
  for (let i = 0; i < names.length; i++) {
    const k = names[i];
    const next = m && !state.ends ? m.step(state, k, false) : EMPTY_STATE;
    if (next.flags & FLAG_IGNORE) continue;
    if (!hasOwn.call(yo, k) || !keyEqual(xo[k], yo[k], c, next)) return false;
    kept++;
  }
  return keepsExactly(yo, kept, c, state);
}

function atomEqual(x: unknown, y: unknown, c: CompiledSpec): boolean {
  const mx = maskOf(x, c),
    my = maskOf(y, c);
  if (mx || my) return mx === my;
  return atomValue(x) === atomValue(y); // 0 === -0: both print '0'
}

/** what JSON.stringify prints alike prints alike here: non-finite numbers and undefined as null */
function atomValue(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  return null;
}

/** Equal multisets of keys (equal lengths): the sorted parts of two unordered arrays' keys equal. */
function sameKeys(xs: unknown[], ys: unknown[], c: CompiledSpec, el: MatchState): boolean {
  const n = xs.length;
  if (n === 1) return keyEqual(xs[0], ys[0], c, el);
  const classes = new KeyClasses(c, el, n);
  for (let j = 0; j < n; j++) classes.add(ys[j], digest(ys[j], NO_PARTNER, c, el, false), j);
  const counts = classes.counts;
  for (let i = 0; i < n; i++) {
    const k = classes.find(xs[i], digest(xs[i], NO_PARTNER, c, el, false));
    if (k < 0 || counts[k] === 0) return false;
    counts[k]--;
  }
  return true;
}

/** The hash and length of v's key, uncharged (what the budget is charged for and matches by). */
export function keyDigest(v: unknown, c: CompiledSpec, state: MatchState): KeyDigest {
  const saved = owed;
  const hash = digest(v, NO_PARTNER, c, state, false);
  owed = saved;
  return { hash, len: textLen };
}

/** The key's text itself (uncharged): only where digests collide. */
export function keyText(v: unknown, c: CompiledSpec, state: MatchState): string {
  if (v === null || typeof v !== 'object') {
    const k = maskOf(v, c);
    return k ? MASKS[k] : (JSON.stringify(v) ?? 'null');
  }
  const m = c.paths;
  if (Array.isArray(v)) {
    const el = m && state.length ? m.step(state, '*', true) : EMPTY_STATE;
    const parts = v.map((x) => keyText(x, c, el));
    if (m && state.length && m.flags(state) & FLAG_UNORDERED) parts.sort();
    return '[' + parts.join(',') + ']';
  }
  const names = Object.keys(v).sort();
  let s = '{';
  for (const k of names) {
    const next = m && !state.ends ? m.step(state, k, false) : EMPTY_STATE;
    if (next.flags & FLAG_IGNORE) continue;
    s += JSON.stringify(k) + ':' + keyText((v as Record<string, unknown>)[k], c, next) + ',';
  }
  return s + '}';
}
