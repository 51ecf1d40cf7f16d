// Path patterns over JSON bodies: the one matcher behind ignorePaths, unorderedArrays and redactPaths.
// A pattern is dotted segments relative to the body: 'a.b', 'items.*.id', '**.timestamp'; '*' matches
// one segment, '**' zero or more. An array element is the segment '*' (paths carry no indices), and an
// array level may also be skipped, so 'items.id' and 'items.*.id' both name every element's id.
// A leading 'body.' is accepted and dropped. Matching is exact per segment (never substring: Keploy's
// substring rule silenced 'items.idempotency_key' for 'items.id', reference §6.2).

export const FLAG_IGNORE = 1;
export const FLAG_UNORDERED = 2;
export const FLAG_REDACT = 4;

/**
 * Positions (pattern index << 10 | segment index) still alive at a node, with their flags and the
 * states one segment below, computed once: a body repeats the same keys under the same paths
 * thousands of times, so a step is one Map lookup on the state itself (a WeakMap keyed by state and a
 * key string built per element step were a tenth of the diff walk).
 */
export class MatchState {
  readonly length: number;
  /** @internal */ readonly next = new Map<string, MatchState>();
  /** @internal */ elem: MatchState | undefined;
  constructor(
    /** @internal */ readonly pos: readonly number[],
    readonly flags: number,
    /** every pattern alive here ends here: a key below is EMPTY_STATE, no step needed */
    readonly ends = false,
  ) {
    this.length = pos.length;
  }
}
export const EMPTY_STATE: MatchState = new MatchState([], 0, true);

const SEG_BITS = 10;
const SEG_MASK = (1 << SEG_BITS) - 1;

export class PathMatcher {
  readonly root: MatchState;
  readonly empty: boolean;
  private readonly segs: string[][] = [];
  private readonly ruleFlags: number[] = [];

  constructor(rules: ReadonlyArray<{ pattern: string; flag: number }>) {
    for (const r of rules) {
      let p = String(r.pattern).trim();
      if (p.startsWith('body.')) p = p.slice(5);
      else if (p === 'body') p = '';
      const segs = (p === '' ? [] : p.split('.').filter((s) => s !== '')).filter(
        (s, i, all) => !(s === '**' && all[i - 1] === '**'),
      );
      if (segs.length > SEG_MASK) continue;
      this.segs.push(segs);
      this.ruleFlags.push(r.flag);
    }
    this.empty = this.segs.length === 0;
    const root = new PosSet();
    for (let i = 0; i < this.segs.length; i++) this.addClosed(root, i << SEG_BITS);
    this.root = this.state(root.list);
  }

  step(state: MatchState, key: string, isArrayElement: boolean): MatchState {
    if (state.length === 0) return EMPTY_STATE;
    // an element is the segment '*' (every caller passes it so): one slot per state
    if (isArrayElement)
      return key === '*' ? (state.elem ??= this.compute(state, key, true)) : this.compute(state, key, true);
    const hit = state.next.get(key);
    if (hit) return hit;
    const out = this.compute(state, key, false);
    if (state.next.size < 512) state.next.set(key, out);
    return out;
  }

  private state(list: number[]): MatchState {
    if (list.length === 0) return EMPTY_STATE;
    let f = 0,
      ends = true;
    for (let k = 0; k < list.length; k++) {
      const pos = list[k];
      const p = pos >>> SEG_BITS;
      if ((pos & SEG_MASK) === this.segs[p].length) f |= this.ruleFlags[p];
      else ends = false;
    }
    return new MatchState(list, f, ends);
  }

  private compute(state: MatchState, key: string, isArrayElement: boolean): MatchState {
    const next = new PosSet();
    const positions = state.pos;
    for (let k = 0; k < positions.length; k++) {
      const pos = positions[k];
      const p = pos >>> SEG_BITS;
      const i = pos & SEG_MASK;
      const segs = this.segs[p];
      if (i >= segs.length) continue;
      const seg = segs[i];
      if (seg === '**') this.addClosed(next, pos);
      else if (seg === '*' || seg === key) this.addClosed(next, pos + 1);
    }
    // an array level may be transparent: keep every live position
    if (isArrayElement) for (let k = 0; k < positions.length; k++) next.add(positions[k]);
    return this.state(next.list);
  }

  flags(state: MatchState): number {
    return state.flags;
  }

  /** add a position and, while it sits on '**', the position after it (zero segments) */
  private addClosed(into: PosSet, pos: number): void {
    for (;;) {
      if (into.has(pos)) return;
      into.add(pos);
      const p = pos >>> SEG_BITS;
      const i = pos & SEG_MASK;
      if (i < this.segs[p].length && this.segs[p][i] === '**') pos = pos + 1;
      else return;
    }
  }
}

/**
 * Insertion-ordered set of positions: a plain array while small (the usual one or two positions),
 * indexed by a Set past 16 — 500 rules × 60 '**' make 30,000 live positions, and a linear
 * membership test per insertion made one step quadratic (issue 14 finding 11).
 */
class PosSet {
  readonly list: number[] = [];
  private index: Set<number> | undefined;
  has(p: number): boolean {
    return this.index ? this.index.has(p) : this.list.includes(p);
  }
  add(p: number): void {
    if (this.has(p)) return;
    this.list.push(p);
    if (this.index) this.index.add(p);
    else if (this.list.length > 16) this.index = new Set(this.list);
  }
}

export function compilePaths(rules: ReadonlyArray<{ pattern: string; flag: number }>): PathMatcher {
  return new PathMatcher(rules);
}
