// The inline RouteConfiguration of an HTTP connection manager, read strictly
// (envoy/config/route/v3/route.proto, route_components.proto): virtual hosts with domains, routes with
// prefix/path + header matchers, route actions with cluster, timeout and request_mirror_policies.
// Only the fields listed here are accepted; anything else stops the mesh naming the field.

import { type Fields, MeshConfigError, type Val } from './reader.js';

export type Denominator = 'HUNDRED' | 'TEN_THOUSAND' | 'MILLION';
export const DENOMINATOR_VALUE: Record<Denominator, number> = {
  HUNDRED: 100,
  TEN_THOUSAND: 10_000,
  MILLION: 1_000_000,
};

export interface MirrorPolicy {
  cluster: string;
  /** Unset = mirror 100 % (route_components.proto RequestMirrorPolicy.runtime_fraction). */
  fraction: { numerator: number; denominator: Denominator } | undefined;
  disableShadowHostSuffixAppend: boolean;
  path: string;
}

export type StringMatch = { kind: 'exact' | 'prefix' | 'suffix' | 'contains'; value: string; ignoreCase: boolean };

export interface HeaderMatcher {
  name: string;
  /** present_match, or a string match on the header's value. */
  match: { kind: 'present'; present: boolean } | StringMatch;
  invert: boolean;
}

export interface RouteEntry {
  name: string | undefined;
  match: { prefix?: string; path?: string; caseSensitive: boolean; headers: HeaderMatcher[] };
  cluster: string;
  /** RouteAction.timeout, default 15 s; 0 disables the global timeout. */
  timeoutMs: number;
  mirrorPolicies: MirrorPolicy[] | undefined;
  path: string;
}

export interface VirtualHost {
  name: string;
  domains: string[];
  routes: RouteEntry[];
  mirrorPolicies: MirrorPolicy[] | undefined;
}

export interface RouteConfig {
  name: string;
  internalOnlyHeaders: string[];
  virtualHosts: VirtualHost[];
  mirrorPolicies: MirrorPolicy[] | undefined;
}

const DEFAULT_ROUTE_TIMEOUT_MS = 15_000; // route_components.proto RouteAction.timeout: "defaults to 15s"

export function readRouteConfig(v: Val): RouteConfig {
  const f = v.fields([
    'name',
    'internal_only_headers',
    'virtual_hosts',
    'request_mirror_policies',
    'validate_clusters',
  ]);
  const vhosts = f.req('virtual_hosts').list().map(readVirtualHost);
  const seen = new Map<string, string>();
  for (const [i, vh] of vhosts.entries()) {
    for (const d of vh.domains) {
      // Envoy: "Only unique values for domains are permitted" across the route configuration.
      if (seen.has(d))
        throw new MeshConfigError(
          `${f.at('virtual_hosts')}[${i}].domains`,
          `domain "${d}" is also used by virtual host ${seen.get(d)}`,
        );
      seen.set(d, vh.name);
    }
  }
  if (f.has('validate_clusters') && f.req('validate_clusters').bool() === false) {
    f.fail(
      'validate_clusters',
      'false is not implemented: the sandbox mesh always checks route clusters at load, as Envoy does for static routes',
    );
  }
  return {
    name: f.opt('name')?.str() ?? '',
    internalOnlyHeaders: (f.opt('internal_only_headers')?.list() ?? []).map((h) => h.str().toLowerCase()),
    virtualHosts: vhosts,
    mirrorPolicies: readMirrorPolicies(f),
  };
}

function readVirtualHost(v: Val): VirtualHost {
  const f = v.fields(['name', 'domains', 'routes', 'request_mirror_policies']);
  const domains = f
    .req('domains')
    .list()
    .map((d) => {
      const s = d.str().toLowerCase();
      // Envoy accepts "*", "*.suffix", "prefix*" and exact domains; the mesh implements exact and "*".
      if (s !== '*' && s.includes('*'))
        d.fail(`wildcard domain "${s}" not implemented by the sandbox mesh (only exact domains and "*")`);
      return s;
    });
  if (domains.length === 0) f.fail('domains', 'at least one domain is required');
  return {
    name: f.req('name').str(),
    domains,
    routes: (f.opt('routes')?.list() ?? []).map(readRoute),
    mirrorPolicies: readMirrorPolicies(f),
  };
}

function readRoute(v: Val): RouteEntry {
  const f = v.fields(['name', 'match', 'route']);
  const m = f.req('match').fields(['prefix', 'path', 'headers', 'case_sensitive']);
  const prefix = m.opt('prefix')?.str();
  const path = m.opt('path')?.str();
  if ((prefix === undefined) === (path === undefined))
    m.fail('prefix', 'exactly one of prefix or path is required (other path specifiers are not implemented)');
  const a = f.req('route').fields(['cluster', 'timeout', 'request_mirror_policies']);
  return {
    name: f.opt('name')?.str(),
    match: {
      prefix,
      path,
      caseSensitive: m.opt('case_sensitive')?.bool() ?? true,
      headers: (m.opt('headers')?.list() ?? []).map(readHeaderMatcher),
    },
    cluster: a.req('cluster').str(),
    timeoutMs: a.opt('timeout')?.durationMs() ?? DEFAULT_ROUTE_TIMEOUT_MS,
    mirrorPolicies: readMirrorPolicies(a),
    path: v.path,
  };
}

const STRING_KINDS = ['exact', 'prefix', 'suffix', 'contains'] as const;
/** HeaderMatcher's header_match_specifier oneof (safe_regex_match and range_match are not implemented). */
const SPECIFIERS = [
  'present_match',
  'exact_match',
  'prefix_match',
  'suffix_match',
  'contains_match',
  'string_match',
] as const;

function readHeaderMatcher(v: Val): HeaderMatcher {
  const f = v.fields(['name', ...SPECIFIERS, 'invert_match']);
  const name = f.req('name').str().toLowerCase();
  const specs = SPECIFIERS.filter((k) => f.has(k));
  if (specs.length > 1) f.fail(specs[1], `only one header match specifier is allowed (also ${specs[0]})`);
  const invert = f.opt('invert_match')?.bool() ?? false;
  const spec = specs[0];
  if (spec === undefined) return { name, match: { kind: 'present', present: true }, invert }; // no specifier: header must be present
  if (spec === 'present_match') return { name, match: { kind: 'present', present: f.req(spec).bool() }, invert };
  if (spec !== 'string_match') {
    return {
      name,
      match: { kind: spec.replace('_match', '') as StringMatch['kind'], value: f.req(spec).str(), ignoreCase: false },
      invert,
    };
  }
  const s = f.req('string_match').fields([...STRING_KINDS, 'ignore_case']);
  const kinds = STRING_KINDS.filter((k) => s.has(k));
  if (kinds.length !== 1)
    f.fail('string_match', `exactly one of ${STRING_KINDS.join(', ')} is required (safe_regex is not implemented)`);
  return {
    name,
    match: { kind: kinds[0], value: s.req(kinds[0]).str(), ignoreCase: s.opt('ignore_case')?.bool() ?? false },
    invert,
  };
}

function readMirrorPolicies(f: Fields): MirrorPolicy[] | undefined {
  const list = f.opt('request_mirror_policies')?.list();
  if (!list || list.length === 0) return undefined; // empty = not set: the less specific level applies
  return list.map((v) => {
    const p = v.fields(['cluster', 'runtime_fraction', 'disable_shadow_host_suffix_append']);
    let fraction: MirrorPolicy['fraction'];
    if (p.has('runtime_fraction')) {
      // runtime_key is accepted: this mesh has no runtime layers, so Envoy would use default_value.
      const rf = p.req('runtime_fraction').fields(['default_value', 'runtime_key']);
      rf.opt('runtime_key')?.str();
      const dv = rf.req('default_value').fields(['numerator', 'denominator']);
      fraction = {
        numerator: dv.opt('numerator')?.uint() ?? 0,
        denominator: dv.opt('denominator')?.oneOf(['HUNDRED', 'TEN_THOUSAND', 'MILLION'] as const) ?? 'HUNDRED',
      };
    }
    return {
      cluster: p.req('cluster').str(),
      fraction,
      disableShadowHostSuffixAppend: p.opt('disable_shadow_host_suffix_append')?.bool() ?? false,
      path: v.path,
    };
  });
}
