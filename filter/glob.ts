// Glob matching for hosts and paths; pure functions, no allocation.
// Host globs: '*' matches one or more hostname characters (dots included, never an empty label),
// case-insensitive (callers pass lower-case patterns). Path globs: '*' matches within one segment (never '/'), '**' across
// segments, and a pattern ending in '/' is a prefix. The path matcher is git's wildmatch algorithm
// (early abort to the enclosing '**'), so a hostile path cannot make matching exponential; a step
// budget bounds it anyway.

const MATCH: i32 = 1;
const NOMATCH: i32 = 0;
const ABORT_ALL: i32 = -1;
const ABORT_TO_STARSTAR: i32 = -2;
const STEP_BUDGET: i32 = 100000;
let steps: i32 = 0;

@inline function lower(c: u32): u32 { return c >= 0x41 && c <= 0x5a ? c + 32 : c; }

// Single-kind '*' glob where each '*' matches ONE OR MORE characters ('*' ≡ '?*'), classic
// two-pointer backtracking: O(len(p) * len(s)) worst case, both bounded by the schema (253 units).
// Callers check isHostname first, so every character a '*' can take is a hostname character and
// '*.stripe.com' never matches "evil.com#.stripe.com" nor ".stripe.com" (issue 14 finding 2).
export function hostGlobMatch(p: string, s: string): bool {
  const pl = p.length, sl = s.length;
  let pi = 0, si = 0, star = -1, mark = 0;
  while (si < sl) {
    if (pi < pl) {
      const pc = <u32>load<u16>(changetype<usize>(p) + (<usize>pi << 1));
      if (pc == 0x2a) { star = pi++; si++; mark = si; continue; } // the mandatory first character
      if (pc == lower(<u32>load<u16>(changetype<usize>(s) + (<usize>si << 1)))) { pi++; si++; continue; }
    }
    if (star < 0) return false;
    pi = star + 1;
    si = ++mark;
  }
  return pi == pl;
}

// A host a glob may match: dot-separated labels of [a-z0-9-_] (none empty) or a bracketed IPv6
// literal, then an optional ":port". Anything else ('#', '/', '?', '\\', '@', an empty label) matches
// no glob, only an exact rule naming it.
export function isHostname(h: string): bool {
  const n = h.length;
  if (n == 0) return false;
  let i = 0;
  if (h.charCodeAt(0) == 0x5b) { // '[' IPv6 literal
    i = 1;
    while (i < n && h.charCodeAt(i) != 0x5d) {
      const c = h.charCodeAt(i);
      if (!((c >= 0x30 && c <= 0x3a) || (c >= 0x61 && c <= 0x66) || c == 0x2e)) return false;
      i++;
    }
    if (i >= n || i == 1) return false;
    i++;
  } else {
    let label = 0;
    for (; i < n; i++) {
      const c = h.charCodeAt(i);
      if (c == 0x3a) break;
      if (c == 0x2e) { if (label == 0) return false; label = 0; continue; }
      if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x5f)) return false;
      label++;
    }
    if (label == 0) return false;
  }
  if (i == n) return true;
  if (h.charCodeAt(i) != 0x3a || i + 1 == n || n - i - 1 > 5) return false;
  for (let j = i + 1; j < n; j++) {
    const c = h.charCodeAt(j);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

// host.toLowerCase(), without the copy when the host is already lower-case ASCII (the usual case).
export function lowerHost(host: string): string {
  const p = changetype<usize>(host);
  for (let i = 0, n = host.length; i < n; i++) {
    const c = <u32>load<u16>(p + (<usize>i << 1));
    if (c >= 0x80 || (c >= 0x41 && c <= 0x5a)) return host.toLowerCase();
  }
  return host;
}

export function hasWildcard(p: string): bool { return p.indexOf("*") >= 0; }

// ":authority" without the port. IPv6 literals are bracketed: the port colon follows the last ']'.
export function stripPort(host: string): string {
  const p = changetype<usize>(host);
  for (let i = host.length - 1; i >= 0; i--) {
    const c = load<u16>(p + (<usize>i << 1));
    if (c == 0x5d) return host;                       // ']' before any ':': no port
    if (c == 0x3a) return host.substring(0, i);       // the last ':' (after any ']')
  }
  return host;
}

export function matchPath(pattern: string, path: string): bool {
  steps = 0;
  const pl = pattern.length;
  if (pl > 0 && pattern.charCodeAt(pl - 1) == 0x2f && !hasWildcard(pattern)) return path.startsWith(pattern);
  return wild(pattern, 0, path, 0) == MATCH;
}

function wild(p: string, pi: i32, s: string, si: i32): i32 {
  const pl = p.length, sl = s.length;
  for (; pi < pl; pi++, si++) {
    if (++steps > STEP_BUDGET) return ABORT_ALL;
    const pc = p.charCodeAt(pi);
    if (pc == 0x2a) {
      const before = pi - 1; // index just before the run of stars
      let starstar = false;
      if (pi + 1 < pl && p.charCodeAt(pi + 1) == 0x2a) {
        starstar = true;
        while (pi + 1 < pl && p.charCodeAt(pi + 1) == 0x2a) pi++;
      }
      pi++;
      // "a/**/b" also matches "a/b": '**' between slashes may match zero segments.
      if (starstar && pi < pl && p.charCodeAt(pi) == 0x2f && (before < 0 || p.charCodeAt(before) == 0x2f)) {
        const z = wild(p, pi + 1, s, si);
        if (z == MATCH) return MATCH;
      }
      if (pi == pl) {
        // Trailing '*' matches the rest of the segment, '**' the rest of the path.
        if (starstar) return MATCH;
        return s.indexOf("/", si) < 0 ? MATCH : ABORT_TO_STARSTAR;
      }
      while (true) {
        if (si > sl) return ABORT_ALL;
        const r = wild(p, pi, s, si);
        if (r != NOMATCH) {
          if (!starstar || r != ABORT_TO_STARSTAR) return r;
        }
        if (si >= sl) return ABORT_ALL;
        if (!starstar && s.charCodeAt(si) == 0x2f) return ABORT_TO_STARSTAR;
        si++;
      }
    }
    if (si >= sl) return ABORT_ALL;
    if (pc != s.charCodeAt(si)) return NOMATCH;
  }
  return si == sl ? MATCH : NOMATCH;
}

// Path globs ending in '/' (with wildcards) are prefixes: "/v*/users/" ≡ "/v*/users/**".
export function normalizePathGlob(p: string): string {
  const pl = p.length;
  if (pl > 0 && p.charCodeAt(pl - 1) == 0x2f && hasWildcard(p)) return p + "**";
  return p;
}

// A host glob compiled once at configuration time. Exact patterns compare by equality; globs are
// pre-filtered by their literal prefix and suffix so that most non-matching rules cost one
// comparison. Callers pass the request host lower-cased once per request.
export class HostPattern {
  glob: string;
  exact: bool;
  withPort: bool;   // the pattern names a port: match against host:port
  prefix: string;   // literal text before the first '*'
  suffix: string;   // literal text after the last '*'
  probe: Probe;

  constructor(pattern: string) {
    const p = pattern.toLowerCase();
    const first = p.indexOf("*");
    const prefix = first < 0 ? p : p.substring(0, first);
    this.probe = new Probe(prefix);
    this.glob = p;
    this.exact = first < 0;
    this.withPort = p.indexOf(":") >= 0;
    this.prefix = prefix;
    this.suffix = first < 0 ? "" : p.substring(p.lastIndexOf("*") + 1);
  }

  matches(host: string, noPort: string): bool {
    const h = this.withPort ? host : noPort;
    if (!this.probe.passes(h)) return false;
    if (this.exact) return h == this.glob;
    if (!h.startsWith(this.prefix) || !h.endsWith(this.suffix)) return false;
    if (h.length < this.prefix.length + this.suffix.length) return false;
    if (!isHostname(h)) return false;
    return hostGlobMatch(this.glob, h);
  }
}

// A path glob compiled once: exact; prefix (ends in '/' without wildcards, or "<literal>**");
// one segment ("<literal>*": the prefix, then no '/'); or glob, with a literal prefix pre-check.
// The two shortcuts are what wild() computes for those shapes: a trailing '**' matches the rest of
// the path, a trailing '*' the rest of the segment.
const PATH_EXACT: i32 = 0;
const PATH_PREFIX: i32 = 1;
const PATH_GLOB: i32 = 2;
const PATH_SEGMENT: i32 = 3;

export class PathPattern {
  glob: string;
  kind: i32;
  prefix: string;
  probe: Probe;

  constructor(pattern: string) {
    const first = pattern.indexOf("*");
    const pl = pattern.length;
    this.probe = new Probe(first < 0 ? pattern : pattern.substring(0, first));
    if (first < 0) {
      this.glob = pattern;
      this.kind = pl > 0 && pattern.charCodeAt(pl - 1) == 0x2f ? PATH_PREFIX : PATH_EXACT;
      this.prefix = pattern;
    } else {
      this.glob = normalizePathGlob(pattern);
      this.prefix = pattern.substring(0, first);
      let onlyStars = true;
      for (let i = first; i < pl; i++) if (pattern.charCodeAt(i) != 0x2a) { onlyStars = false; break; }
      if (!onlyStars) this.kind = PATH_GLOB;
      else this.kind = pl - first >= 2 ? PATH_PREFIX : PATH_SEGMENT;
    }
  }

  matches(path: string): bool {
    if (!this.probe.passes(path)) return false;
    const k = this.kind;
    if (k == PATH_EXACT) return path == this.glob;
    if (!path.startsWith(this.prefix)) return false;
    if (k == PATH_PREFIX) return true;
    if (k == PATH_SEGMENT) return path.indexOf("/", this.prefix.length) < 0;
    return matchPath(this.glob, path);
  }
}

// A one-load pre-check of a literal prefix: the last four UTF-16 units of the prefix, compared as
// one u64 at the same offset of the candidate string. Rules usually differ at the end of their
// literal ("svc-1." vs "svc-199."), so a list of hundreds of rules is mostly rejected here.
export class Probe {
  len: i32;         // prefix length in code units (the candidate must be at least this long)
  offset: usize;    // byte offset of the probed units; 0 when the prefix is shorter than 4 units
  word: u64;

  constructor(prefix: string) {
    this.len = prefix.length;
    if (prefix.length >= 4) {
      this.offset = <usize>(prefix.length - 4) << 1;
      this.word = load<u64>(changetype<usize>(prefix) + this.offset);
    } else {
      this.offset = 0;
      this.word = 0;
    }
  }

  @inline passes(s: string): bool {
    if (s.length < this.len) return false;
    if (this.len < 4) return true;
    return load<u64>(changetype<usize>(s) + this.offset) == this.word;
  }
}
