// The pure Envoy rules the mesh implements: the -shadow host rule, the runtime fraction, header
// matchers (absent headers, invert_match, repeated values) and which mirror-policy level applies.
import { describe, expect, it } from 'vitest';
import { shadowAppendedHost, shadowHeaders, shouldShadow } from '../../../sandbox/mesh/mirror.js';
import type { HeaderMatcher, MirrorPolicy, RouteConfig } from '../../../sandbox/mesh/route-config.js';
import { headerMatches, selectRoute } from '../../../sandbox/mesh/routing.js';

const policy = (o: Partial<MirrorPolicy> = {}): MirrorPolicy => ({
  cluster: 'm',
  fraction: undefined,
  disableShadowHostSuffixAppend: false,
  path: 'p',
  ...o,
});

describe('the -shadow host rule (shadow_writer_impl.cc shadowAppendedHost)', () => {
  it.each([
    ['cluster1', 'cluster1-shadow'],
    ['httpbin:8000', 'httpbin-shadow:8000'],
    ['[::1]:80', '[::1]-shadow:80'],
    ['[::1]', '[::1]-shadow'],
  ])('%s → %s', (host, want) => expect(shadowAppendedHost(host)).toBe(want));

  it('builds the copy from the router headers: suffix, x-envoy-internal replaced, local address appended to XFF', () => {
    const h = shadowHeaders(
      [
        [':authority', 'shop:80'],
        ['x-envoy-internal', 'false'],
        ['x-request-id', 'r'],
      ],
      policy(),
      '127.0.0.1',
    );
    expect(h).toEqual([
      [':authority', 'shop-shadow:80'],
      ['x-request-id', 'r'],
      ['x-envoy-internal', 'true'],
      ['x-forwarded-for', '127.0.0.1'],
    ]);
    expect(
      shadowHeaders([[':authority', 'shop:80']], policy({ disableShadowHostSuffixAppend: true }), '127.0.0.1')[0],
    ).toEqual([':authority', 'shop:80']);
  });
});

describe('runtime_fraction (evaluateFractionalPercent: random % denominator < numerator)', () => {
  it('mirrors always when unset, never at 0, and compares against the denominator', () => {
    expect(shouldShadow(policy(), 123n)).toBe(true);
    expect(shouldShadow(policy({ fraction: { numerator: 0, denominator: 'HUNDRED' } }), 0n)).toBe(false);
    const half = policy({ fraction: { numerator: 5000, denominator: 'TEN_THOUSAND' } });
    expect([shouldShadow(half, 4999n), shouldShadow(half, 5000n), shouldShadow(half, 14_999n)]).toEqual([
      true,
      false,
      true,
    ]);
    const ppm = policy({ fraction: { numerator: 1, denominator: 'MILLION' } });
    expect([shouldShadow(ppm, 1_000_000n), shouldShadow(ppm, 1n)]).toEqual([true, false]);
  });
});

describe('header matchers (HeaderUtility::matchHeaders)', () => {
  const m = (match: HeaderMatcher['match'], invert = false): HeaderMatcher => ({ name: 'x-a', match, invert });
  it('treats absent headers as Envoy does, with and without invert_match', () => {
    expect(headerMatches(m({ kind: 'present', present: true }), [])).toBe(false);
    expect(headerMatches(m({ kind: 'present', present: false }), [])).toBe(true);
    expect(headerMatches(m({ kind: 'present', present: true }, true), [])).toBe(true);
    expect(headerMatches(m({ kind: 'exact', value: 'v', ignoreCase: false }, true), [])).toBe(false);
  });
  it('matches repeated headers as one comma-joined value, honouring ignore_case', () => {
    const h: Array<[string, string]> = [
      ['x-a', 'One'],
      ['x-a', 'two'],
    ];
    expect(headerMatches(m({ kind: 'exact', value: 'one,two', ignoreCase: true }), h)).toBe(true);
    expect(headerMatches(m({ kind: 'exact', value: 'one,two', ignoreCase: false }), h)).toBe(false);
    expect(headerMatches(m({ kind: 'suffix', value: ',two', ignoreCase: false }, true), h)).toBe(false);
  });
});

describe('mirror policy levels', () => {
  it('uses the most specific non-empty list (route > virtual host > route configuration), never merged', () => {
    const route = (mirrorPolicies?: MirrorPolicy[]) => ({
      name: undefined,
      match: { prefix: '/', caseSensitive: true, headers: [] },
      cluster: 'a',
      timeoutMs: 0,
      mirrorPolicies,
      path: '',
    });
    const rc = (r: MirrorPolicy[] | undefined, vh: MirrorPolicy[] | undefined): RouteConfig => ({
      name: '',
      internalOnlyHeaders: [],
      mirrorPolicies: [policy({ cluster: 'rc' })],
      virtualHosts: [{ name: 'v', domains: ['*'], mirrorPolicies: vh, routes: [route(r)] }],
    });
    const hdrs: Array<[string, string]> = [
      [':authority', 'x'],
      [':path', '/'],
    ];
    expect(
      selectRoute(rc([policy({ cluster: 'r' })], [policy({ cluster: 'vh' })]), hdrs)!.mirrorPolicies.map(
        (p) => p.cluster,
      ),
    ).toEqual(['r']);
    expect(selectRoute(rc(undefined, [policy({ cluster: 'vh' })]), hdrs)!.mirrorPolicies.map((p) => p.cluster)).toEqual(
      ['vh'],
    );
    expect(selectRoute(rc(undefined, undefined), hdrs)!.mirrorPolicies.map((p) => p.cluster)).toEqual(['rc']);
  });
});
