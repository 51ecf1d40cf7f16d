// The multiset comparison as it was before keys became digests (multiset.ts before 2026-12-08): the
// canonical text of every element, counted in a Map. Kept only as the reference of the differential
// test (multiset.test.ts): the digests must give the same results and spend the same budget.
import { keyMemo, spend, typeOf } from '../../../control-plane/src/compare/budget.js';
import { classify, MASKS } from '../../../control-plane/src/compare/detectors.js';
import type { CompiledSpec } from '../../../control-plane/src/compare/normalize.js';
import { EMPTY_STATE, FLAG_IGNORE, FLAG_UNORDERED, type MatchState } from '../../../control-plane/src/compare/paths.js';

const hasOwn = Object.prototype.hasOwnProperty;

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
  // b's keys are kept for the second pass (computing them twice was the cliff past PAIRWISE_MAX)
  const counts = new Map<string, number>();
  const keysB = new Array<string>(b.length);
  for (let j = 0; j < b.length; j++) {
    const k = canonical(b[j], c, el);
    keysB[j] = k;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const restA: unknown[] = [];
  for (const x of a) {
    const k = canonical(x, c, el);
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
      const next = m && state.length ? m.step(state, k, false) : EMPTY_STATE;
      if (m && next.length && m.flags(next) & FLAG_IGNORE) continue;
      if (!hasOwn.call(y, k) || !same(x[k], y[k], c, next)) return false;
    }
    for (const k in y) {
      if (hasOwn.call(x, k)) continue;
      const next = m && state.length ? m.step(state, k, false) : EMPTY_STATE;
      if (!(m && next.length && m.flags(next) & FLAG_IGNORE)) return false;
    }
    return true;
  }
  if (!c.anyDetector) return false;
  const ca = classify(a);
  return ca !== undefined && c.detectors[ca] && ca === classify(b);
}

/** Order-independent text of a value with ignored paths dropped and enabled detector classes masked. */
export function canonical(v: unknown, c: CompiledSpec, state: MatchState): string {
  spend(1);
  if (v === null || typeof v !== 'object') {
    if (c.anyDetector) {
      const k = classify(v);
      if (k && c.detectors[k]) return MASKS[k];
    }
    return primitiveText(v);
  }
  // One parsed value sits at one path, so its key is the same whenever it is asked for in a run.
  // the run's memo held strings then; this copy runs alone in its budget run, so the cast is safe
  const keys = keyMemo() as unknown as WeakMap<object, string> | undefined;
  const hit = keys?.get(v);
  if (hit !== undefined) return hit;
  const s = canonicalObject(v, c, state);
  spend(s.length);
  if (s.length > 256) keys?.set(v, s); // small values are cheaper to rebuild than to look up
  return s;
}

/** JSON.stringify of a primitive (undefined as 'null'), without the call for the common cases. */
function primitiveText(v: unknown): string {
  // the JS scan beats the native call only on short strings
  if (typeof v === 'string') return v.length <= 64 && plainString(v) ? '"' + v + '"' : JSON.stringify(v);
  if (typeof v === 'number') return Number.isFinite(v) ? '' + v : 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return JSON.stringify(v) ?? 'null';
}

/** No character JSON.stringify would escape: quote, backslash, control characters, surrogates. */
function plainString(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch < 0x20 || ch === 0x22 || ch === 0x5c || (ch >= 0xd800 && ch <= 0xdfff)) return false;
  }
  return true;
}

/** Object.keys(v).sort() for the few keys an object usually has: insertion sort, same order. */
function sortedKeys(v: object): string[] {
  const names = Object.keys(v);
  if (names.length > 16) return names.sort();
  for (let i = 1; i < names.length; i++) {
    const k = names[i];
    let j = i - 1;
    for (; j >= 0 && names[j] > k; j--) names[j + 1] = names[j];
    names[j + 1] = k;
  }
  return names;
}

function canonicalObject(v: object, c: CompiledSpec, state: MatchState): string {
  const m = c.paths;
  if (Array.isArray(v)) {
    const el = m && state.length ? m.step(state, '*', true) : EMPTY_STATE;
    const parts = v.map((x) => canonical(x, c, el));
    if (m && state.length && m.flags(state) & FLAG_UNORDERED) parts.sort();
    return '[' + parts.join(',') + ']';
  }
  const names = sortedKeys(v);
  let s = '{';
  for (let i = 0; i < names.length; i++) {
    const k = names[i];
    const next = m && state.length ? m.step(state, k, false) : EMPTY_STATE;
    if (next.flags & FLAG_IGNORE) continue;
    s +=
      (plainString(k) ? '"' + k + '"' : JSON.stringify(k)) +
      ':' +
      canonical((v as Record<string, unknown>)[k], c, next) +
      ',';
  }
  return s + '}';
}
