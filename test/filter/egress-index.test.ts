// The indexed egress decision (host-index.ts: exact-host tables, prefix/suffix tables, scan list)
// against a straightforward first-match linear scan written here from the schema's semantics: the
// same rule decides for thousands of seeded random rule sets × requests, through the real module.
// Host glob: '*' one or more hostname characters (a host with any other character or an empty label
// matches exact rules only), case-insensitive, port stripped unless the pattern has ':'.
// Path glob: '*' within a segment, '**' across segments ('/**/' also zero), trailing '/' = prefix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Host } from '../../sandbox/host/index.js';
import { hostWith, load, prng, request, shadowConfig } from './support/fixtures.js';

interface Rule {
  name: string;
  host?: string;
  methods?: string[];
  path?: string;
  action: 'allow' | 'deny' | 'mock';
  mock?: { status: number };
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function stripPort(h: string): string {
  const close = h.lastIndexOf(']'),
    colon = h.lastIndexOf(':');
  return colon > close ? h.slice(0, colon) : h;
}

function hostMatches(pattern: string, authority: string): boolean {
  const p = pattern.toLowerCase();
  const h = p.includes(':') ? authority.toLowerCase() : stripPort(authority.toLowerCase());
  if (!p.includes('*')) return p === h;
  if (!/^([a-z0-9_-]+(\.[a-z0-9_-]+)*|\[[0-9a-f:.]+\])(:[0-9]{1,5})?$/.test(h)) return false;
  return new RegExp(`^${p.split('*').map(esc).join('[a-z0-9_.:\\[\\]-]+')}$`, 's').test(h);
}

function pathMatches(pattern: string, path: string): boolean {
  if (!pattern.includes('*')) return pattern.endsWith('/') ? path.startsWith(pattern) : path === pattern;
  const p = pattern.endsWith('/') ? `${pattern}**` : pattern;
  let re = '^';
  for (let i = 0; i < p.length; ) {
    if (p[i] !== '*') {
      re += esc(p[i]!);
      i++;
      continue;
    }
    let j = i;
    while (p[j] === '*') j++;
    if (j - i === 1) re += '[^/]*';
    else if (p[j] === '/' && (i === 0 || p[i - 1] === '/')) {
      re += '(?:.*/)?';
      j++;
    } // zero or more whole segments
    else re += '.*';
    i = j;
  }
  return new RegExp(`${re}$`, 's').test(path);
}

function reference(rules: Rule[], method: string, authority: string, rawPath: string): Rule | undefined {
  const path = rawPath.split('?')[0]!;
  return rules.find(
    (r) =>
      (!r.methods || r.methods.includes(method)) &&
      (r.host === undefined || hostMatches(r.host, authority)) &&
      (r.path === undefined || pathMatches(r.path, path)),
  );
}

const N = [...Array(14).keys()];
const EXACT_HOSTS = [
  'api.example',
  'db',
  'Payments.SVC',
  'api.example:8443',
  '[::1]:8080',
  '[::1]',
  'other',
  '',
  ...N.map((n) => `svc-${n}.internal`),
];
const GLOB_HOSTS = [
  '*.internal',
  '*.example',
  '*.ex',
  'api.*',
  'db*',
  '*',
  '*svc*',
  'svc-1*',
  '*:8443',
  'api.*:8443',
  's*-1*.internal',
  '*.INTERNAL:8443',
  ...N.map((n) => `svc-${n}.*`),
  ...N.map((n) => `*-${n}.internal`),
];
const PATHS = [
  '/a',
  '/a/',
  '/a/b',
  '/a/*',
  '/a/**',
  '/a/**/c',
  '/*/b',
  '/v*/users/',
  '/a*',
  '/a**',
  '/api/v1/**',
  '/api/v1/*',
  '/x/*/y/**',
  '/**/c',
  '/',
];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PURGE'];
const REQ_HOSTS = [
  'api.example',
  'API.Example:8443',
  'db',
  'db:5432',
  'x.example',
  '[::1]:8080',
  '[::1]',
  'payments.svc',
  'other',
  'svc',
  'a.svc-1.internal',
  'svc-1x.internal:8443',
  ...N.map((n) => `svc-${n}.internal`),
  ...N.map((n) => `svc-${n}.internal:8443`),
  'svc-14.internal',
];
const REQ_PATHS = [
  '/a',
  '/a/',
  '/a/b',
  '/a/b/c',
  '/a/c',
  '/x/b',
  '/v1/users/7',
  '/api/v1/x',
  '/api/v1/x/y',
  '/ab',
  '/c',
  '/x/1/y/z',
  '/',
  '/a/b?q=1',
  '/api/v1/x?y=/z',
];

describe('indexed egress decision = first-match linear scan', () => {
  let host: Host;
  beforeAll(() => {
    host = hostWith();
  });
  afterAll(async () => {
    await host.close();
  });

  it('decides like the reference for 160 random rule sets × 30 random calls (seeded)', async () => {
    const rnd = prng(0x5eed3);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    let calls = 0,
      named = 0;
    for (let set = 0; set < 160; set++) {
      const size = set % 8 === 0 ? 150 + Math.floor(rnd() * 100) : 1 + Math.floor(rnd() * 60);
      const rules: Rule[] = [];
      for (let i = 0; i < size; i++) {
        const r: Rule = { name: `r${i}`, action: pick(['allow', 'deny', 'deny', 'mock'] as const) };
        const hk = rnd();
        if (hk < 0.4) r.host = pick(EXACT_HOSTS);
        else if (hk < 0.85) r.host = pick(GLOB_HOSTS);
        if (rnd() < 0.4) r.methods = METHODS.filter(() => rnd() < 0.4);
        if (rnd() < 0.6) r.path = pick(PATHS);
        if (r.action === 'mock') r.mock = { status: 200 + Math.floor(rnd() * 300) };
        rules.push(r);
      }
      const defaultAction = pick(['allow', 'deny'] as const);
      const plugin = await load(host, shadowConfig({ direction: 'outbound', egress: { defaultAction, rules } }));
      for (let k = 0; k < 30; k++) {
        const method = pick([...METHODS, 'PATCH']),
          authority = pick(REQ_HOSTS),
          path = pick(REQ_PATHS);
        const want = reference(rules, method, authority, path);
        const s = plugin.newStream();
        const verdict = s.sendRequestHeaders(request(method, path, [['x-shadow', 'candidate']], authority), true);
        const lr = s.localResponse;
        const got =
          lr === undefined
            ? 'continue'
            : lr.status === 403
              ? `deny ${JSON.parse(lr.body.toString()).rule}`
              : `mock ${lr.headers.find(([n]) => n === 'x-shadowguard-mocked')?.[1]} ${lr.status}`;
        const expected =
          want === undefined
            ? defaultAction === 'allow'
              ? 'continue'
              : 'deny default'
            : want.action === 'allow'
              ? 'continue'
              : want.action === 'deny'
                ? `deny ${want.name}`
                : `mock ${want.name} ${want.mock!.status}`;
        if (got !== expected) {
          throw new Error(
            `rule set ${set} (${rules.length} rules, default ${defaultAction}): ${method} ${authority} ${path} → ${got}, reference ${expected}\n${JSON.stringify(rules)}`,
          );
        }
        expect(verdict).toBe(lr === undefined ? 'continue' : 'stop');
        calls++;
        if (expected.startsWith('deny r') || expected.startsWith('mock')) named++;
      }
      await plugin.close();
    }
    expect(calls).toBe(4800);
    expect(named).toBeGreaterThan(1500); // most outcomes name the deciding rule, not just "allowed"
  }, 60_000);
});
