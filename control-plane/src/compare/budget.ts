// Work budget of one body comparison: every node visit and every character of a multiset key spends
// one unit (diff.ts grants WORK_PER_BYTE × body bytes); past it TooCostly is thrown, and diff.ts turns
// it into "not compared: too-costly". The run also holds the memo of long multiset keys' digests
// (multiset.ts), which lives exactly as long as the budget. Synchronous only: both are module state.

/** Thrown when a comparison passes its work budget; never escapes diff.ts. */
export class TooCostly extends Error {}
/** A multiset key as multiset.ts charges and matches it: its hash and its length in characters. */
export interface KeyDigest {
  hash: number;
  len: number;
}
let budget = Number.POSITIVE_INFINITY;
let keys: WeakMap<object, KeyDigest> | undefined;

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

/** Throws TooCostly past the budget. */
export function spend(n: number): void {
  budget -= n;
  if (budget < 0) throw new TooCostly('comparison work budget exceeded');
}

/** Units left in the current run. */
export function remaining(): number {
  return budget;
}

/** The current run's memo of multiset key digests. */
export function keyMemo(): WeakMap<object, KeyDigest> | undefined {
  return keys;
}

/** typeof, with 'null' and 'array' told apart. */
export function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}
