// Detectors of volatile values: UUIDs, timestamps and long random tokens. The diff asks them about
// values that differ; a pair of values of the same class is always reported as a suggestion and is
// masked (treated as equal) only when spec.normalize.detectors enables that class — reference §8 step 8:
// suggest, never silently add.

export type DetectorClass = 'uuid' | 'timestamp' | 'token';
export const MASKS: Record<DetectorClass, string> = { uuid: '<uuid>', timestamp: '<timestamp>', token: '<token>' };

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// ISO 8601 / RFC 3339 date-time (and a bare date with a time part); the date part alone is too common
// a business value ('2024-01-31' as a due date) to call volatile.
const ISO_RE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/i;
// RFC 1123 (HTTP-date, e.g. the Date header) and its RFC 850 / asctime cousins are rare enough to skip.
const RFC1123_RE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} (?:GMT|UTC|[+-]\d{4})$/;
const DIGITS_RE = /^\d{10}(?:\d{3})?(?:\.\d+)?$/;
// plausible epoch range: 2001-09-09 .. 2100-01-01 (seconds); the same in milliseconds
const EPOCH_S_MIN = 1_000_000_000;
const EPOCH_S_MAX = 4_102_444_800;

const TOKEN_MIN_LEN = 20;
const TOKEN_MIN_BITS = 3.5;
const TOKEN_RE = /^[A-Za-z0-9_\-+/=.~:]+$/;

export function isUuid(s: string): boolean {
  return s.length === 36 && UUID_RE.test(s);
}

export function isTimestamp(v: unknown): boolean {
  if (typeof v === 'number') return isEpoch(v);
  if (typeof v !== 'string') return false;
  const n = v.length;
  if (n >= 16 && n <= 40 && v.charCodeAt(4) === 45 /* - */) return ISO_RE.test(v);
  if (n >= 25 && n <= 35 && v.charCodeAt(3) === 44 /* , */) return RFC1123_RE.test(v);
  if (n >= 10 && n <= 24 && DIGITS_RE.test(v)) return isEpoch(Number(v));
  return false;
}

function isEpoch(x: number): boolean {
  if (!Number.isFinite(x)) return false;
  if (x >= EPOCH_S_MIN && x <= EPOCH_S_MAX) return true;
  return x >= EPOCH_S_MIN * 1000 && x <= EPOCH_S_MAX * 1000;
}

const counts = new Int32Array(128);
/** which buckets are in use, 32 per word: the sum visits only those, in ascending order as before */
const used = new Int32Array(4);

/** Shannon entropy in bits per character over ASCII (non-ASCII counted in one bucket). */
export function entropyBits(s: string): number {
  const n = s.length;
  if (n === 0) return 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const b = c < 128 ? c : 127;
    if (counts[b]++ === 0) used[b >>> 5] |= 1 << (b & 31);
  }
  let h = 0;
  for (let w = 0; w < 4; w++) {
    for (let bits = used[w]; bits !== 0; bits &= bits - 1) {
      const b = (w << 5) | (31 - Math.clz32(bits & -bits));
      const p = counts[b] / n;
      h -= p * Math.log2(p);
      counts[b] = 0;
    }
    used[w] = 0;
  }
  return h;
}

/** A long, unspaced, high-entropy string with both letters and digits: session ids, API tokens, hashes. */
export function isToken(s: string): boolean {
  if (s.length < TOKEN_MIN_LEN || s.length > 4096) return false;
  if (!TOKEN_RE.test(s)) return false;
  let letters = false,
    digits = false;
  for (let i = 0; i < s.length && !(letters && digits); i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) digits = true;
    else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) letters = true;
  }
  if (!letters || !digits) return false;
  return entropyBits(s) >= TOKEN_MIN_BITS;
}

export function classify(v: unknown): DetectorClass | undefined {
  if (typeof v === 'number') return isEpoch(v) ? 'timestamp' : undefined;
  if (typeof v !== 'string' || v.length < 10) return undefined;
  if (isUuid(v)) return 'uuid';
  if (isTimestamp(v)) return 'timestamp';
  if (isToken(v)) return 'token';
  return undefined;
}
