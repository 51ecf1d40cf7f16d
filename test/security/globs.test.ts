// Issue 14 findings 1, 2 and 11: globs. One linear matcher for host and path globs in the control plane
// (compared with a regular-expression reference on random inputs), adversarial globs in linear time,
// host globs that match hostname characters only (control plane and the real .wasm), and a policy's
// globs limited at PUT.
import { afterEach, describe, expect, it } from 'vitest';
import { hostGlobMatch, pathGlobMatch } from '../../control-plane/src/compare/glob.js';
import { PathMatcher, FLAG_IGNORE } from '../../control-plane/src/compare/paths.js';
import { BlastRadius } from '../../control-plane/src/reports/blast-radius.js';
import type { Host } from '../../sandbox/host/index.js';
import { EDITOR, spec, testApp } from '../control-plane/api/helpers.js';
import { egress } from '../fixtures/halves.js';
import { hostWith, load, OUTBOUND, request, shadowConfig } from '../filter/support/fixtures.js';

const EVIL = [
  'evil.com#.stripe.com',
  'evil.com/.stripe.com',
  'evil.com?.stripe.com',
  'evil.com\\.stripe.com',
  '.stripe.com',
  'evil.com@.stripe.com',
  'a..stripe.com',
];

/** Reference semantics as regular expressions (exponential in the worst case: short inputs only). */
function pathRef(glob: string): RegExp {
  let g = glob;
  if (g.endsWith('/') && g.includes('*')) g += '**';
  if (!g.includes('*') && g.endsWith('/')) g += '**';
  let re = '';
  for (let i = 0; i < g.length; i++) {
    if (g[i] !== '*') {
      re += g[i].replace(/[.+?^${}()|[\]\\/]/g, '\\$&');
      continue;
    }
    let j = i;
    while (g[j + 1] === '*') j++;
    if (j > i && (i === 0 || g[i - 1] === '/') && g[j + 1] === '/') {
      re += '(?:.*/)?';
      j++;
    } else re += j > i ? '.*' : '[^/]*';
    i = j;
  }
  return new RegExp(`^${re}$`, 's');
}
function hostRef(glob: string, host: string): boolean {
  const valid = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*(:[0-9]{1,5})?$/.test(host);
  const target = glob.includes(':') ? host : host.replace(/:[0-9]+$/, '');
  const re = glob
    .replace(/\*+/g, '*')
    .split('*')
    .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[a-z0-9_.-]+');
  return valid && new RegExp(`^${re}$`).test(target);
}

let seed = 42;
const rand = (n: number): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};
const pick = (alphabet: string[], max: number): string => {
  let s = '';
  for (let i = 0, n = rand(max + 1); i < n; i++) s += alphabet[rand(alphabet.length)];
  return s;
};

describe('glob matcher: property test against a reference', () => {
  it('path globs agree with the reference on 20,000 random cases', () => {
    for (let k = 0; k < 20_000; k++) {
      const glob = pick(['a', 'b', '/', '*', '**', '/**/'], 6);
      const path = pick(['a', 'b', '/', 'ab/'], 8);
      expect([glob, path, pathGlobMatch(glob, path)]).toEqual([glob, path, pathRef(glob).test(path)]);
    }
  });
  it('host globs agree with the reference on 20,000 random cases', () => {
    for (let k = 0; k < 20_000; k++) {
      const glob = pick(['a', 'b', '.', '*', ':1'], 6);
      const host = pick(['a', 'b', '.', '#', '/', ':1'], 8);
      expect([glob, host, hostGlobMatch(glob, host)]).toEqual([glob, host, hostRef(glob, host)]);
    }
  });
});

describe('glob matcher: adversarial globs run in linear time (finding 1)', () => {
  const time = (f: () => unknown): number => {
    const t0 = performance.now();
    f();
    return performance.now() - t0;
  };
  it('path globs: < 50 ms on 10,000-character inputs', () => {
    const globs = ['*a*a*a*a*a*a*a*a*a*a*a*a*b', '**a**a**a**a**a**a**a**a**b', '/**/**/**/**/x', '*/*/*/*/*/*/*/*/z'];
    const inputs = ['a'.repeat(10_000), '/a'.repeat(5_000), `${'a/'.repeat(4_999)}aa`];
    for (const g of globs)
      for (const s of inputs) {
        pathGlobMatch(g, s); // warm up
        const ms = time(() => expect(pathGlobMatch(g, s)).toBe(false));
        expect(ms, `${g} on ${s.slice(0, 10)}…`).toBeLessThan(50);
      }
  });
  it('capacity host globs against hostile destinations keep GET /blast-radius fast', () => {
    const b = new BlastRadius();
    const dests = ['a'.repeat(10_000), `${'a'.repeat(250)}.c`, `${'a.'.repeat(126)}a`, `${'.'.repeat(60)}internal`];
    for (const d of dests) b.add(egress({ destination: d, decision: 'allowed' }));
    const capacity = [
      { host: '*a*a*a*a*a*a*a*a*a*a*a*a*b', requestsPerSecond: 1 },
      { host: '*.*.*.*.*.*.*.internal', requestsPerSecond: 1 },
    ];
    b.map(['orders-v2'], capacity);
    const t0 = performance.now();
    const m = b.map(['orders-v2'], capacity);
    expect(performance.now() - t0).toBeLessThan(50);
    expect(m.services[0].destinations.length).toBe(4);
    expect(m.services[0].destinations.every((d) => d.capacityRule === undefined)).toBe(true);
  });
});

describe('host globs match hostname characters only, one or more per label (finding 2)', () => {
  it('control plane: *.stripe.com covers api.stripe.com, never the hostile forms', () => {
    expect(hostGlobMatch('*.stripe.com', 'api.stripe.com')).toBe(true);
    expect(hostGlobMatch('*.stripe.com', 'a.b.stripe.com:443')).toBe(true);
    for (const h of EVIL) expect([h, hostGlobMatch('*.stripe.com', h)]).toEqual([h, false]);
    const b = new BlastRadius();
    for (const d of ['api.stripe.com', ...EVIL]) b.add(egress({ destination: d, decision: 'allowed' }));
    const rows = b.map(['orders-v2'], [{ host: '*.stripe.com', requestsPerSecond: 5 }]).services[0].destinations;
    expect(rows.filter((r) => r.capacityRule).map((r) => r.destination)).toEqual(['api.stripe.com']);
  });

  let host: Host | undefined;
  afterEach(async () => {
    await host?.close();
    host = undefined;
  });
  it('filter: an allow rule for *.stripe.com denies the hostile forms (real .wasm)', async () => {
    host = hostWith();
    const plugin = await load(
      host,
      shadowConfig({ egress: { rules: [{ name: 'stripe', host: '*.stripe.com', action: 'allow' }] } }),
      { properties: { 'xds.listener_direction': OUTBOUND } },
    );
    const call = (authority: string) => {
      const s = plugin.newStream();
      s.sendRequestHeaders(request('GET', '/v1/charges', [], authority));
      return s.localResponse?.status ?? 'allowed';
    };
    expect(call('api.stripe.com')).toBe('allowed');
    expect(call('a.b.stripe.com:443')).toBe('allowed');
    for (const h of EVIL) expect([h, call(h)]).toEqual([h, 403]);
  });
});

describe('a policy glob is limited at PUT (findings 1 and 11)', () => {
  it('refuses too many ** per glob and non-hostname capacity hosts with a 400 naming the field', async () => {
    const t = await testApp();
    const put = (s: unknown) => t.as(EDITOR, { method: 'PUT', url: '/api/v1/policies/p', payload: s as object });
    const many = Array.from({ length: 60 }, () => '**').join('.');
    const r1 = await put(spec({ normalize: { ignorePaths: ['a.b', `${many}.x`] } }));
    expect(r1.statusCode).toBe(400);
    expect(r1.body).toContain('/normalize/ignorePaths/1');
    const r2 = await put(spec({ capacity: [{ host: 'evil.com#.stripe.com', requestsPerSecond: 1 }] }));
    expect(r2.statusCode).toBe(400);
    expect(r2.body).toContain('/capacity/0/host');
    const ok = await put(
      spec({
        normalize: { ignorePaths: ['**.timestamp', 'items.*.id'] },
        capacity: [{ host: '*.stripe.com', requestsPerSecond: 1 }],
      }),
    );
    expect(ok.statusCode).toBeLessThan(300);
    await t.app.close();
  });

  it('500 ignore globs of 4 ** each cost little per new endpoint field', () => {
    const globs = Array.from({ length: 500 }, (_, i) => `**.a${i}.**.b.**.c.**.d`);
    const m = new PathMatcher(globs.map((pattern) => ({ pattern, flag: FLAG_IGNORE })));
    const t0 = performance.now();
    let s = m.root;
    for (let d = 0; d < 20; d++) s = m.step(s, d % 2 ? 'b' : 'a7', false);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(s.length).toBeGreaterThan(0);
  });
});
