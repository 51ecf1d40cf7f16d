// Redaction: secrets never leave the engine. Headers named in spec.normalize.redactHeaders plus the
// four that always carry credentials, JSON values at spec.normalize.redactPaths, and credential-looking
// fragments of text bodies become '[REDACTED]' in every difference and every example we hand out.
// The diff itself still sees the real values, so a secret field that disappears is still a difference.
//
// JSON keys are matched like text keys (the name anywhere in the key, case-insensitive), on by default
// (normalize.redactSecretKeys: false turns it off): issue 14 finding 5.
import { FLAG_IGNORE, FLAG_REDACT, type MatchState, type PathMatcher } from './paths.js';

export const REDACTED = '[REDACTED]';
export const ALWAYS_REDACTED_HEADERS: readonly string[] = [
  'authorization',
  'cookie',
  'set-cookie',
  'proxy-authorization',
];

export function headerRedactor(names: readonly string[] = []): (name: string) => boolean {
  const set = new Set<string>(ALWAYS_REDACTED_HEADERS);
  for (const n of names) set.add(String(n).toLowerCase());
  return (name) => set.has(name);
}

/**
 * Copy `v` (found at `state`) replacing every redacted subtree; ignored subtrees are dropped so that
 * examples show what was compared. `mask` may replace primitives (detector masking). Returns `v`
 * itself when nothing below can match and no mask is given (no copy needed).
 */
export function redactValue(
  v: unknown,
  matcher: PathMatcher | undefined,
  state: MatchState,
  mask?: (x: unknown) => unknown,
  isSecret?: (key: string) => boolean,
): unknown {
  if (matcher && matcher.flags(state) & FLAG_REDACT) return REDACTED;
  if (v === null || typeof v !== 'object') return mask ? mask(v) : v;
  if (!mask && !isSecret && (!matcher || state.length === 0)) return v;
  if (Array.isArray(v)) {
    const next = matcher ? matcher.step(state, '*', true) : state;
    if (matcher && matcher.flags(next) & FLAG_IGNORE) return [];
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = redactValue(v[i], matcher, next, mask, isSecret);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const k in v as Record<string, unknown>) {
    const next = matcher ? matcher.step(state, k, false) : state;
    if (matcher && matcher.flags(next) & FLAG_IGNORE) continue;
    out[k] = isSecret?.(k) ? REDACTED : redactValue((v as Record<string, unknown>)[k], matcher, next, mask, isSecret);
  }
  return out;
}

/** The JSON key test for the default secret names plus `keys` (lower-cased). */
export function secretKeyTest(keys: readonly string[] = []): (key: string) => boolean {
  const names = [...new Set([...DEFAULT_SECRET_KEYS, ...keys.map((k) => k.toLowerCase())])]
    .filter((k) => k !== '' && k !== '*' && k !== '**')
    .map(escapeRe)
    .join('|');
  const re = new RegExp(names, 'i');
  const memo = new Map<string, boolean>();
  return (key) => {
    let hit = memo.get(key);
    if (hit === undefined) {
      hit = key.length <= 256 && re.test(key);
      if (memo.size < 10_000) memo.set(key, hit);
    }
    return hit;
  };
}

let defaultTest: ((key: string) => boolean) | undefined;
/** secretKeyTest() built once, on first use (module constants are not initialized yet at load). */
export function isDefaultSecretKey(key: string): boolean {
  defaultTest ??= secretKeyTest();
  return defaultTest(key);
}

/** Deep copy of a stored value with secret keys' values replaced (the load-time pass over old state). */
export function redactSecrets(v: unknown, isSecret = isDefaultSecretKey, depth = 0): unknown {
  if (v === null || typeof v !== 'object' || depth > 256) return v;
  if (Array.isArray(v)) return v.map((x) => redactSecrets(x, isSecret, depth + 1));
  const out: Record<string, unknown> = {};
  for (const k in v as Record<string, unknown>)
    out[k] = isSecret(k) ? REDACTED : redactSecrets((v as Record<string, unknown>)[k], isSecret, depth + 1);
  return out;
}

const DEFAULT_SECRET_KEYS = [
  'password',
  'passwd',
  'secret',
  'token',
  'access_token',
  'refresh_token',
  'api_key',
  'apikey',
  'client_secret',
  'authorization',
  'cookie',
  'session',
  'card_number',
  'cvv',
];

/**
 * Text bodies cannot be redacted by JSON path, so scrub what looks like a credential: HTTP auth
 * schemes, header lines of the always-redacted headers, and key=value / "key": "value" pairs whose key
 * is a known secret name or the last segment of a configured redact path.
 */
export function textScrubber(keys: readonly string[] = []): (s: string) => string {
  const names = [...new Set([...DEFAULT_SECRET_KEYS, ...keys.map((k) => k.toLowerCase())])]
    .filter((k) => k !== '' && k !== '*' && k !== '**')
    .map(escapeRe)
    .join('|');
  const pairs = new RegExp(`(["']?(?:${names})["']?\\s*[:=]\\s*)("[^"]*"|'[^']*'|[^\\s&,;}]+)`, 'gi');
  return (s) =>
    s
      .replace(/\b(Bearer|Basic|Digest|Negotiate|Token)\s+[A-Za-z0-9._~+/=-]{6,}/gi, `$1 ${REDACTED}`)
      .replace(/^((?:proxy-)?authorization|cookie|set-cookie)\s*:.*$/gim, `$1: ${REDACTED}`)
      .replace(pairs, `$1"${REDACTED}"`);
}

export function scrubText(s: string, keys: readonly string[] = []): string {
  return textScrubber(keys)(s);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
