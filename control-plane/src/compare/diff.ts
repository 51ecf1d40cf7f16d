// Response diff: status, headers, body of two normalized sides (live vs candidate, or live vs
// secondary). JSON bodies go through the structural walk (json-diff.ts); other bodies by kind:
// text → a line summary, binary → sha256 + size. A body is compared only when both sides are complete
// (neither truncated nor over the decompression cap) and within its work budget; otherwise
// `notCompared` says why (NotComparedReason) and no body difference is reported.
import { createHash } from 'node:crypto';
import { classify } from './detectors.js';
import { remaining, TooCostly, withBudget } from './budget.js';
import { JsonDiff, type EngineDifference, type Suggestion } from './json-diff.js';
import { lockstep, skeletonOf, type Lockstep } from './lockstep.js';
import { resolveJson, type BodyNote, type CompiledSpec, type NormalizedSide } from './normalize.js';
import { REDACTED } from './redact.js';

export interface SideDiff {
  differences: EngineDifference[];
  suggestions: Suggestion[];
  bodyCompared: boolean;
  bodyNote?: BodyNote;
  notCompared?: NotComparedReason;
}

/**
 * Why the bodies of a pair were not compared (never a match, docs/configuration.md):
 *   truncated     a side was captured partially (larger than capture.maxBodyBytes)
 *   decode-cap    a side decompresses past the decode cap (8 MiB)
 *   decode-failed a side's content-encoding does not decode
 *   too-deep      JSON nested deeper than MAX_JSON_DEPTH
 *   too-costly    the comparison passed its work budget (WORK_PER_BYTE × body bytes)
 */
export type NotComparedReason = 'truncated' | 'decode-cap' | 'decode-failed' | 'too-deep' | 'too-costly';
const NOT_COMPARED: Partial<Record<BodyNote, NotComparedReason>> = {
  truncated: 'truncated',
  'too-large': 'decode-cap',
  'decode-failed': 'decode-failed',
  'too-deep': 'too-deep',
};

/** Work units per body byte (node visits + multiset key characters), plus a floor. */
export const WORK_PER_BYTE = 64;
const WORK_FLOOR = 100_000;

const LINE_CAP = 200;

export function diffSides(live: NormalizedSide, shadow: NormalizedSide, c: CompiledSpec): SideDiff {
  const differences: EngineDifference[] = [];
  const suggestions: Suggestion[] = [];
  if (live.status !== shadow.status) {
    differences.push({ path: 'status', kind: 'status', left: live.status, right: shadow.status });
  }
  diffHeaders(live.headers, shadow.headers, c, differences, suggestions);
  const res: SideDiff = { differences, suggestions, bodyCompared: false };
  // Unparsed JSON sides (normalizeHalf's deferJson) are settled first unless a note already skips the
  // body (parsing can add only 'too-deep' or 'invalid-json', which rank below it), or both texts
  // compare in lockstep: then both are valid JSON within the depth bound, and parsing adds nothing.
  const early = pickNote(live.note, shadow.note);
  let ls: Lockstep | undefined;
  if (!(early && NOT_COMPARED[early])) {
    if (live.pending && shadow.pending) {
      // a secondary is scanned against the same live text: its tokenization is shared
      live.skeleton = skeletonOf(live.jsonText ?? '', live.skeleton);
      ls = lockstep(
        live.skeleton,
        shadow.jsonText ?? '',
        live.ascii && shadow.ascii ? [live.bytes, shadow.bytes] : undefined,
      );
    }
    if (ls?.deepArrays && c.hasUnordered) ls = undefined;
    if (!ls) {
      resolveJson(live);
      resolveJson(shadow);
    }
  }
  const note = pickNote(live.note, shadow.note);
  if (note) res.bodyNote = note;
  const skip = note && NOT_COMPARED[note];
  if (skip) {
    res.notCompared = skip;
    return res;
  }
  const before = differences.length,
    sBefore = suggestions.length;
  try {
    const units = WORK_FLOOR + WORK_PER_BYTE * (live.bytes.length + shadow.bytes.length);
    if (!(ls && withBudget(units, () => diffUnits(ls, live, shadow, c, differences, suggestions)))) {
      resolveJson(live);
      resolveJson(shadow);
      withBudget(units, () => diffBodies(live, shadow, c, differences, suggestions));
    }
    res.bodyCompared = true;
  } catch (e) {
    if (!(e instanceof TooCostly)) throw e;
    differences.length = before;
    suggestions.length = sBefore;
    res.bodyNote = 'too-costly';
    res.notCompared = 'too-costly';
  }
  return res;
}

const NOTE_RANK: BodyNote[] = ['truncated', 'too-large', 'decode-failed', 'too-deep'];
function pickNote(a?: BodyNote, b?: BodyNote): BodyNote | undefined {
  for (const n of NOTE_RANK) if (a === n || b === n) return n;
  return a ?? b;
}

function diffHeaders(
  a: Map<string, string>,
  b: Map<string, string>,
  c: CompiledSpec,
  out: EngineDifference[],
  sugg: Suggestion[],
): void {
  for (const [name, va] of a) {
    const vb = b.get(name);
    if (vb === va) continue;
    const red = c.redactHeader(name);
    const path = 'headers.' + name;
    if (vb === undefined) {
      out.push({ path, kind: 'missing', left: red ? REDACTED : va });
      continue;
    }
    const ca = classify(va);
    if (ca !== undefined && ca === classify(vb)) {
      if (c.detectors[ca]) continue;
      sugg.push({ path, detector: ca });
      out.push({ path, kind: 'value', left: red ? REDACTED : va, right: red ? REDACTED : vb, volatile: ca });
      continue;
    }
    out.push({ path, kind: 'value', left: red ? REDACTED : va, right: red ? REDACTED : vb });
  }
  for (const [name, vb] of b) {
    if (a.has(name)) continue;
    out.push({ path: 'headers.' + name, kind: 'extra', right: c.redactHeader(name) ? REDACTED : vb });
  }
}

/**
 * Two unparsed JSON texts compared in lockstep (lockstep.ts): only the values that differ are parsed
 * and walked, at their paths, in text order — what the walk over both parsed bodies emits. False
 * (nothing emitted) when that is not certain; the caller then parses both. Certain includes the work
 * budget: the whole walk spends at most one unit per value outside the units (unless an unordered
 * array might match nested arrays as multisets), so it passes its budget only if this one does or
 * cannot tell.
 */
function diffUnits(
  ls: Lockstep,
  a: NormalizedSide,
  b: NormalizedSide,
  c: CompiledSpec,
  out: EngineDifference[],
  sugg: Suggestion[],
): boolean {
  const ta = a.jsonText ?? '',
    tb = b.jsonText ?? '';
  const before = out.length,
    sBefore = sugg.length;
  const jd = new JsonDiff(c, out, sugg);
  try {
    for (const u of ls.units) jd.runAt(u.keys, () => [valueAt(ta, u.aStart, u.aEnd), valueAt(tb, u.bStart, u.bEnd)]);
    if (ls.nodes <= remaining()) return true;
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
  }
  out.length = before;
  sugg.length = sBefore;
  return false;
}

/** The JSON value of s[start, end) (a value lockstep.ts scanned: leading whitespace, then the value). */
function valueAt(s: string, start: number, end: number): unknown {
  let p = start;
  for (let c = s.charCodeAt(p); c === 32 || c === 10 || c === 13 || c === 9; c = s.charCodeAt(++p));
  if (s.charCodeAt(p) === 34 /* " */) {
    const t = s.slice(p + 1, end - 1);
    if (!t.includes('\\')) return t;
  }
  return JSON.parse(s.slice(p, end));
}

function diffBodies(
  a: NormalizedSide,
  b: NormalizedSide,
  c: CompiledSpec,
  out: EngineDifference[],
  sugg: Suggestion[],
): void {
  if (a.kind === 'empty' && b.kind === 'empty') return;
  if (a.kind === 'empty') {
    out.push({ path: 'body', kind: 'extra', right: summary(b, c) });
    return;
  }
  if (b.kind === 'empty') {
    out.push({ path: 'body', kind: 'missing', left: summary(a, c) });
    return;
  }
  if (a.kind !== b.kind) {
    out.push({ path: 'body', kind: 'type', left: summary(a, c), right: summary(b, c) });
    return;
  }
  if (a.kind === 'json') {
    new JsonDiff(c, out, sugg).run(a.json, b.json);
    return;
  }
  if (a.kind === 'text') {
    if (a.text === b.text) return;
    const s = textSummary(a.text ?? '', b.text ?? '', c.scrub);
    out.push({ path: 'body', kind: 'value', left: s.left, right: s.right });
    return;
  }
  if (a.bytes.equals(b.bytes)) return;
  out.push({
    path: 'body',
    kind: a.bytes.length === b.bytes.length ? 'value' : 'size',
    left: digest(a.bytes),
    right: digest(b.bytes),
  });
}

function summary(s: NormalizedSide, c: CompiledSpec): unknown {
  if (s.kind === 'text') return { kind: 'text', bytes: s.bytes.length, start: c.scrub(cut(s.text ?? '')) };
  if (s.kind === 'json') return { kind: 'json', bytes: s.bytes.length };
  return { kind: s.kind, ...digest(s.bytes) };
}

function digest(b: Buffer): { sha256: string; size: number } {
  return { sha256: createHash('sha256').update(b).digest('hex'), size: b.length };
}

function cut(s: string): string {
  return s.length > LINE_CAP ? s.slice(0, LINE_CAP) + '…' : s;
}

/**
 * Line summary of two texts: line counts, lines only on one side (as multisets, O(n)), and the first
 * differing line on each side (scrubbed, cut to 200 characters).
 */
export function textSummary(a: string, b: string, scrub: (s: string) => string): { left: unknown; right: unknown } {
  const la = a.split('\n'),
    lb = b.split('\n');
  const counts = new Map<string, number>();
  for (const l of lb) counts.set(l, (counts.get(l) ?? 0) + 1);
  let removed = 0;
  for (const l of la) {
    const n = counts.get(l) ?? 0;
    if (n > 0) counts.set(l, n - 1);
    else removed++;
  }
  let added = 0;
  for (const n of counts.values()) added += n;
  let first = 0;
  while (first < la.length && first < lb.length && la[first] === lb[first]) first++;
  return {
    left: { lines: la.length, removed, firstDifferentLine: first + 1, line: scrub(cut(la[first] ?? '')) },
    right: { lines: lb.length, added, firstDifferentLine: first + 1, line: scrub(cut(lb[first] ?? '')) },
  };
}
