// Normalization: turns a captured Half into what the diff compares. Bodies are decompressed
// (gzip/deflate/br through node:zlib, capped against zip bombs), classified by content type
// (json/text/binary/empty; JSON that does not parse falls back to text), and headers are reduced to
// the ones worth comparing (user ignoreHeaders plus a small built-in volatile list, reference §8 step 2).
// ignorePaths / unorderedArrays / redactPaths are compiled here and applied during the diff walk, so
// no body is copied on the hot path.
import { isAscii, isUtf8 } from 'node:buffer';
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import type { Half, PolicySpec } from '../domain/types.js';
import { FLAG_IGNORE, FLAG_REDACT, FLAG_UNORDERED, PathMatcher } from './paths.js';
import { headerRedactor, secretKeyTest, textScrubber } from './redact.js';
import type { Skeleton } from './lockstep.js';

export type BodyKind = 'empty' | 'json' | 'text' | 'binary';
/** why a body was not compared or was read differently than declared */
export type BodyNote =
  | 'truncated'
  | 'too-large'
  | 'decode-failed'
  | 'invalid-json'
  | 'too-deep'
  | 'too-costly'
  | 'charset';

/**
 * JSON nested deeper than this is not compared ('too-deep'): the diff walk, the redaction of
 * examples and the multiset keys recurse once per level, and JSON.parse accepts 50,000 levels (the
 * walk overflowed the stack at ~3,000, issue 14 finding 9). Real APIs stay far below.
 */
export const MAX_JSON_DEPTH = 200;

export interface CompiledSpec {
  /** undefined when no path rule exists (the walk then skips all bookkeeping) */
  paths: PathMatcher | undefined;
  hasRedactPaths: boolean;
  /** some unorderedArrays rule exists (multiset matching may cost more than a unit per node) */
  hasUnordered: boolean;
  ignoreHeader: (name: string) => boolean;
  redactHeader: (name: string) => boolean;
  detectors: { uuid: boolean; timestamp: boolean; token: boolean };
  anyDetector: boolean;
  scrub: (s: string) => string;
  /** JSON keys whose values never leave the engine (default secret names); undefined when turned off */
  secretKey: ((key: string) => boolean) | undefined;
  maxDecodedBytes: number;
}

export interface NormalizedSide {
  half: Half;
  status: number;
  /** comparable headers: lower-case name → values joined by ', ' (multi-values sorted, as Diffy) */
  headers: Map<string, string>;
  kind: BodyKind;
  json?: unknown;
  text?: string;
  /** decoded bytes (binary digests and size) */
  bytes: Buffer;
  note?: BodyNote;
  /**
   * The text of a body read as JSON. While `pending`, it is not parsed yet and kind, json, text and
   * note are provisional: resolveJson(side) settles them exactly as an eager normalizeHalf would.
   */
  jsonText?: string;
  /** jsonText is ASCII: its offsets are offsets in bytes */
  ascii?: boolean;
  pending?: 'declared' | 'sniffed';
  /** jsonText tokenized for lockstep scans (lockstep.ts), kept for the next shadow it is compared with */
  skeleton?: Skeleton;
}

export const DEFAULT_MAX_DECODED_BYTES = 8 * 1024 * 1024;

// Response headers that differ on every response by construction (Keploy's list, reference §6.2) or
// that the body comparison already covers (content-length) or that our own filter adds.
export const BUILTIN_IGNORED_HEADERS: readonly string[] = [
  'date',
  'age',
  'expires',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'x-request-id',
  'x-correlation-id',
  'x-trace-id',
  'traceparent',
  'tracestate',
  'baggage',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
  'b3',
  'x-amzn-trace-id',
  'x-cloud-trace-context',
  'x-datadog-trace-id',
  'x-datadog-parent-id',
  'x-envoy-upstream-service-time',
  'x-envoy-expected-rq-timeout-ms',
  'x-envoy-attempt-count',
  'server-timing',
  'x-runtime',
  'x-response-time',
  'x-shadow',
  'x-shadow-pair',
];

const cache = new WeakMap<PolicySpec, CompiledSpec>();

export function compileSpec(spec: PolicySpec): CompiledSpec {
  const hit = cache.get(spec);
  if (hit) return hit;
  const n = spec.normalize ?? {};
  const rules: Array<{ pattern: string; flag: number }> = [];
  for (const p of n.ignorePaths ?? []) rules.push({ pattern: p, flag: FLAG_IGNORE });
  for (const p of n.unorderedArrays ?? []) rules.push({ pattern: p, flag: FLAG_UNORDERED });
  for (const p of n.redactPaths ?? []) rules.push({ pattern: p, flag: FLAG_REDACT });
  const paths = rules.length ? new PathMatcher(rules) : undefined;
  const exact = new Set<string>(BUILTIN_IGNORED_HEADERS);
  const prefixes: string[] = [];
  for (const h of n.ignoreHeaders ?? []) {
    const l = String(h).toLowerCase();
    if (l.endsWith('*')) prefixes.push(l.slice(0, -1));
    else exact.add(l);
  }
  const d = n.detectors ?? {};
  const detectors = { uuid: d.uuid === true, timestamp: d.timestamp === true, token: d.token === true };
  const redactKeys = (n.redactPaths ?? []).map((p) => p.split('.').pop() ?? '');
  const compiled: CompiledSpec = {
    paths,
    hasRedactPaths: (n.redactPaths ?? []).length > 0,
    hasUnordered: (n.unorderedArrays ?? []).length > 0,
    ignoreHeader: prefixes.length
      ? (name) => exact.has(name) || prefixes.some((p) => name.startsWith(p))
      : (name) => exact.has(name),
    redactHeader: headerRedactor([...(n.redactHeaders ?? []), ...(spec.capture?.redactHeaders ?? [])]),
    detectors,
    anyDetector: detectors.uuid || detectors.timestamp || detectors.token,
    scrub: textScrubber([...redactKeys, ...(n.redactHeaders ?? [])]),
    secretKey: n.redactSecretKeys === false ? undefined : secretKeyTest(n.secretKeys ?? []),
    maxDecodedBytes: DEFAULT_MAX_DECODED_BYTES,
  };
  cache.set(spec, compiled);
  return compiled;
}

export function decodeBody(
  body: Buffer,
  encoding: string | undefined,
  maxBytes: number,
): { body: Buffer; note?: BodyNote } {
  if (!encoding || body.length === 0) return { body };
  const enc = encoding.trim().toLowerCase();
  if (enc === '' || enc === 'identity') return { body };
  // maxOutputLength makes zlib stop (RangeError) instead of inflating a bomb into memory
  const opts = { maxOutputLength: maxBytes };
  try {
    if (enc === 'gzip' || enc === 'x-gzip') return { body: gunzipSync(body, opts) };
    if (enc === 'br') return { body: brotliDecompressSync(body, opts) };
    if (enc === 'deflate') {
      // RFC 9110 says zlib-wrapped, but servers send raw deflate too
      try {
        return { body: inflateSync(body, opts) };
      } catch (e) {
        if (isTooLarge(e)) throw e;
        return { body: inflateRawSync(body, opts) };
      }
    }
  } catch (e) {
    return { body, note: isTooLarge(e) ? 'too-large' : 'decode-failed' };
  }
  return { body, note: 'decode-failed' };
}

function isTooLarge(e: unknown): boolean {
  return e instanceof RangeError || (e as { code?: string })?.code === 'ERR_BUFFER_TOO_LARGE';
}

/**
 * `deferJson`: a JSON body is decoded to text but not parsed (side.pending); the caller settles it
 * with resolveJson, or compares it as text first (lockstep.ts) and parses only what differs.
 */
export function normalizeHalf(half: Half, c: CompiledSpec, deferJson = false): NormalizedSide {
  let contentType = '';
  let encoding: string | undefined;
  const headers = new Map<string, string>();
  const multi: string[] = [];
  const hs = Array.isArray(half.headers) ? half.headers : [];
  for (let i = 0; i < hs.length; i++) {
    if (!Array.isArray(hs[i])) continue;
    const name = String(hs[i][0]).toLowerCase();
    const value = String(hs[i][1]);
    if (name === 'content-type') contentType = value;
    else if (name === 'content-encoding') encoding = value;
    if (name.charCodeAt(0) === 58 /* ':' pseudo */ || c.ignoreHeader(name)) continue;
    const prev = headers.get(name);
    if (prev === undefined) headers.set(name, value);
    else {
      headers.set(name, prev + '\u0000' + value);
      multi.push(name);
    }
  }
  for (const name of multi) headers.set(name, headers.get(name)!.split('\u0000').sort().join(', '));

  const side: NormalizedSide = { half, status: half.status | 0, headers, kind: 'empty', bytes: EMPTY };
  const raw = Buffer.isBuffer(half.body) ? half.body : Buffer.from(half.body ?? []);
  if (half.truncated || (half.bodySize > 0 && raw.length < half.bodySize)) side.note = 'truncated';
  if (raw.length === 0) return side;
  const decoded = decodeBody(raw, encoding, c.maxDecodedBytes);
  if (decoded.note) side.note ??= decoded.note;
  side.bytes = decoded.body;
  if (decoded.note === 'too-large') {
    side.kind = 'binary';
    return side;
  }
  classifyBody(side, contentType.toLowerCase(), deferJson);
  return side;
}

const EMPTY = Buffer.alloc(0);
const UTF8_COMPATIBLE = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii']);

/**
 * Whether a JSON text holds more than max opening brackets: only then can its value nest deeper than
 * max (each level opens one), so most bodies skip the walk of depthOver (native scans, no allocation).
 */
function mayNest(text: string, max: number): boolean {
  let n = 0;
  for (let i = text.indexOf('{'); i >= 0 && n <= max; i = text.indexOf('{', i + 1)) n++;
  for (let i = text.indexOf('['); i >= 0 && n <= max; i = text.indexOf('[', i + 1)) n++;
  return n > max;
}

/** Whether v nests deeper than max (an explicit stack: no recursion on hostile input). */
export function depthOver(v: unknown, max: number): boolean {
  if (v === null || typeof v !== 'object') return false;
  const values: object[] = [v];
  const depths: number[] = [1];
  while (values.length) {
    const x = values.pop()!;
    const d = depths.pop()!;
    if (d > max) return true;
    if (Array.isArray(x)) {
      for (let i = 0; i < x.length; i++) {
        const y = x[i];
        if (y !== null && typeof y === 'object') {
          values.push(y);
          depths.push(d + 1);
        }
      }
    } else
      for (const k in x) {
        const y = (x as Record<string, unknown>)[k];
        if (y !== null && typeof y === 'object') {
          values.push(y);
          depths.push(d + 1);
        }
      }
  }
  return false;
}

/** Parses a pending JSON side (normalizeHalf with deferJson) and settles its kind and note; idempotent. */
export function resolveJson(side: NormalizedSide): void {
  const p = side.pending;
  if (!p) return;
  side.pending = undefined;
  const text = side.jsonText ?? '';
  try {
    side.json = JSON.parse(text);
    if (mayNest(text, MAX_JSON_DEPTH) && depthOver(side.json, MAX_JSON_DEPTH)) {
      side.json = undefined;
      side.kind = 'binary';
      side.note ??= 'too-deep';
    }
  } catch {
    // declared JSON that is not: compare it as text rather than fail the pair
    if (p === 'declared') side.note ??= 'invalid-json';
    side.kind = 'text';
    side.text = text;
  }
}

function classifyBody(side: NormalizedSide, ct: string, deferJson: boolean): void {
  const b = side.bytes;
  // A body that did not decode as declared, or in a charset other than UTF-8 (or a subset), is not
  // read as UTF-8 JSON or text: compared byte for byte, or not at all (decode-failed, diff.ts).
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/.exec(ct)?.[1];
  if (side.note === 'decode-failed' || (charset && !UTF8_COMPATIBLE.has(charset))) {
    if (charset && side.note === undefined) side.note = 'charset';
    side.kind = 'binary';
    return;
  }
  const declaredJson = ct.includes('json');
  const declaredText =
    ct.startsWith('text/') ||
    ct.includes('xml') ||
    ct.includes('javascript') ||
    ct.includes('x-www-form-urlencoded') ||
    ct.includes('html') ||
    ct.includes('yaml');
  const sniffJson = ct === '' && (b[0] === 0x7b || b[0] === 0x5b);
  if (declaredJson || sniffJson) {
    // ASCII (most JSON) is read as latin1, the same string without the UTF-8 decoder (a tenth of parsing)
    side.ascii = isAscii(b);
    side.jsonText = b.toString(side.ascii ? 'latin1' : 'utf8');
    side.kind = 'json';
    side.pending = declaredJson ? 'declared' : 'sniffed';
    if (!deferJson) resolveJson(side);
    return;
  }
  if (declaredText || (ct === '' && isUtf8(b) && !b.includes(0))) {
    side.kind = 'text';
    side.text = b.toString('utf8');
    return;
  }
  side.kind = 'binary';
}
