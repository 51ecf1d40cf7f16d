// Structural JSON diff (Diffy §3.3, reference/response-diffing.md): typed terminal differences
// value / type / missing / extra / order / size, flattened to dotted paths WITHOUT array indices
// (elements are the segment '*', so 'body.items.*.price' counts once per pair however many items
// differ). Ignore, unordered and redact rules apply during the walk (one PathMatcher state per node);
// detectors decide whether two differing values are volatile of the same class (masked when enabled,
// always suggested). Allocation-light: a shared segment stack, paths joined only when a difference is
// emitted, no stringify unless an array needs a multiset comparison.
//
// Cost: every node visit spends one unit of the pair's work budget (budget.ts); arrays compared as
// multisets (unordered, or to tell an 'order' difference) go through multiset.ts.
import type { Difference, DiffKind } from '../domain/types.js';
import { spend, typeOf } from './budget.js';
import { classify, type DetectorClass } from './detectors.js';
import { sameInOrder, unmatched } from './multiset.js';
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
    const f = root.flags;
    if (f & FLAG_IGNORE) return;
    this.walk(live, shadow, root, (f & FLAG_REDACT) !== 0);
  }

  /**
   * The walk's visit of one value below the root, at `keys` (object keys from the body root), as run()
   * over the whole bodies makes it: same rules, redaction, budget and once-per-path bookkeeping.
   * `values` is asked only when the policy does not ignore that path.
   */
  runAt(keys: readonly string[], values: () => [unknown, unknown]): void {
    let state = this.m ? this.m.root : EMPTY_STATE;
    if (state.flags & FLAG_IGNORE) return;
    let red = (state.flags & FLAG_REDACT) !== 0;
    for (let i = 0; i < keys.length; i++) {
      const next = this.child(state, keys[i], false, red);
      if (next === undefined) return;
      red = this.childRedacted;
      state = next;
    }
    const [a, b] = values();
    this.segs.length = 0;
    for (let i = 0; i < keys.length; i++) this.segs.push(keys[i]);
    this.walk(a, b, state, red);
    this.segs.length = 0;
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
    const unordered = (state.flags & FLAG_UNORDERED) !== 0;
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
    if (state.length === 0) return EMPTY_STATE; // no rule below (always so without path rules)
    const next = this.m!.step(state, seg, isElement);
    const f = next.flags;
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
