// Path canonicalization for egress matching: the path the upstream will most likely serve, or null
// when no single answer is safe (the call is then denied, rule "uncanonical-path"). The call itself
// is never changed. Linear, one pass plus one output buffer.
//
// Decoded once: percent-encoded unreserved characters, '/' and '\' (RFC 3986 §6.2.2.2 makes the
// former equivalent; many servers decode the latter too); '\' is read as '/', repeated '/' merged and
// dot segments removed (§5.2.4). Matching the raw :path would let "/catalog/../v1/charges" pass an
// allow rule for "/catalog/**", or "//send/x" slip past a deny rule for "/send/**": Envoy does not
// normalize paths unless the listener asks it to, and shadow egress must fail closed.
// Refused (null), because upstreams disagree on what they mean (issue 14 finding 4):
//   ';' raw or encoded   path parameters: Tomcat/Spring read "/catalog/..;/x" as "/x"
//   '%25'                an encoded '%': "%252e%252e" becomes ".." at a server that decodes twice
//   '%00' or a raw NUL   C-string truncation
//   '%c0' '%c1', '%e0' + '%80'–'%9f', '%f0' + '%80'–'%8f'   overlong UTF-8 ("%c0%ae" = '.')
//   '%u' and any '%' not followed by two hex digits          IIS-style and malformed escapes
export function canonicalPath(p: string): string | null {
  const n = p.length;
  if (n == 0 || p.charCodeAt(0) != 0x2f) return p;
  if (!needsCanonical(p)) return p;
  // Decoding only shortens: the output (plus one virtual final '/') fits in n + 1 units.
  const out = new StaticArray<u16>(n + 1);
  const starts = new Array<i32>(); // where each kept segment starts in out
  unchecked(out[0] = 0x2f);
  let o = 1, segStart = 1;
  let trailing = false;
  for (let i = 1; i <= n; i++) {
    let c: i32 = i < n ? <i32>p.charCodeAt(i) : 0x2f;
    let literal = false; // a '%' escape kept as is
    if (c == 0 || c == 0x3b) return null;
    if (c == 0x25) {
      const d = i + 2 < n ? (hexVal(p.charCodeAt(i + 1)) << 4) | hexVal(p.charCodeAt(i + 2)) : -1;
      if (d < 0 || d == 0 || d == 0x25 || d == 0x3b || d == 0xc0 || d == 0xc1) return null;
      if (d == 0xe0 || d == 0xf0) {
        const e = i + 5 < n && p.charCodeAt(i + 3) == 0x25 ? (hexVal(p.charCodeAt(i + 4)) << 4) | hexVal(p.charCodeAt(i + 5)) : -1;
        if (e >= 0x80 && e <= (d == 0xe0 ? 0x9f : 0x8f)) return null;
      }
      if (isUnreserved(d) || d == 0x2f || d == 0x5c) { c = d; i += 2; } else literal = true;
    }
    if (c == 0x5c) c = 0x2f;
    if (literal || c != 0x2f) { unchecked(out[o++] = <u16>c); continue; }
    const len = o - segStart;
    const dots = len <= 2 && unchecked(out[segStart]) == 0x2e && (len == 1 || unchecked(out[segStart + 1]) == 0x2e);
    if (len == 0 || (dots && len == 1)) { o = segStart; trailing = true; }
    else if (dots) { o = starts.length > 0 ? starts.pop() : segStart; trailing = true; }
    else { starts.push(segStart); unchecked(out[o++] = 0x2f); trailing = false; }
    segStart = o;
  }
  if (!trailing && o > 1) o--; // the virtual final '/'
  return String.UTF16.decodeUnsafe(changetype<usize>(out), <usize>o << 1);
}

function needsCanonical(p: string): bool {
  for (let i = 0, n = p.length; i < n; i++) {
    const c = p.charCodeAt(i);
    if (c == 0x25 || c == 0x5c || c == 0x3b || c == 0) return true;
    if (c == 0x2f && i + 1 < n) {
      const d = p.charCodeAt(i + 1);
      if (d == 0x2f || d == 0x2e) return true;
    }
  }
  return false;
}

function hexVal(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -0x1000; // any combination stays negative
}

function isUnreserved(c: i32): bool {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x2e || c == 0x5f || c == 0x7e;
}
