// Route selection as Envoy's router config does it (source/common/router/config_impl.cc): the
// virtual host by :authority (lower-cased, port included unless the HCM strips it — this file's
// HCMs do not, hence "email" and "email:8080" both listed), exact domains before "*"; then the first
// route whose path specifier and every header matcher match. Pure: no I/O.

import type { HeaderMatcher, MirrorPolicy, RouteConfig, RouteEntry, VirtualHost } from './route-config.js';

export type HeaderList = Array<[string, string]>;

export interface Selected {
  vhost: VirtualHost;
  route: RouteEntry;
  /** The most specific non-empty list (route > virtual host > route configuration); not merged. */
  mirrorPolicies: MirrorPolicy[];
}

export function getHeader(headers: HeaderList, name: string): string | undefined {
  const vals = headers.filter(([k]) => k === name).map(([, v]) => v);
  // HeaderUtility::getAllOfHeaderAsString: repeated headers are matched as one comma-joined value.
  return vals.length ? vals.join(',') : undefined;
}

export function findVirtualHost(rc: RouteConfig, authority: string | undefined): VirtualHost | undefined {
  const host = (authority ?? '').toLowerCase();
  return (
    rc.virtualHosts.find((vh) => vh.domains.includes(host)) ?? rc.virtualHosts.find((vh) => vh.domains.includes('*'))
  );
}

export function selectRoute(rc: RouteConfig, headers: HeaderList): Selected | undefined {
  const vhost = findVirtualHost(rc, getHeader(headers, ':authority'));
  if (!vhost) return undefined;
  const route = vhost.routes.find((r) => routeMatches(r, headers));
  if (!route) return undefined;
  return { vhost, route, mirrorPolicies: route.mirrorPolicies ?? vhost.mirrorPolicies ?? rc.mirrorPolicies ?? [] };
}

function routeMatches(r: RouteEntry, headers: HeaderList): boolean {
  const fullPath = getHeader(headers, ':path') ?? '';
  const cs = r.match.caseSensitive;
  const norm = (s: string): string => (cs ? s : s.toLowerCase());
  if (r.match.prefix !== undefined) {
    // PrefixRouteEntryImpl matches against the whole :path (query string included).
    if (!norm(fullPath).startsWith(norm(r.match.prefix))) return false;
  } else if (r.match.path !== undefined) {
    // PathRouteEntryImpl compares the path without query and fragment.
    const path = fullPath.replace(/[?#].*$/s, '');
    if (norm(path) !== norm(r.match.path)) return false;
  }
  return r.match.headers.every((m) => headerMatches(m, headers));
}

/** HeaderUtility::matchHeaders, including its rule for absent headers and invert_match. */
export function headerMatches(m: HeaderMatcher, headers: HeaderList): boolean {
  const value = getHeader(headers, m.name === 'host' ? ':authority' : m.name);
  if (value === undefined) {
    // An absent header matches only "present_match: false", or an inverted "present_match: true".
    return m.match.kind === 'present' && (m.invert ? m.match.present : !m.match.present);
  }
  let match: boolean;
  if (m.match.kind === 'present') match = m.match.present;
  else {
    const v = m.match.ignoreCase ? value.toLowerCase() : value;
    const want = m.match.ignoreCase ? m.match.value.toLowerCase() : m.match.value;
    switch (m.match.kind) {
      case 'exact':
        match = v === want;
        break;
      case 'prefix':
        match = v.startsWith(want);
        break;
      case 'suffix':
        match = v.endsWith(want);
        break;
      case 'contains':
        match = v.includes(want);
        break;
    }
  }
  return match !== m.invert;
}
