// compare: one complete pair in, one PairResult out — endpoint, typed differences live vs candidate
// (and live vs secondary, the noise sample of Diffy §3.4), detector suggestions, and a lazily built,
// redacted, normalized example of every side for side-by-side display. Pure: no I/O, no clock.
//
// `example` is a function property: JSON.stringify(result) drops it, so a result persists as a plain
// PairResult plus the extra fields of ComparedPair. ExampleSide.raw is the JSON body before
// normalization (ignored paths kept, detectors not masked), redacted exactly like body; present only
// when the policy's normalization changes JSON bodies.
// Re-exports: compileEndpoints, inferTemplate, compileSpec, classify, REDACTED, types.
import type { PairResult, PolicySpec } from '../domain/types.js';
import type { CompletePair } from '../pairing/pairer.js';
import { classify, MASKS } from './detectors.js';
import { diffSides } from './diff.js';
import { compileEndpoints } from './endpoint.js';
import type { EngineDifference, Suggestion } from './json-diff.js';
import {
  compileSpec,
  normalizeHalf,
  resolveJson,
  type BodyKind,
  type BodyNote,
  type CompiledSpec,
  type NormalizedSide,
} from './normalize.js';
import { REDACTED, redactValue } from './redact.js';
import { createHash } from 'node:crypto';
import { EMPTY_STATE, FLAG_REDACT, PathMatcher } from './paths.js';

export type { EngineDifference, Suggestion } from './json-diff.js';
export type { BodyKind, BodyNote, CompiledSpec } from './normalize.js';
export type { DetectorClass } from './detectors.js';
export { compileEndpoints, inferTemplate } from './endpoint.js';
export { compileSpec } from './normalize.js';
export { classify } from './detectors.js';
export { REDACTED } from './redact.js';

export interface ExampleSide {
  status: number;
  headers: Array<[string, string]>;
  bodyKind: BodyKind;
  /** JSON value (redacted, ignored paths dropped, enabled detectors masked), scrubbed text, or digest */
  body: unknown;
  /** JSON bodies only: redacted like body, nothing ignored or masked (when normalization changes bodies) */
  raw?: unknown;
  note?: BodyNote;
  truncated: boolean;
  latencyUs: number;
}

/**
 * The request of an example, as the live side received it; query values of secret-looking names
 * redacted. Headers and body only when the policy opts in (capture.request), redacted like responses
 * (redactHeaders, redactPaths, secret-looking JSON keys) but never normalized: the request as sent.
 */
export interface ExampleRequest {
  method: string;
  /** the concrete path ('/refunds/4242'), not the template */
  path: string;
  query: string;
  headers?: Array<[string, string]>;
  bodyKind?: BodyKind;
  body?: unknown;
  /** the body was cut at capture.request.maxBodyBytes */
  truncated?: boolean;
  bodySize?: number;
}

export interface PairExample {
  pairId: string;
  endpoint: string;
  at: number;
  request?: ExampleRequest;
  live: ExampleSide;
  candidate: ExampleSide;
  secondary?: ExampleSide;
}

export interface ComparedPair extends PairResult {
  candidate: EngineDifference[];
  noise?: EngineDifference[];
  service: string;
  bodyCompared: boolean;
  bodyNote?: BodyNote;
  suggestions: Suggestion[];
  example(): PairExample;
}

const TEXT_EXAMPLE_CAP = 64 * 1024;
const SECRET_PARAM = /token|key|secret|passw|auth|sig|session|code|credential/i;

/** Query values whose parameter name looks secret are replaced, as secret headers are. */
function redactQuery(query: string): string {
  if (query === '') return '';
  const q = query.startsWith('?') ? query.slice(1) : query;
  return q
    .split('&')
    .map((kv) => {
      const eq = kv.indexOf('=');
      if (eq < 0) return kv;
      let name = kv.slice(0, eq);
      try {
        name = decodeURIComponent(name);
      } catch {
        // keep it as sent
      }
      return SECRET_PARAM.test(name) ? `${kv.slice(0, eq)}=${REDACTED}` : kv;
    })
    .join('&')
    .slice(0, 2048);
}

/**
 * `wholeBodies`: parse and walk both JSON bodies whole, never in lockstep (lockstep.ts) — the reference
 * the lockstep path must equal (test/control-plane/compare/lockstep.test.ts).
 */
export function comparePair(
  pair: CompletePair,
  policyName: string,
  spec: PolicySpec,
  opts?: { wholeBodies?: boolean },
): ComparedPair {
  const c = compileSpec(spec);
  // JSON bodies stay text until the diff or an example needs their values (diff.ts parses what differs)
  const defer = opts?.wholeBodies !== true;
  const live = normalizeHalf(pair.live, c, defer);
  const cand = normalizeHalf(pair.candidate, c, defer);
  const sec = pair.secondary ? normalizeHalf(pair.secondary, c, defer) : undefined;
  const main = diffSides(live, cand, c);
  const noise = sec ? diffSides(live, sec, c) : undefined;
  const endpoint = compileEndpoints(spec.endpoints).resolve(
    String(pair.live.method || 'GET'),
    String(pair.live.path || '/'),
  );
  const at = Math.round(Math.max(endAt(pair.live), endAt(pair.candidate), pair.secondary ? endAt(pair.secondary) : 0));
  const result: ComparedPair = {
    pairId: pair.pairId,
    policy: policyName,
    endpoint,
    at,
    candidate: main.differences,
    statusMismatch: live.status !== cand.status,
    latencyLiveUs: num(pair.live.latencyUs),
    latencyShadowUs: num(pair.candidate.latencyUs),
    service: pair.candidate.service,
    bodyCompared: main.bodyCompared,
    suggestions: main.suggestions,
    example: () => {
      const raw = rawRedactor(spec);
      return {
        pairId: pair.pairId,
        endpoint,
        at,
        request: exampleRequest(pair.live, c, raw),
        live: exampleSide(live, c, raw),
        candidate: exampleSide(cand, c, raw),
        ...(sec ? { secondary: exampleSide(sec, c, raw) } : {}),
      };
    },
  };
  // Status evidence stands on its own; otherwise a pair whose bodies were not compared is not a match.
  if (main.notCompared && !result.statusMismatch) result.notCompared = { reason: main.notCompared };
  if (noise && !noise.notCompared) result.noise = noise.differences;
  if (main.bodyNote) result.bodyNote = main.bodyNote;
  return result;
}

function exampleRequest(live: CompletePair['live'], c: CompiledSpec, raw: PathMatcher | null | false): ExampleRequest {
  const out: ExampleRequest = { method: live.method, path: live.path, query: redactQuery(live.query ?? '') };
  const r = live.request;
  if (!r) return out;
  // The request body goes through the response path (decoding, JSON/text/binary, redaction) but is
  // shown raw: ignore rules and detectors are about comparing responses, not about hiding requests.
  const asHalf = { ...live, status: 0, headers: r.headers, body: r.body, truncated: r.truncated, bodySize: r.bodySize };
  const side = exampleSide(normalizeHalf(asHalf, c), c, raw);
  out.headers = side.headers;
  out.bodyKind = side.bodyKind;
  out.body = side.raw ?? side.body;
  out.truncated = side.truncated;
  out.bodySize = r.bodySize;
  return out;
}

function endAt(h: { startUnixMs: number; latencyUs: number }): number {
  return num(h.startUnixMs) + num(h.latencyUs) / 1000;
}

function num(x: unknown): number {
  return typeof x === 'number' && Number.isFinite(x) ? x : 0;
}

// The raw view keeps what normalization drops but never what redaction hides: a matcher holding only
// the redact rules. false = normalization leaves JSON bodies as they are (no raw view needed).
const rawRedactors = new WeakMap<PolicySpec, PathMatcher | null | false>();
function rawRedactor(spec: PolicySpec): PathMatcher | null | false {
  let m = rawRedactors.get(spec);
  if (m === undefined) {
    const n = spec.normalize;
    const d = n?.detectors;
    if (!(n?.ignorePaths?.length || d?.uuid || d?.timestamp || d?.token)) m = false;
    else {
      const redact = n?.redactPaths ?? [];
      m = redact.length ? new PathMatcher(redact.map((pattern) => ({ pattern, flag: FLAG_REDACT }))) : null;
    }
    rawRedactors.set(spec, m);
  }
  return m;
}

function exampleSide(s: NormalizedSide, c: CompiledSpec, raw: PathMatcher | null | false): ExampleSide {
  resolveJson(s);
  const headers: Array<[string, string]> = [];
  for (const h of Array.isArray(s.half.headers) ? s.half.headers : []) {
    if (!Array.isArray(h)) continue;
    const [n, v] = h;
    const name = String(n).toLowerCase();
    headers.push([name, c.redactHeader(name) ? REDACTED : String(v)]);
  }
  const out: ExampleSide = {
    status: s.status,
    headers,
    bodyKind: s.kind,
    body: null,
    truncated: s.note === 'truncated',
    latencyUs: num(s.half.latencyUs),
  };
  if (s.note) out.note = s.note;
  if (s.kind === 'json') {
    const mask = c.anyDetector
      ? (v: unknown) => {
          const k = classify(v);
          return k && c.detectors[k] ? MASKS[k] : v;
        }
      : undefined;
    out.body = redactValue(s.json, c.paths, c.paths ? c.paths.root : EMPTY_STATE, mask, c.secretKey);
    if (raw !== false)
      out.raw = raw
        ? redactValue(s.json, raw, raw.root, undefined, c.secretKey)
        : redactValue(s.json, undefined, EMPTY_STATE, undefined, c.secretKey);
  } else if (s.kind === 'text') {
    const t = s.text ?? '';
    out.body = c.scrub(t.length > TEXT_EXAMPLE_CAP ? t.slice(0, TEXT_EXAMPLE_CAP) + '…' : t);
  } else if (s.kind === 'binary') {
    out.body = { sha256: createHash('sha256').update(s.bytes).digest('hex'), size: s.bytes.length };
  }
  return out;
}
