// Structural JSON diff (Diffy §3.3, reference/response-diffing.md): typed terminal differences
// value / type / missing / extra / order / size, flattened to dotted paths WITHOUT array indices
// (elements are the segment '*', so 'body.items.*.price' counts once per pair however many items
// differ). Ignore, unordered and redact rules apply during the walk (one PathMatcher state per node);
// detectors decide whether two differing values are volatile of the same class (masked when enabled,
// always suggested). Allocation-light: a shared segment stack, paths joined only when a difference is
// emitted, no stringify unless an array needs a multiset comparison.
//
// Cost: every node visit and every character of a multiset key spends one unit, and element keys are
// memoized per run, so nested unordered arrays cost O(size) keys instead of pairwise O(n² × inner)
// (issue 14 finding 8: a 32 × 1,000 body took 110–138 ms); diff.ts turns TooCostly into
// "not compared: too-costly".
import type { Difference, DiffKind } from '../domain/types.js';
import { classify, MASKS, type DetectorClass } from './detectors.js';
import type { CompiledSpec } from './normalize.js';
import { EMPTY_STATE, FLAG_IGNORE, FLAG_REDACT, FLAG_UNORDERED, type MatchState, type PathMatcher } from './paths.js';
import { REDACTED, redactValue } from './redact.js';

export interface EngineDifference extends Difference {
  volatile?: DetectorClass;
}
export interface Suggestion {
  path: string;
  detector: DetectorClass;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Thrown when a comparison passes its work budget; never escapes diff.ts. */
export class TooCostly extends Error {}
let budget = Number.POSITIVE_INFINITY;
let keys: WeakMap<object, string> | undefined;

/** f() with `units` of work; nested runs restore the outer budget. Synchronous only. */
export function withBudget<T>(units: number, f: () => T): T {
  const b0 = budget,
    k0 = keys;
  budget = units;
  keys = new WeakMap();
  try {
    return f();
  } finally {
    budget = b0;
    keys = k0;
  }
}

function spend(n: number): void {
  budget -= n;
  if (budget < 0) throw new TooCostly('comparison work budget exceeded');
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

export class JsonDiff {
  private readonly segs: string[] = [];
  private readonly seen = new Set<string>();
  private readonly m: PathMatcher | undefined;
  private childRedacted = false;

  constructor(
    private readonly c: CompiledSpec,
    private readonly out: EngineDifference[],
    private readonly suggestions: Suggestion[],
  ) {
    this.m = c.paths;
  }

  run(live: unknown, shadow: unknown): void {
    const root = this.m ? this.m.root : EMPTY_STATE;
    const f = this.m ? this.m.flags(root) : 0;
    if (f & FLAG_IGNORE) return;
    this.walk(live, shadow, root, (f & FLAG_REDACT) !== 0);
  }

  private walk(a: unknown, b: unknown, state: MatchState, red: boolean): void {
    spend(1);
    if (a === b) return;
    const ta = typeOf(a);
    if (ta !== typeOf(b)) {
      this.emit('type', a, b, state, red);
      return;
    }
    if (ta === 'object') this.objects(a as Record<string, unknown>, b as Record<string, unknown>, state, red);
    else if (ta === 'array') this.arrays(a as unknown[], b as unknown[], state, red);
    else this.primitives(a, b, state, red);
  }

  private objects(a: Record<string, unknown>, b: Record<string, unknown>, state: MatchState, red: boolean): void {
    for (const k in a) {
      const next = this.child(state, k, false, red);
      if (next === undefined) continue;
      const r = this.childRedacted;
      this.segs.push(k);
      if (!hasOwn.call(b, k)) this.emit('missing', a[k], undefined, next, r);
      else this.walk(a[k], b[k], next, r);
      this.segs.pop();
    }
    for (const k in b) {
      if (hasOwn.call(a, k)) continue;
      const next = this.child(state, k, false, red);
      if (next === undefined) continue;
      this.segs.push(k);
      this.emit('extra', undefined, b[k], next, this.childRedacted);
      this.segs.pop();
    }
  }

  private arrays(a: unknown[], b: unknown[], state: MatchState, red: boolean): void {
    const m = this.m;
    const unordered = m !== undefined && state.length > 0 && (m.flags(state) & FLAG_UNORDERED) !== 0;
    const el = this.child(state, '*', true, red);
    if (el === undefined) return;
    const r = this.childRedacted;
    if (unordered) {
      if (a.length === b.length && sameInOrder(a, b, this.c, el)) return;
      const { restA, restB } = unmatched(a, b, this.c, el);
      if (restA.length === 0 && restB.length === 0) return;
      if (restA.length !== restB.length) {
        this.emit('size', a.length, b.length, state, red);
        return;
      }
      this.segs.push('*');
      for (let i = 0; i < restA.length; i++) this.walk(restA[i], restB[i], el, r);
      this.segs.pop();
      return;
    }
    if (a.length !== b.length) {
      this.emit('size', a.length, b.length, state, red);
      return;
    }
    const before = this.out.length,
      sBefore = this.suggestions.length;
    this.segs.push('*');
    for (let i = 0; i < a.length; i++) this.walk(a[i], b[i], el, r);
    this.segs.pop();
    if (this.out.length > before && a.length > 1) {
      const rest = unmatched(a, b, this.c, el);
      if (rest.restA.length === 0 && rest.restB.length === 0) {
        // same multiset: one ordering difference instead of element-wise noise
        for (let i = before; i < this.out.length; i++) this.seen.delete(this.out[i].kind + ' ' + this.out[i].path);
        this.out.length = before;
        this.suggestions.length = sBefore;
        this.emit('order', undefined, undefined, state, red);
      }
    }
  }

  /**
   * The match state one segment below `state`, or undefined when the policy ignores that path; whether
   * it is redacted is left in childRedacted (a field, not a returned pair: this runs for every key).
   */
  private child(state: MatchState, seg: string, isElement: boolean, red: boolean): MatchState | undefined {
    this.childRedacted = red || (!isElement && this.c.secretKey !== undefined && this.c.secretKey(seg));
    const m = this.m;
    if (!m || state.length === 0) return EMPTY_STATE;
    const next = m.step(state, seg, isElement);
    const f = m.flags(next);
    if (f & FLAG_IGNORE) return undefined;
    if (f & FLAG_REDACT) this.childRedacted = true;
    return next;
  }

  private primitives(a: unknown, b: unknown, state: MatchState, red: boolean): void {
    const ca = classify(a);
    if (ca !== undefined && ca === classify(b)) {
      if (this.c.detectors[ca]) return;
      const path = this.path();
      if (this.emit('value', a, b, state, red, ca)) this.suggestions.push({ path, detector: ca });
      return;
    }
    this.emit('value', a, b, state, red);
  }

  private path(): string {
    let p = 'body';
    for (let i = 0; i < this.segs.length; i++) p += '.' + this.segs[i];
    return p;
  }

  /** one difference per (kind, path) per pair: Diffy counts a flattened path once per request */
  private emit(
    kind: DiffKind,
    left: unknown,
    right: unknown,
    state: MatchState,
    red: boolean,
    vol?: DetectorClass,
  ): boolean {
    const path = this.path();
    const key = kind + ' ' + path;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    const d: EngineDifference = { path, kind };
    if (left !== undefined) d.left = red ? REDACTED : this.safe(left, state);
    if (right !== undefined) d.right = red ? REDACTED : this.safe(right, state);
    if (vol) d.volatile = vol;
    this.out.push(d);
    return true;
  }

  private safe(v: unknown, state: MatchState): unknown {
    if (v === null || typeof v !== 'object' || (!this.c.hasRedactPaths && !this.c.secretKey)) return v;
    return redactValue(v, this.m, state, undefined, this.c.secretKey);
  }
}

function sameInOrder(a: unknown[], b: unknown[], c: CompiledSpec, el: MatchState): boolean {
  for (let i = 0; i < a.length; i++) if (!same(a[i], b[i], c, el)) return false;
  return true;
}

/** Elements of a and b left after removing equal pairs (equality under ignore + enabled detectors). */
const PAIRWISE_MAX = 32;

function unmatched(
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
  const counts = new Map<string, number>();
  for (const x of b) {
    const k = canonical(x, c, el);
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
  for (const x of b) {
    const k = canonical(x, c, el);
    const n = counts.get(k) ?? 0;
    if (n > 0) {
      restB.push(x);
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
    return JSON.stringify(v) ?? 'null';
  }
  // One parsed value sits at one path, so its key is the same whenever it is asked for in a run.
  const hit = keys?.get(v);
  if (hit !== undefined) return hit;
  const s = canonicalObject(v, c, state);
  spend(s.length);
  if (s.length > 256) keys?.set(v, s); // small values are cheaper to rebuild than to look up
  return s;
}

const SIMPLE_KEY = /^[\w.-]*$/;

function canonicalObject(v: object, c: CompiledSpec, state: MatchState): string {
  const m = c.paths;
  if (Array.isArray(v)) {
    const el = m && state.length ? m.step(state, '*', true) : EMPTY_STATE;
    const parts = v.map((x) => canonical(x, c, el));
    if (m && state.length && m.flags(state) & FLAG_UNORDERED) parts.sort();
    return '[' + parts.join(',') + ']';
  }
  const names = Object.keys(v).sort();
  let s = '{';
  for (const k of names) {
    const next = m && state.length ? m.step(state, k, false) : EMPTY_STATE;
    if (m && next.length && m.flags(next) & FLAG_IGNORE) continue;
    s +=
      (SIMPLE_KEY.test(k) ? '"' + k + '"' : JSON.stringify(k)) +
      ':' +
      canonical((v as Record<string, unknown>)[k], c, next) +
      ',';
  }
  return s + '}';
}
