// Multiset keys as digests (multiset.ts) against the canonical texts they replace (multiset-reference.ts,
// the module as it was): on random arrays, the same elements left unmatched, the same `same`, and the
// same work budget spent to the unit, so the budget trips at exactly the same boundary.
import { describe, expect, it } from 'vitest';
import { remaining, TooCostly, withBudget } from '../../../control-plane/src/compare/budget.js';
import * as digests from '../../../control-plane/src/compare/multiset.js';
import { type CompiledSpec, compileSpec } from '../../../control-plane/src/compare/normalize.js';
import { EMPTY_STATE, type MatchState } from '../../../control-plane/src/compare/paths.js';
import type { PolicySpec } from '../../../control-plane/src/domain/types.js';
import { rng, token, uuid } from '../../fixtures/halves.js';
import * as texts from './multiset-reference.js';

type Impl = Pick<typeof digests, 'unmatched' | 'same'>;

// numbers as a body spells them: the same value in several spellings, and the shortest texts' edges
const NUMBERS = [
  '1',
  '1.0',
  '1e0',
  '10E-1',
  '-0',
  '0',
  '0.0',
  '-1',
  '2',
  '10.25',
  '-3.5',
  '1e21',
  '1e-7',
  '123456789',
  '2147483647',
  '2147483648',
  '-2147483648',
  '-2147483649',
  '9007199254740993',
  '5e-324',
  '1.7976931348623157e308',
  '0.1',
  '100',
  '1e2',
  '1500000000',
  '1500000000000',
  '0.30000000000000004',
];
const STRINGS = [
  '',
  'a',
  'b',
  'A',
  'é',
  'ß',
  '日本',
  '😀',
  '"',
  '\\',
  '\n',
  '\t',
  '\b',
  '\f',
  '\r',
  '\u0001',
  '\u001f',
  '\u007f',
  '\u2028',
  '\ud800',
  '\udc00',
  'x\ud83dy',
  '\ude00z',
  'a,b',
  '{"k":1}',
  '[1]',
  '<uuid>',
  '<token>',
  'null',
  '1',
  'true',
  'a'.repeat(70),
  'quote " and \\ in a long string over sixty-four characters, to take the slow path',
  '2024-01-31T10:00:00Z',
  '2025-06-01T00:00:00.123+02:00',
  '1700000000',
  'Tue, 08 Dec 2026 00:00:00 GMT',
];
const KEYS = ['k1', 'k2', 'k3', 'id', 'a', 'é', '"q"', '__proto__', 'list', 'x'];

/** A JSON text of a random value: objects' keys in a random order, numbers and strings in every spelling. */
function genValue(r: () => number, depth: number): string {
  const t = r();
  if (depth <= 0 || t < 0.55) return genAtom(r);
  if (t < 0.8) {
    const n = Math.floor(r() * 5);
    const names = [...KEYS].sort(() => r() - 0.5).slice(0, n);
    return '{' + names.map((k) => JSON.stringify(k) + ':' + genValue(r, depth - 1)).join(',') + '}';
  }
  const n = Math.floor(r() * 5);
  return '[' + Array.from({ length: n }, () => genValue(r, depth - 1)).join(',') + ']';
}

function genAtom(r: () => number): string {
  const t = r();
  if (t < 0.2) return NUMBERS[Math.floor(r() * NUMBERS.length)];
  if (t < 0.3) return randomNumber(r);
  if (t < 0.6) return JSON.stringify(STRINGS[Math.floor(r() * STRINGS.length)]);
  if (t < 0.7) return JSON.stringify(uuid(r));
  if (t < 0.75) return JSON.stringify(token(r, 24));
  if (t < 0.8) return String(Math.floor(1_500_000_000 + r() * 1e6)); // an epoch, masked as a timestamp
  if (t < 0.9) return ['true', 'false', 'null'][Math.floor(r() * 3)];
  return String(Math.floor(r() * 5));
}

/** a number's text of every length: prices, 17-digit fractions, tiny and huge magnitudes, epochs */
function randomNumber(r: () => number): string {
  const sign = r() < 0.3 ? -1 : 1;
  const forms = [
    () => Math.round(r() * 1e6) / 100,
    () => r(),
    () => r() * 10 ** Math.floor(r() * 44 - 22),
    () => Number((r() * 1e3).toPrecision(1 + Math.floor(r() * 17))),
    () => Number((r() * 1e-4).toFixed(Math.floor(r() * 12))),
    () => Math.round(r() * 2 ** 53),
    () => Number((r() * 1e15).toPrecision(1 + Math.floor(r() * 17))),
  ];
  return String(sign * forms[Math.floor(r() * forms.length)]());
}

/** The same value's text with its objects' keys reordered (and numbers respelled), or a changed one. */
function respell(text: string, r: () => number): string {
  const v = JSON.parse(text);
  const out = (x: unknown): string => {
    if (typeof x === 'number') return x === 1 && r() < 0.5 ? '1.0' : Object.is(x, 0) && r() < 0.5 ? '-0' : String(x);
    if (x === null || typeof x !== 'object') return JSON.stringify(x);
    if (Array.isArray(x)) return '[' + x.map(out).join(',') + ']';
    const names = Object.keys(x).sort(() => r() - 0.5);
    return '{' + names.map((k) => JSON.stringify(k) + ':' + out((x as Record<string, unknown>)[k])).join(',') + '}';
  };
  return out(v);
}

/** The value with one field more or less, or one atom deep inside changed: equal up to that point. */
function nearMiss(text: string, r: () => number): string {
  const v = JSON.parse(text);
  if (v === null || typeof v !== 'object') return JSON.stringify([v]);
  let node = v;
  for (let d = 0; d < 3; d++) {
    const inner = Object.values(node).filter((x) => x !== null && typeof x === 'object');
    if (!inner.length || r() < 0.3) break;
    node = inner[Math.floor(r() * inner.length)];
  }
  const keys = Object.keys(node);
  const t = r();
  if (Array.isArray(node)) {
    if (t < 0.5) node.push(0);
    else node[Math.floor(r() * node.length)] = 'changed';
  } else if (t < 0.4) node.extra = 1;
  else if (t < 0.7 && keys.length) delete node[keys[Math.floor(r() * keys.length)]];
  else if (keys.length) node[keys[Math.floor(r() * keys.length)]] = 'changed';
  else node.extra = 1;
  return JSON.stringify(v);
}

/** Two arrays of about n elements: b holds a's elements reordered and respelled, some changed, some duplicated. */
function genArrays(r: () => number, n: number): [unknown[], unknown[]] {
  const pool = Array.from({ length: Math.max(1, Math.floor(n * (0.3 + r()))) }, () => genValue(r, 3));
  const aTexts = Array.from({ length: n }, () => pool[Math.floor(r() * pool.length)]);
  const bTexts = aTexts.map((t) => (r() < 0.1 ? genValue(r, 3) : r() < 0.1 ? nearMiss(t, r) : respell(t, r)));
  // shuffled, or kept in order or rotated (where a's elements are walked beside their likely partner)
  if (r() < 0.5) bTexts.sort(() => r() - 0.5);
  else bTexts.push(...bTexts.splice(0, Math.floor(r() * bTexts.length)));
  if (r() < 0.3) bTexts.push(pool[0]);
  if (r() < 0.2) bTexts.pop();
  const parse = (ts: string[]) => JSON.parse('[' + ts.join(',') + ']') as unknown[];
  return [parse(aTexts), parse(bTexts)];
}

const SPECS: PolicySpec[] = [
  { services: ['s'], normalize: { unorderedArrays: ['list'] } },
  { services: ['s'], normalize: { unorderedArrays: ['**'] } },
  {
    services: ['s'],
    normalize: {
      unorderedArrays: ['**'],
      ignorePaths: ['**.k2', 'list.*.k3'],
      detectors: { uuid: true, timestamp: true, token: true },
    },
  },
  {
    services: ['s'],
    normalize: { unorderedArrays: ['list', 'list.*.k1', 'list.*.k1.*.k1'], detectors: { uuid: true } },
  },
  { services: ['s'], normalize: { detectors: { timestamp: true } } },
];

/** the state of the elements of body.list (no rules: the empty state) */
function listStates(c: CompiledSpec): { root: MatchState; el: MatchState } {
  const m = c.paths;
  if (!m) return { root: EMPTY_STATE, el: EMPTY_STATE };
  const list = m.step(m.root, 'list', false);
  return { root: m.root, el: m.step(list, '*', true) };
}

interface Outcome {
  rests: unknown[][];
  sames: boolean[];
  spent: number;
}

/**
 * What one run of the diff asks of the module: the arrays unmatched (twice, as the walk does, so long
 * keys come from the memo), nested arrays of the first elements, and `same` of the bodies.
 */
function exercise(impl: Impl, a: unknown[], b: unknown[], c: CompiledSpec, units: number): Outcome {
  const { root, el } = listStates(c);
  return withBudget(units, () => {
    const rests: unknown[][] = [];
    const sames: boolean[] = [];
    for (let rep = 0; rep < 2; rep++) {
      const r = impl.unmatched(a, b, c, el);
      rests.push(r.restA, r.restB);
    }
    for (let i = 0; i < Math.min(a.length, b.length, 8); i++) {
      const x = a[i] as Record<string, unknown>,
        y = b[i] as Record<string, unknown>;
      if (x && y && Array.isArray(x.k1) && Array.isArray(y.k1)) {
        const inner = c.paths ? c.paths.step(c.paths.step(el, 'k1', false), '*', true) : EMPTY_STATE;
        const r = impl.unmatched(x.k1, y.k1, c, inner);
        rests.push(r.restA, r.restB);
      }
    }
    sames.push(impl.same({ list: a }, { list: b }, c, root), impl.same({ list: a }, { list: a }, c, root));
    return { rests, sames, spent: units - remaining() };
  });
}

function tripsAt(impl: Impl, a: unknown[], b: unknown[], c: CompiledSpec, units: number): boolean {
  try {
    exercise(impl, a, b, c, units);
    return false;
  } catch (e) {
    if (e instanceof TooCostly) return true;
    throw e;
  }
}

function expectSameElements(got: unknown[][], want: unknown[][]): void {
  expect(got.length).toBe(want.length);
  for (let k = 0; k < want.length; k++) {
    expect(got[k].length).toBe(want[k].length);
    // the very elements, not equal copies: the walk diffs restA[i] against restB[i]
    for (let i = 0; i < want[k].length; i++) expect(Object.is(got[k][i], want[k][i])).toBe(true);
  }
}

/** Both modules on one input: the same elements left, the same `same`, the same units; the units spent. */
function expectAgree(a: unknown[], b: unknown[], c: CompiledSpec): number {
  const want = exercise(texts, a, b, c, 1e15);
  const got = exercise(digests, a, b, c, 1e15);
  expectSameElements(got.rests, want.rests);
  expect(got.sames).toEqual(want.sames);
  expect(got.spent).toBe(want.spent);
  return want.spent;
}

describe('multiset keys as digests, against the canonical texts', () => {
  it('leaves the same elements unmatched and spends the same budget, to the unit, on random arrays', () => {
    const r = rng(13);
    let cases = 0,
      tripsChecked = 0;
    for (let round = 0; round < 60; round++) {
      for (const spec of SPECS) {
        const c = compileSpec(spec);
        const n = round < 20 ? Math.floor(r() * 40) : round < 50 ? Math.floor(r() * 80) : Math.floor(r() * 301);
        const [a, b] = genArrays(r, n);
        const spent = expectAgree(a, b, c);
        // the boundary: exactly the units spent pass, one fewer trips, for both
        if (round % 3 === 0) {
          for (const impl of [texts, digests])
            expect([tripsAt(impl, a, b, c, spent), tripsAt(impl, a, b, c, spent - 1)]).toEqual([false, true]);
          tripsChecked++;
        }
        cases++;
      }
    }
    expect(cases).toBe(300);
    expect(tripsChecked).toBe(100);
  });

  it('matches by text as by digests: the fallback for colliding digests, and the key itself', () => {
    const r = rng(14);
    for (let round = 0; round < 40; round++) {
      for (const spec of SPECS) {
        const c = compileSpec(spec);
        const [a, b] = genArrays(r, 33 + Math.floor(r() * 100));
        const { el } = listStates(c);
        const want = withBudget(1e15, () => texts.unmatched(a, b, c, el));
        const got = digests.matchByText(a, b, c, el);
        expectSameElements([got.restA, got.restB], [want.restA, want.restB]);
        for (const v of a) expect(digests.keyText(v, c, el)).toBe(withBudget(1e15, () => texts.canonical(v, c, el)));
      }
    }
  });

  it('agrees on near misses beside their likely partner: a key for another, an ignored key more, null for missing', () => {
    const cases: Array<[string, string]> = [
      ['{"k":null}', '{"j":null}'],
      ['{"k":1}', '{"k":1,"k2":5}'],
      ['{"k":[1,2]}', '{"k":[2,1]}'],
      ['{"k1":[1,[2,3]]}', '{"k1":[[3,2],1]}'],
      ['{"__proto__":1}', '{"__proto__":1.0}'],
      ['[1,{"a":null}]', '[1,{}]'],
      ['"1500000000"', '1500000000'],
    ];
    for (const spec of SPECS) {
      const c = compileSpec(spec);
      for (const [x, y] of cases) {
        // in order, so each element of a is walked beside its counterpart in b first
        const a = JSON.parse(`[${Array(40).fill(x).join(',')}]`) as unknown[];
        const b = JSON.parse(`[${Array(40).fill(y).join(',')}]`) as unknown[];
        expectAgree(a, b, c);
      }
    }
  });

  it("agrees where digests crowd one slot: matching falls back to the keys' text, charged the same", () => {
    // strings whose digests share their low 7 bits fill one run of the 128-slot table (33–64 members):
    // past its probe bound the call matches by text, and must still agree to the unit
    const c = compileSpec(SPECS[0]);
    const { el } = listStates(c);
    const crowd: string[] = [];
    for (let i = 0; crowd.length < 48; i++) {
      const s = `item-${i}`;
      if ((digests.keyDigest(s, c, el).hash & 127) === 5) crowd.push(s);
    }
    const a = [...crowd.slice(0, 40), { k: 'x' }];
    const b = [...crowd.slice(8, 48), { k: 'y' }];
    for (const [x, y] of [
      [a, b],
      [a, [...a].reverse()],
    ]) {
      const spent = expectAgree(x, y, c);
      expect(tripsAt(digests, x, y, c, spent - 1)).toBe(true);
    }
  });

  it("gives each key's length as its text has it", () => {
    const r = rng(15);
    for (const spec of SPECS) {
      const c = compileSpec(spec);
      const { el } = listStates(c);
      for (let i = 0; i < 400; i++) {
        const v = JSON.parse(genValue(r, 3));
        expect(digests.keyDigest(v, c, el).len).toBe(digests.keyText(v, c, el).length);
      }
    }
  });

  it('agrees on long keys from the memo and on deep nesting', () => {
    // elements whose keys pass the memo's 256 characters, nested unordered arrays 40 levels deep
    const c = compileSpec(SPECS[1]);
    const deep = (seed: number) => {
      let v: unknown = 'y'.repeat(300) + seed;
      for (let d = 0; d < 40; d++) v = [v, { d, s: 'z'.repeat(d * 10) }];
      return v;
    };
    const a = [...Array.from({ length: 40 }, (_, i) => deep(i % 7)), deep(99)];
    const b = [...Array.from({ length: 40 }, (_, i) => deep((i + 3) % 7)), deep(98)];
    const spent = expectAgree(a, b, c);
    expect(tripsAt(digests, a, b, c, spent - 1)).toBe(true);
    expect(tripsAt(digests, a, b, c, spent)).toBe(false);
  });
});
