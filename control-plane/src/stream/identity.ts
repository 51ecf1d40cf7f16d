// Filter identity on the gRPC stream: which services a stream may report for. A filter holding a
// credential may send a Hello only for a service that credential covers; anything else is refused
// with PERMISSION_DENIED and counted (issue 14 finding 3: with one shared token, any filter could
// report as any service and pollute its report, alerts and ramp guards).
//   token        the single shared stream token: covers every service (compatibility)
//   credentials  per-service tokens: [{ name, token, services }]
//   identities   Istio workload identities: [{ spiffe, services }], read from the SPIFFE ID in the
//                x-forwarded-client-cert header the control plane's own sidecar sets for an mTLS
//                caller (Envoy XFCC, forward_client_cert_details SANITIZE_SET: a client's own header
//                is replaced, never trusted). When identities are configured, a stream must carry a
//                known one, and the token's and the identity's services must both cover the Hello.
// Without any of the three, authentication is off and every service is covered (as before).
import { createHash, timingSafeEqual } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';

export interface StreamCredential {
  name: string;
  token: string;
  services: string[];
}
export interface WorkloadIdentity {
  spiffe: string;
  services: string[];
}
export interface StreamAuth {
  token?: string;
  credentials?: StreamCredential[];
  identities?: WorkloadIdentity[];
}

/** services: undefined = every service */
export interface Grant {
  who: string;
  services?: ReadonlySet<string>;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

function bearer(metadata: grpc.Metadata): string | undefined {
  const v = metadata.get('authorization')[0];
  const m = typeof v === 'string' ? /^bearer\s+(\S+)\s*$/i.exec(v) : null;
  return m ? m[1] : undefined;
}

function same(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** The SPIFFE ID of the last (nearest) element of an XFCC header: `By=…;Hash=…;URI=spiffe://…`. */
export function spiffeFromXfcc(header: string): string | undefined {
  const elements = header.split(',');
  const last = elements[elements.length - 1];
  for (const kv of last.split(';')) {
    const eq = kv.indexOf('=');
    if (eq < 0) continue;
    if (kv.slice(0, eq).trim().toLowerCase() !== 'uri') continue;
    const v = kv
      .slice(eq + 1)
      .trim()
      .replace(/^"|"$/g, '');
    if (v.startsWith('spiffe://')) return v;
  }
  return undefined;
}

export function authorize(
  metadata: grpc.Metadata,
  auth: StreamAuth,
): { ok: true; grant: Grant } | { ok: false; message: string } {
  const creds = auth.credentials ?? [];
  const ids = auth.identities ?? [];
  let grant: Grant = { who: 'anonymous' };
  if (auth.token !== undefined || creds.length > 0) {
    const t = bearer(metadata);
    if (t === undefined) return { ok: false, message: 'missing or wrong bearer token' };
    // compare against every entry (constant work per stream, whichever matches)
    let hit: Grant | undefined;
    if (auth.token !== undefined && same(t, auth.token)) hit = { who: 'stream token' };
    for (const c of creds)
      if (same(t, c.token) && !hit) hit = { who: `credential ${c.name}`, services: new Set(c.services) };
    if (!hit) return { ok: false, message: 'missing or wrong bearer token' };
    grant = hit;
  }
  if (ids.length > 0) {
    const xfcc = metadata.get('x-forwarded-client-cert')[0];
    const id = typeof xfcc === 'string' ? spiffeFromXfcc(xfcc) : undefined;
    const known = id ? ids.find((i) => i.spiffe === id) : undefined;
    const idServices = new Set(known?.services ?? []);
    const services = grant.services ? new Set([...grant.services].filter((s) => idServices.has(s))) : idServices;
    grant = { who: `${grant.who}, workload ${id ?? '(none)'}`, services };
  }
  return { ok: true, grant };
}

export function covers(grant: Grant, service: string): boolean {
  return grant.services === undefined || grant.services.has(service);
}
