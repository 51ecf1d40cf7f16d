// Differential test of the lockstep path (compare/lockstep.ts): comparePair over unparsed texts, where
// only the values that differ are parsed, must give exactly what the whole-body path gives (both
// bodies parsed and walked: comparePair's wholeBodies option) — differences in order, notes, skips,
// suggestions, noise of a secondary, and every side of the example. Bodies are the bench's orders and
// generated values, written in several styles (whitespace, number spellings, unicode escapes) and
// mutated (changed leaves, reordered keys and elements, nested unordered arrays, duplicate and
// integer-like keys, deep nesting, truncated, invalid and non-JSON text).
import { describe, expect, it } from 'vitest';
import { comparePair, type ComparedPair } from '../../../control-plane/src/compare/index.js';
import { lockstep, skeletonOf } from '../../../control-plane/src/compare/lockstep.js';
import type { PolicySpec } from '../../../control-plane/src/domain/types.js';
import { half, orderBody, rng, token, uuid } from '../../fixtures/halves.js';

type R = () => number;
const pick = <T>(r: R, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

const KEYS = ['a', 'b', 'id', 'items', 'tags', 'token', 'email', 'x', 'é', 'k"q', '0', '12', '__proto__', '*'];
const STRINGS = ['', 'coffee', 'mug', 'é ü', 'tab\there', 'quote"s', 'back\\slash', '/path', '\u2028', '😀', 'Z'];

function genValue(r: R, depth: number, unique = false): unknown {
  const t = r();
  if (depth <= 0 || t < 0.45) {
    const u = r();
    if (u < 0.3) return Math.floor(r() * 20) - 5;
    if (u < 0.4) return Math.round(r() * 1e4) / 100;
    if (u < 0.5) return pick(r, [true, false, null, 0, 1e21, 1.5e-7, -0]);
    if (u < 0.6) return pick(r, [uuid(r), token(r), '2024-06-07T00:42:27.731Z', 1_717_000_000]);
    return pick(r, STRINGS);
  }
  if (t < 0.75) {
    const o: Record<string, unknown> = {};
    const n = Math.floor(r() * 5);
    for (let i = 0; i < n; i++) o[pick(r, unique ? KEYS.filter((k) => !/^\d/.test(k)) : KEYS)] = genValue(r, depth - 1);
    return o;
  }
  const n = r() < 0.1 ? 33 + Math.floor(r() * 8) : Math.floor(r() * 5);
  return Array.from({ length: n }, () => genValue(r, depth - 1));
}

/** Changes one spot of v (a copy): a leaf, a key added or dropped, keys reordered, elements moved. */
function mutate(v: unknown, r: R): unknown {
  if (v === null || typeof v !== 'object' || r() < 0.15) {
    const u = r();
    if (u < 0.5) return genValue(r, 1);
    if (typeof v === 'number') return v + 1;
    return typeof v === 'string' ? v + 'x' : [v];
  }
  if (Array.isArray(v)) {
    const out = [...v];
    const u = r();
    if (out.length === 0 || u < 0.2) out.push(genValue(r, 2));
    else if (u < 0.35) out.reverse();
    else if (u < 0.45) out.splice(Math.floor(r() * out.length), 1);
    else {
      const i = Math.floor(r() * out.length);
      out[i] = mutate(out[i], r);
    }
    return out;
  }
  const entries = Object.entries(v);
  const u = r();
  if (entries.length === 0 || u < 0.15) entries.push([pick(r, KEYS), genValue(r, 2)]);
  else if (u < 0.3) entries.reverse();
  else if (u < 0.4) entries.splice(Math.floor(r() * entries.length), 1);
  else {
    const i = Math.floor(r() * entries.length);
    entries[i] = [entries[i][0], mutate(entries[i][1], r)];
  }
  return Object.fromEntries(entries);
}

interface Style {
  /** whitespace between tokens */
  ws: string;
  /** spelling salt: the same salt spells the same leaf the same way */
  salt: number;
}

function hash(s: string, salt: number): number {
  let h = salt | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x9e3779b1);
  return (h >>> 0) % 7;
}

/** JSON text of v in a style: numbers as 1, 1.0, 1e0…, some characters as \u escapes. */
function write(v: unknown, st: Style): string {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'number') {
      const plain = Object.is(v, -0) ? '-0' : JSON.stringify(v);
      const h = hash(plain, st.salt);
      if (Number.isInteger(v) && Math.abs(v) < 1e15 && h === 1) return plain + '.0';
      if (Number.isInteger(v) && Math.abs(v) < 1e15 && h === 2) return plain + 'e0';
      if (h === 3) return v.toExponential().replace('e+', 'E');
      return plain;
    }
    if (typeof v === 'string') {
      const h = hash(v, st.salt);
      if (h === 1) return `"${[...v].map((ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"`;
      if (h === 2) return JSON.stringify(v).replace(/\//g, '\\/');
      return JSON.stringify(v);
    }
    return JSON.stringify(v);
  }
  const w = st.ws;
  if (Array.isArray(v)) return `[${w}${v.map((x) => write(x, st)).join(`${w},${w}`)}${w}]`;
  return `{${w}${Object.entries(v)
    .map(([k, x]) => `${write(k, st)}${w}:${w}${write(x, st)}`)
    .join(`${w},${w}`)}${w}}`;
}

const PAD = orderBody({ orderId: 7 });

const SPECS: PolicySpec[] = [
  { services: ['s'] },
  {
    services: ['s'],
    normalize: {
      ignorePaths: ['trace.span'],
      redactPaths: ['order.customer.email'],
      unorderedArrays: ['order.items.*.tags'],
    },
  },
  { services: ['s'], normalize: { ignorePaths: ['a', '**.token'], unorderedArrays: ['**'] } },
  {
    services: ['s'],
    normalize: { unorderedArrays: ['items', 'tags', 'b.*'], detectors: { uuid: true, timestamp: true } },
  },
  {
    services: ['s'],
    normalize: {
      redactPaths: ['**.email', 'x'],
      detectors: { token: true },
      redactSecretKeys: false,
      ignorePaths: ['0'],
    },
  },
  { services: ['s'], normalize: { ignorePaths: ['body'] } },
  { services: ['s'], normalize: { unorderedArrays: ['body'], redactPaths: ['id'] } },
];

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  '',
  'text/plain',
  'application/problem+json',
];

function bodyHalf(side: 'live' | 'candidate' | 'secondary', text: string, ct: string, o: { truncated?: boolean } = {}) {
  return half(side, {
    pairId: 'p',
    body: text,
    headers: ct ? [['content-type', ct]] : [],
    truncated: o.truncated ?? false,
  });
}

/** A plain copy of everything comparePair hands downstream, example included. */
function observed(r: ComparedPair): unknown {
  const { example, ...rest } = r;
  return { rest, json: JSON.stringify(rest), example: example(), exampleJson: JSON.stringify(example()) };
}

function agree(
  live: string,
  cand: string,
  spec: PolicySpec,
  o: { ct?: string; sec?: string; truncated?: boolean } = {},
) {
  const ct = o.ct ?? 'application/json';
  const pair = {
    pairId: 'p',
    live: bodyHalf('live', live, ct),
    candidate: bodyHalf('candidate', cand, ct, { truncated: o.truncated }),
    ...(o.sec !== undefined ? { secondary: bodyHalf('secondary', o.sec, ct) } : {}),
  };
  const fast = comparePair(pair, 'pol', spec);
  const whole = comparePair(pair, 'pol', spec, { wholeBodies: true });
  expect(observed(fast)).toEqual(observed(whole));
  return fast;
}

/** Text mutations a value writer cannot make: cut, a corrupted byte, a duplicated key, not JSON. */
function textMutation(t: string, r: R): string {
  const u = r();
  if (u < 0.25) return t.slice(0, Math.floor(r() * t.length));
  if (u < 0.5) {
    const i = Math.floor(r() * t.length);
    return t.slice(0, i) + pick(r, ['x', ',', '}', ']', '"', ' ', '\\', '\u0001', '01', '.']) + t.slice(i + 1);
  }
  if (u < 0.75) {
    const i = t.indexOf('{"');
    return i < 0 ? t : `${t.slice(0, i + 1)}"a":${pick(r, ['1', '"dup"', '{}'])},${t.slice(i + 1)}`;
  }
  return pick(r, ['plain text', '', '  ', '{', '[1,2', '<html></html>', 'null', '"str"', '12', '1 2']);
}

describe('lockstep path = whole-body path', () => {
  it('agrees on the bench corpus: noise on every pair, a price regression on one in ten, a secondary', () => {
    let fastTaken = 0;
    for (let i = 0; i < 200; i++) {
      const orderId = 1000 + (i % 64);
      const live = JSON.stringify(orderBody({ orderId, noiseSeed: 3 * i + 1 }));
      const cand = JSON.stringify(
        orderBody({ orderId, noiseSeed: 3 * i + 2, price: i % 10 === 0 ? (k) => k : undefined }),
      );
      const sec = JSON.stringify(orderBody({ orderId, noiseSeed: 3 * i + 3 }));
      // the corpus really goes the lockstep way, except where the changed items are most of the body
      if (lockstep(live, cand)) fastTaken++;
      else expect(i % 10).toBe(0);
      const r = agree(live, cand, SPECS[1], { sec });
      expect(r.candidate.length).toBeGreaterThan(0);
    }
    expect(fastTaken).toBe(180);
  });

  it('agrees on generated values, styles and mutations under every policy', () => {
    const r = rng(13);
    let fastTaken = 0;
    let cases = 0;
    for (let i = 0; i < 1500; i++) {
      // half of them beside an equal stretch, so that what differs is a small part of the body
      const gen = genValue(r, 5, r() < 0.5);
      const v = r() < 0.5 ? { head: gen, pad: PAD } : gen;
      const styleA: Style = { ws: pick(r, ['', '', ' ', '\n  ', '\t']), salt: Math.floor(r() * 1e6) };
      const u = r();
      // most pairs: the same style, one or two changes; some respelled or reformatted
      const styleB: Style = u < 0.7 ? styleA : u < 0.85 ? { ...styleA, salt: styleA.salt + 1 } : { ws: ' ', salt: 5 };
      let w = r() < 0.1 ? v : mutate(v, r);
      if (r() < 0.3) w = mutate(w, r);
      const a = write(v, styleA);
      let b = write(w, styleB);
      if (r() < 0.12) b = textMutation(b, r);
      const spec = pick(r, SPECS);
      const ct = r() < 0.85 ? 'application/json' : pick(r, CONTENT_TYPES);
      const sec = r() < 0.2 ? write(mutate(v, r), styleA) : undefined;
      if (lockstep(a, b)) fastTaken++;
      agree(a, b, spec, { ct, sec, truncated: r() < 0.03 });
      agree(b, a, spec, { ct });
      cases += 2;
    }
    expect(cases).toBe(3000);
    expect(fastTaken).toBeGreaterThan(150);
  });

  it('shares the live text between shadows: each scan as a fresh one, a 3-way pair as the whole-body path', () => {
    const r = rng(21);
    let shared = 0;
    for (let i = 0; i < 600; i++) {
      const gen = genValue(r, 5, r() < 0.5);
      const v = r() < 0.5 ? { head: gen, pad: PAD } : gen;
      const st: Style = { ws: pick(r, ['', ' ', '\n  ']), salt: Math.floor(r() * 1e6) };
      const a = write(v, st);
      const shadows = [0, 1, 2].map(() => {
        const b = write(r() < 0.1 ? v : mutate(v, r), r() < 0.8 ? st : { ws: ' ', salt: 5 });
        return r() < 0.1 ? textMutation(b, r) : b;
      });
      const bytesOf = (b: string): [Buffer, Buffer] | undefined => {
        const x = Buffer.from(a),
          y = Buffer.from(b);
        return x.length === a.length && y.length === b.length ? [x, y] : undefined;
      };
      // each shadow alone (a fresh tokenization each), then all against one skeleton, in another order
      const fresh = shadows.map((b) => lockstep(a, b, bytesOf(b)));
      const sk = skeletonOf(a);
      for (const k of [2, 0, 1]) expect(lockstep(sk, shadows[k], bytesOf(shadows[k]))).toEqual(fresh[k]);
      expect(skeletonOf(a, sk)).toBe(sk); // still current: really shared, not rebuilt
      if (fresh.some((x) => x)) shared++;
      const spec = pick(r, SPECS);
      agree(a, shadows[0], spec, { sec: shadows[1] });
      agree(a, shadows[2], spec, { sec: shadows[2] });
    }
    expect(shared).toBeGreaterThan(100);
  });

  it('rebuilds a live skeleton made stale by the tokenization of another text', () => {
    const a = JSON.stringify(orderBody({ orderId: 1, noiseSeed: 1 }));
    const b = JSON.stringify(orderBody({ orderId: 1, noiseSeed: 2 }));
    const sk = skeletonOf(a);
    const first = lockstep(sk, b);
    skeletonOf(JSON.stringify({ other: [1, 2, 3] })); // takes the shared node arrays
    expect(skeletonOf(a, sk)).not.toBe(sk);
    expect(lockstep(sk, b)).toEqual(first);
    expect(first?.units.map((u) => u.keys.join('.'))).toEqual([
      'request_id',
      'generated_at',
      'trace.span',
      'order.payment.session_token',
    ]);
  });

  it('agrees on orders with structural edits: reordered keys and items, added fields, respelled numbers', () => {
    const r = rng(7);
    for (let i = 0; i < 300; i++) {
      const live = orderBody({ orderId: 1000 + i, noiseSeed: 1 });
      const cand = mutate(mutate(orderBody({ orderId: 1000 + i, noiseSeed: r() < 0.5 ? 1 : 2 }), r), r);
      const st: Style = { ws: i % 5 === 0 ? ' ' : '', salt: i };
      for (const spec of [SPECS[1], SPECS[2], SPECS[3]]) agree(write(live, st), write(cand, st), spec);
    }
  });

  it('agrees at the edges: nesting around the depth bound, integer-like and duplicate keys, escapes', () => {
    const nest = (d: number, leaf: string) => '['.repeat(d) + leaf + ']'.repeat(d);
    const objNest = (d: number, leaf: string) => '{"a":'.repeat(d) + leaf + '}'.repeat(d);
    const cases: Array<[string, string]> = [
      [nest(199, '1'), nest(199, '2')],
      [nest(200, '1'), nest(200, '2')],
      [nest(201, '1'), nest(201, '2')],
      [objNest(200, '1'), objNest(200, '2')],
      [objNest(201, '1'), objNest(201, '2')],
      [objNest(199, '1'), objNest(199, '[[1]]')],
      [objNest(200, '1'), objNest(200, '[1]')],
      ['{"a":1,"a":2,"b":3}', '{"a":1,"a":2,"b":4}'],
      ['{"a":1,"b":3,"a":2}', '{"a":5,"b":3,"a":2}'],
      ['{"a":1,"b":3,"a":2}', '{"a":1,"b":4,"a":9}'],
      ['{"b":1,"2":3,"1":4}', '{"b":2,"2":3,"1":5}'],
      ['{"\\u0061":1,"a":2}', '{"\\u0061":1,"a":3}'],
      ['{"a":"\\u00e9"}', '{"a":"é"}'],
      ['{"a":"x\\"y"}', '{"a":"x\\"z"}'],
      ['{"a":1.0}', '{"a":1}'],
      ['{"a":1e0,"b":[1,2]}', '{"a":1,"b":[1, 2]}'],
      ['{"a":10}', '{"a":1}'],
      ['[1,2]', '[10,2]'],
      ['{"a":true}', '{"a":trueX}'],
      ['{"a":tru}', '{"a":true}'],
      ['{"a":1} ', '{"a":1}'],
      [' {"a":1}', '{"a":1}'],
      ['{"a":1}x', '{"a":1}y'],
      ['{"a":"\u0001"}', '{"a":"\u0002"}'],
      ['{"a":"ok","b":"\u0001"}', '{"a":"ko","b":"\u0001"}'],
      ['{"a":01}', '{"a":02}'],
      ['{"a":-}', '{"a":-1}'],
      ['{"a":[1,]}', '{"a":[2,]}'],
      ['{"a":1,}', '{"a":2,}'],
      ['"abc"', '"abd"'],
      ['12', '13'],
      ['{"a":{}}', '{"a":[]}'],
      ['{"a":{"b":1}}', '{"a":{"b":1},"c":2}'],
      ['{"token":"abc","x":{"password":"p1"}}', '{"token":"abd","x":{"password":"p2"}}'],
      ['\ufeff{"a":1}', '\ufeff{"a":2}'],
      ['{"a":"\\ud800"}', '{"a":"\\ud801"}'],
      ['{"a":"\\x41"}', '{"a":"\\x42"}'],
    ];
    for (const [a, b] of cases)
      for (const spec of SPECS)
        for (const ct of ['application/json', '']) {
          agree(a, b, spec, { ct });
          agree(b, a, spec, { ct });
        }
  });

  it('agrees on compressed bodies and a secondary that differs where the candidate does not', () => {
    for (let i = 0; i < 20; i++) {
      const live = orderBody({ orderId: 1000 + i, noiseSeed: 1 });
      const cand = orderBody({ orderId: 1000 + i, noiseSeed: 2, price: i % 2 ? (k) => k : undefined });
      const sec = orderBody({ orderId: 1000 + i, noiseSeed: 3, status: i % 3 ? 'confirmed' : 'held' });
      const pair = {
        pairId: 'p',
        live: half('live', { pairId: 'p', json: live, gzip: i % 2 === 0 }),
        candidate: half('candidate', { pairId: 'p', json: cand, gzip: i % 4 === 0 }),
        secondary: half('secondary', { pairId: 'p', json: sec }),
      };
      for (const spec of SPECS) {
        const fast = comparePair(pair, 'pol', spec);
        const whole = comparePair(pair, 'pol', spec, { wholeBodies: true });
        expect(observed(fast)).toEqual(observed(whole));
      }
    }
  });

  it('agrees on shapes near the work budget: nested unordered arrays', () => {
    const spec: PolicySpec = { services: ['s'], normalize: { unorderedArrays: ['**'] } };
    for (const [n, m] of [
      [40, 40],
      [33, 200],
      [8, 2000],
    ]) {
      const outer = (seed: number) =>
        Array.from({ length: n }, (_, i) => ({
          id: i,
          tags: Array.from({ length: m }, (_, j) => [(i * m + j + seed) % 97, j]),
        }));
      const a = { head: 1, list: outer(0) };
      const b = { head: 2, list: outer(0) };
      agree(JSON.stringify(a), JSON.stringify(b), spec);
      (b.list[1].tags as unknown[]).reverse();
      agree(JSON.stringify(a), JSON.stringify(b), spec);
    }
  });

  it('agrees where equal parts alone pass the work budget: nested unordered arrays outside the change', () => {
    // 190 levels of arrays over a 100 KB leaf, the same on both sides: matching it as a multiset costs
    // depth × size, past the budget, though the only change is elsewhere
    const deep = () => {
      let v: unknown = 'x'.repeat(100_000);
      for (let d = 0; d < 190; d++) v = [v, d];
      return v;
    };
    const spec: PolicySpec = { services: ['s'], normalize: { unorderedArrays: ['**'] } };
    const r = agree(JSON.stringify({ head: 1, list: deep() }), JSON.stringify({ head: 2, list: deep() }), spec);
    expect(r.notCompared).toEqual({ reason: 'too-costly' });
  });

  it('agrees at the budget boundary: the walk of equal parts tips a costly change over', () => {
    // the change costs about 2 × 150 units per leaf character (a multiset key per level), the budget
    // grows 128 per character: find the leaf length where the whole walk just passes the budget; there
    // the 20,001 equal values outside the change are what tips it
    const spec: PolicySpec = { services: ['s'], normalize: { unorderedArrays: ['u'] } };
    const pad = new Array(20_000).fill(0);
    const body = (len: number, tag: string) => {
      let v: unknown = 'x'.repeat(len) + tag;
      for (let d = 0; d < 150; d++) v = [v, d];
      return JSON.stringify({ pad, u: [v] });
    };
    const costly = (len: number) =>
      comparePair(
        {
          pairId: 'p',
          live: bodyHalf('live', body(len, 'a'), 'application/json'),
          candidate: bodyHalf('candidate', body(len, 'b'), 'application/json'),
        },
        'pol',
        spec,
        { wholeBodies: true },
      ).notCompared !== undefined;
    let lo = 1_000,
      hi = 120_000;
    expect(costly(lo)).toBe(false);
    expect(costly(hi)).toBe(true);
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (costly(mid)) hi = mid;
      else lo = mid;
    }
    for (let len = lo - 2; len <= hi + 40; len += 6) agree(body(len, 'a'), body(len, 'b'), spec);
  });
});
