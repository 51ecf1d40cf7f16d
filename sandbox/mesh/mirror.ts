// request_mirror_policies as Envoy's router applies them (reference envoy-and-istio.md §1.2–1.6):
// whether a policy fires for a stream, the -shadow host rule, and the header map of the mirrored copy.
// Pure: the router (router.ts) sends the copy.

import type { MirrorPolicy } from './route-config.js';
import { DENOMINATOR_VALUE } from './route-config.js';
import type { HeaderList } from './routing.js';

/** router.cc FilterUtility::shouldShadow → runtime featureEnabled(key, default_value, stable_random =
 *  stream id) → ProtobufPercentHelper::evaluateFractionalPercent: `random % denominator < numerator`.
 *  The stream id is random per request (§1.2), so the decision is random, not derived from x-request-id. */
export function shouldShadow(policy: MirrorPolicy, streamId: bigint): boolean {
  if (!policy.fraction) return true; // unset runtime_fraction = mirror 100 %
  const denominator = BigInt(DENOMINATOR_VALUE[policy.fraction.denominator]);
  return streamId % denominator < BigInt(policy.fraction.numerator);
}

/** HeaderUtility::getPortStart: the last ':' unless it sits inside an IPv6 literal's brackets. */
export function portStart(host: string): number {
  const colon = host.lastIndexOf(':');
  if (colon < 0) return -1;
  const v6End = host.lastIndexOf(']');
  return v6End < 0 || v6End < colon ? colon : -1;
}

/** shadow_writer_impl.cc shadowAppendedHost: "-shadow" before the port (§1.4, envoy#2595/PR #2600). */
export function shadowAppendedHost(host: string): string {
  const p = portStart(host);
  return p < 0 ? `${host}-shadow` : `${host.slice(0, p)}-shadow${host.slice(p)}`;
}

/** The mirrored request's headers: a copy of what the router sends upstream (after every filter and
 *  finalizeRequestHeaders, §1.3) with the host rule applied, then what Envoy's async client adds
 *  (AsyncStreamImpl::sendHeaders, §1.6): `x-envoy-internal: true` and the local address appended to
 *  x-forwarded-for. x-request-id is copied unchanged. */
export function shadowHeaders(routerHeaders: HeaderList, policy: MirrorPolicy, localAddress: string): HeaderList {
  const out: HeaderList = routerHeaders.map(([k, v]) => [k, v]);
  if (!policy.disableShadowHostSuffixAppend) {
    for (const h of out) if (h[0] === ':authority') h[1] = shadowAppendedHost(h[1]);
  }
  const internal = out.findIndex(([k]) => k === 'x-envoy-internal');
  if (internal >= 0) out.splice(internal, 1);
  out.push(['x-envoy-internal', 'true']);
  const xff = out.find(([k]) => k === 'x-forwarded-for');
  if (xff) xff[1] = `${xff[1]},${localAddress}`;
  else out.push(['x-forwarded-for', localAddress]);
  return out;
}
