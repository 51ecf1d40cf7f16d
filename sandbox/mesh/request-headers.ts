// The request headers an HTTP connection manager hands its first filter, as Envoy's
// ConnectionManagerUtility::mutateRequestHeaders builds them (source/common/http/conn_manager_utility.cc):
//
// - connection headers and x-envoy-internal are always removed first;
// - with use_remote_address the trusted client address is the XFF entry xff_num_trusted_hops back (else
//   the peer), the peer is appended to x-forwarded-for (the listener's own address for a loopback peer),
//   and x-forwarded-proto is overwritten; without it the address comes from XFF, skipping
//   xff_num_trusted_hops entries;
// - a request is internal only with a single XFF address inside internal_address_config.cidr_ranges
//   (Envoy ≥ 1.33: RFC1918 is no longer internal by default — explicit_internal_address_config), and then
//   gets x-envoy-internal: true; otherwise the internal x-envoy-* headers and the route configuration's
//   internal_only_headers are stripped;
// - an edge request (external, with use_remote_address) loses x-envoy-decorator-operation and the
//   downstream-service headers, gets x-envoy-external-address, and a fresh x-request-id unless
//   preserve_external_request_id; any request without an id gets one (generate_request_id).

import { randomUUID } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { HeaderList } from './routing.js';

export interface EdgeSemantics {
  useRemoteAddress: boolean;
  xffNumTrustedHops: number;
  skipXffAppend: boolean;
  preserveExternalRequestId: boolean;
  generateRequestId: boolean;
  /** internal_address_config.cidr_ranges as "address/prefix"; empty = nothing is internal */
  internalCidrs: string[];
  internalOnlyHeaders: string[];
}

export interface Peer {
  /** the downstream connection's remote address */
  remote: string;
  /** the listener's own address (what Envoy appends to XFF for a loopback peer) */
  local: string;
}

export const CONNECTION_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'host',
  'x-envoy-internal',
]);
// cleanInternalHeaders: stripped from requests that are not internal, so clients cannot steer Envoy.
const INTERNAL_ENVOY_HEADERS = new Set([
  'x-envoy-retriable-status-codes',
  'x-envoy-retry-on',
  'x-envoy-retry-grpc-on',
  'x-envoy-max-retries',
  'x-envoy-upstream-alt-stat-name',
  'x-envoy-upstream-rq-timeout-ms',
  'x-envoy-upstream-rq-per-try-timeout-ms',
  'x-envoy-upstream-rq-timeout-alt-response',
  'x-envoy-expected-rq-timeout-ms',
  'x-envoy-ip-tags',
  'x-envoy-force-trace',
]);
// Removed from edge requests only.
const EDGE_ONLY_REMOVED = new Set([
  'x-envoy-decorator-operation',
  'x-envoy-downstream-service-cluster',
  'x-envoy-downstream-service-node',
]);

const plainAddress = (a: string): string => (a.startsWith('::ffff:') ? a.slice(7) : a);
const isLoopback = (a: string): boolean => a === '::1' || a.startsWith('127.');

/** Utility::getLastAddressFromXFF: the entry `skip` from the end, and whether XFF held exactly one. */
export function lastAddressFromXff(xff: string | undefined, skip: number): { address?: string; single: boolean } {
  if (xff === undefined) return { single: false };
  const entries = xff.split(',').map((e) => e.trim());
  if (skip >= entries.length) return { single: false };
  const candidate = entries[entries.length - 1 - skip];
  return { address: isIP(candidate) ? candidate : undefined, single: entries.length === 1 };
}

function internalList(cidrs: string[]): BlockList {
  const list = new BlockList();
  for (const c of cidrs) {
    const [addr, prefix] = c.split('/');
    list.addSubnet(addr, Number(prefix), isIP(addr) === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

export function mutateRequestHeaders(
  raw: HeaderList,
  pseudo: HeaderList,
  peer: Peer,
  cfg: EdgeSemantics,
): { headers: HeaderList; edge: boolean; internal: boolean; remote: string } {
  const remote = plainAddress(peer.remote);
  const h: HeaderList = [...pseudo];
  for (const [k, v] of raw) if (!CONNECTION_HEADERS.has(k)) h.push([k, v]);
  const get = (name: string) => h.find(([k]) => k === name)?.[1];
  const set = (name: string, value: string) => {
    const i = h.findIndex(([k]) => k === name);
    if (i >= 0) h[i] = [name, value];
    else h.push([name, value]);
  };
  const xff = h
    .filter(([k]) => k === 'x-forwarded-for')
    .map(([, v]) => v)
    .join(',');
  const xffValue = xff === '' ? undefined : xff;

  let finalRemote: string | undefined;
  let single: boolean;
  if (cfg.useRemoteAddress) {
    single = xffValue === undefined;
    if (cfg.xffNumTrustedHops > 0) finalRemote = lastAddressFromXff(xffValue, cfg.xffNumTrustedHops - 1).address;
    finalRemote ??= remote;
    if (!cfg.skipXffAppend) {
      const appended = isLoopback(remote) ? plainAddress(peer.local) : remote;
      for (let i = h.length - 1; i >= 0; i--) if (h[i][0] === 'x-forwarded-for') h.splice(i, 1);
      h.push(['x-forwarded-for', xffValue === undefined ? appended : `${xffValue},${appended}`]);
    }
    set('x-forwarded-proto', 'http');
  } else {
    const r = lastAddressFromXff(xffValue, cfg.xffNumTrustedHops);
    finalRemote = r.address;
    single = r.single;
  }
  if (get('x-forwarded-proto') === undefined) h.push(['x-forwarded-proto', 'http']);

  const internal =
    single &&
    finalRemote !== undefined &&
    cfg.internalCidrs.length > 0 &&
    internalList(cfg.internalCidrs).check(finalRemote, isIP(finalRemote) === 6 ? 'ipv6' : 'ipv4');
  finalRemote ??= remote;
  const edge = !internal && cfg.useRemoteAddress;

  let out = h;
  if (internal) {
    out.push(['x-envoy-internal', 'true']);
  } else {
    const internalOnly = new Set(cfg.internalOnlyHeaders);
    out = out.filter(
      ([k]) => !INTERNAL_ENVOY_HEADERS.has(k) && !internalOnly.has(k) && !(edge && EDGE_ONLY_REMOVED.has(k)),
    );
  }
  if (edge && isIP(finalRemote)) {
    out = out.filter(([k]) => k !== 'x-envoy-external-address');
    out.push(['x-envoy-external-address', finalRemote]);
  }
  // UUIDRequestIDExtension::set(headers, edge && !preserve_external_request_id): an edge request gets a
  // fresh id, any request keeps the one it has otherwise, and one without gets one.
  const hasId = out.some(([k]) => k === 'x-request-id');
  if (cfg.generateRequestId && (!hasId || (edge && !cfg.preserveExternalRequestId))) {
    out = out.filter(([k]) => k !== 'x-request-id');
    out.push(['x-request-id', randomUUID()]);
  }
  return { headers: out, edge, internal, remote: finalRemote };
}
