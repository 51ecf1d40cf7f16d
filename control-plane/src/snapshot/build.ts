// Build: the filter configuration document one node should run, and its version.
//
// The config identity rule (docs/architecture.md): role, variant and service come from the
// node's Hello — the filter NACKs a document whose identity differs from its static configuration —
// and the policy-controlled sections (sampling, egress, connections, inboundRateLimit, capture, idempotency) from
// the policy covering the node's service. No policy → an identity-only document that mirrors nothing
// (sampling 0 %) and denies all shadow egress. trust, direction and controlPlane are never sent: the
// filter keeps its static ones.
//
// The version is an opaque content hash of the canonical JSON (sorted keys), so equal documents get
// equal versions on every replica and a push happens only when something really changed.
// Every built document is validated against schema/filter-config.schema.json; a failure is a bug
// in the policy validation upstream, so it throws.
import { createHash } from 'node:crypto';
import { filterConfigDocument } from '../domain/contract-schemas.gen.js';
import type { FilterConfig, NodeHello, PolicySpec, Sampling } from '../domain/types.js';
import { Ajv } from 'ajv';

export interface Snapshot {
  readonly version: string;
  readonly configJson: string;
  /** name of the policy it was built from; absent for an identity-only document */
  readonly policy?: string;
}

export type NodeIdentity = Pick<NodeHello, 'role' | 'variant' | 'service'>;

export interface BuildOptions {
  /** Mirror ramp in force (control-plane/src/ramp): edge sampling percentages are capped at this. */
  samplingCap?: number;
}

const validate = new Ajv({ allErrors: true, strict: false }).compile(filterConfigDocument);

export function validateFilterConfig(doc: unknown): string | undefined {
  if (validate(doc)) return undefined;
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'invalid'}`).join('; ');
}

export function buildFilterConfig(
  spec: PolicySpec | undefined,
  hello: NodeIdentity,
  opts: BuildOptions = {},
): FilterConfig {
  const doc: FilterConfig = { role: hello.role, service: hello.service };
  if (hello.variant !== undefined) doc.variant = hello.variant;
  // Explicit rather than relying on schema defaults: a pushed document replaces the previous one,
  // and "mirror nothing, deny everything" is the one safe reading of "no policy".
  doc.sampling = spec?.sampling ?? { defaultPercent: 0 };
  // Only edge filters decide sampling; shadow and live documents stay byte-identical under a ramp.
  if (opts.samplingCap !== undefined && hello.role === 'edge')
    doc.sampling = capSampling(doc.sampling, opts.samplingCap);
  doc.egress = spec?.egress ?? { defaultAction: 'deny' };
  // Connection rules for the shadow's network filter (same document, same parser). Absent, the
  // filter denies every connection (its default), so documents without them stay unchanged.
  if (spec?.connections) doc.connections = spec.connections;
  if (spec?.inboundRateLimit) doc.inboundRateLimit = spec.inboundRateLimit;
  if (spec?.capture) doc.capture = spec.capture;
  if (spec?.idempotency) doc.idempotency = spec.idempotency;

  const errors = validateFilterConfig(doc);
  if (errors) {
    throw new Error(`built filter configuration for service '${hello.service}' is invalid: ${errors}`);
  }
  return doc;
}

/** A mirror ramp's cap: every percentage (default and per rule) at most `cap` (schema default 0 when absent). */
export function capSampling(sampling: Sampling, cap: number): Sampling {
  const out: Sampling = { defaultPercent: Math.min(sampling.defaultPercent ?? 0, cap) };
  if (sampling.rules) out.rules = sampling.rules.map((r) => ({ ...r, percent: Math.min(r.percent, cap) }));
  return out;
}

export function buildSnapshot(
  spec: PolicySpec | undefined,
  hello: NodeIdentity,
  policy?: string,
  opts: BuildOptions = {},
): Snapshot {
  const configJson = canonicalJson(buildFilterConfig(spec, hello, opts));
  const snap = { version: contentVersion(configJson), configJson };
  return Object.freeze(policy === undefined ? snap : { ...snap, policy });
}

/** JSON with object keys sorted at every level and undefined members dropped (as JSON.stringify). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

export function contentVersion(canonical: string): string {
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}
