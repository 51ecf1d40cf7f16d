// The HTTP connection manager's route cache, as Envoy keeps it: the route is chosen once, from the
// request headers as the HCM hands them to the first filter (ActiveStream::decodeHeaders →
// refreshCachedRoute), and the router uses that choice unless a filter cleared the cache. A Wasm filter
// clears it when it changes request headers only under ABI 0.2.1 and older: since Envoy 1.33 "the route
// cache will not be cleared by default if the wasm extension modified the request headers and the ABI
// version of wasm extension is larger than 0.2.1" (v1.33.0 release notes). Shadowguard's mirror route
// depends on that clearing: the edge filter's x-shadow-pair selects it.

import type { RouteConfig } from './route-config.js';
import { selectRoute, type HeaderList, type Selected } from './routing.js';

/** Whether Envoy clears the route cache when a Wasm module of this ABI changes request headers. */
export function clearsRouteCacheOnHeaderChange(abi: string): boolean {
  return abi === '0_2_1' || abi === '0_2_0' || abi === '0_1_0';
}

export class RouteCache {
  private cached: Selected | undefined;
  private valid = false;

  constructor(private readonly config: RouteConfig) {}

  /** The HCM's choice before any filter runs. */
  refresh(headers: HeaderList): void {
    this.cached = selectRoute(this.config, headers);
    this.valid = true;
  }

  /** clearRouteCache(): the next reader chooses again from the headers as they then stand. */
  clear(): void {
    this.valid = false;
  }

  route(headers: HeaderList): Selected | undefined {
    if (!this.valid) this.refresh(headers);
    return this.cached;
  }
}

/** Header lists equal in order and content (what a filter left unchanged). */
export function sameHeaders(a: HeaderList, b: HeaderList): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i][0] !== b[i][0] || a[i][1] !== b[i][1]) return false;
  return true;
}
