// Host and URL-path globs for the control plane, matched in time linear in the input (no regular
// expressions: a '.*' per '*' backtracks polynomially, issue 14 finding 1). Same semantics as the
// filter (filter/glob.ts), so a capacity rule and an egress rule read alike:
//   host glob: case-insensitive; '*' matches ONE OR MORE hostname characters [a-z0-9-_.], never an
//     empty label, so '*.stripe.com' covers 'api.stripe.com' and 'a.b.stripe.com' but not
//     'evil.com#.stripe.com', 'evil.com/.stripe.com' or '.stripe.com'. A host that is not a hostname
//     (empty label, any other character, an optional ':port' aside) matches no glob.
//   path glob: '*' matches within one segment (never '/'), '**' across segments, 'a/**/b' also
//     matches 'a/b', and a pattern ending in '/' is a prefix (≡ 'pattern**').
// Matching simulates the glob's NFA over a state set (Thompson): O(len(input) × len(glob)), and the
// policy limits glob length and count at PUT (checkGlobs), so the cost is linear in the input.

export const MAX_GLOB_LENGTH = 1024;
export const MAX_DOUBLE_STARS = 4;

const LIT = 0;
const ONE = 1; // one character of the class (host '*': the mandatory first character)
const MANY = 2; // zero or more characters of the class
const EPS = 3; // no character: ε-edges to the next state and to skipTo ('/**/' may match '/')

interface Token {
  kind: number;
  ch: number; // LIT: the char code
  cls: (c: number) => boolean; // ONE / MANY: which characters
  skipTo: number; // EPS: the second ε-edge
}

const any = (): boolean => true;
const notSlash = (c: number): boolean => c !== 0x2f;
function hostChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f || c === 0x2e;
}

/** A hostname (lower-case ASCII labels of [a-z0-9-_], none empty), with an optional ':port'. */
export function isHostname(host: string): boolean {
  const colon = host.lastIndexOf(':');
  const name = colon >= 0 ? host.slice(0, colon) : host;
  if (colon >= 0 && !/^[0-9]{1,5}$/.test(host.slice(colon + 1))) return false;
  if (name.length === 0 || name.length > 253) return false;
  let label = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2e) {
      if (label === 0) return false;
      label = 0;
    } else if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f) label++;
    else return false;
  }
  return label > 0;
}

const compiled = new Map<string, Token[]>();
function cachedCompile(key: string, build: () => Token[]): Token[] {
  let t = compiled.get(key);
  if (!t) {
    t = build();
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(key, t);
  }
  return t;
}

function compileHost(glob: string): Token[] {
  const out: Token[] = [];
  for (const ch of glob.toLowerCase()) {
    if (ch === '*') {
      // '**' in a host glob means the same as '*'
      if (out.length && out[out.length - 1].kind === MANY) continue;
      out.push({ kind: ONE, ch: 0, cls: hostChar, skipTo: -1 }, { kind: MANY, ch: 0, cls: hostChar, skipTo: -1 });
    } else out.push({ kind: LIT, ch: ch.charCodeAt(0), cls: any, skipTo: -1 });
  }
  return out;
}

function compilePath(glob: string): Token[] {
  let g = glob;
  if (g.endsWith('/') && g.includes('*')) g += '**';
  const out: Token[] = [];
  for (let i = 0; i < g.length; i++) {
    const c = g.charCodeAt(i);
    if (c !== 0x2a) {
      out.push({ kind: LIT, ch: c, cls: any, skipTo: -1 });
      continue;
    }
    let j = i;
    while (j + 1 < g.length && g.charCodeAt(j + 1) === 0x2a) j++;
    const double = j > i;
    // 'a/**/b' matches 'a/b': from the '**' state, skip the '**' and the '/' after it.
    // An EPS state of its own, so the skip is only taken before '**' consumed anything.
    const zeroSegs = double && (i === 0 || g.charCodeAt(i - 1) === 0x2f) && g.charCodeAt(j + 1) === 0x2f;
    if (zeroSegs) out.push({ kind: EPS, ch: 0, cls: any, skipTo: out.length + 3 });
    out.push({ kind: MANY, ch: 0, cls: double ? any : notSlash, skipTo: -1 });
    i = j;
  }
  return out;
}

/** Runs the NFA: states 0..n, state i = tokens[0, i) matched. */
function run(tokens: Token[], s: string, fold: boolean): boolean {
  const n = tokens.length;
  let cur = new Uint8Array(n + 1);
  let next = new Uint8Array(n + 1);
  const close = (set: Uint8Array): void => {
    // ε-edges only go forward: one ascending pass closes the set
    for (let i = 0; i < n; i++) {
      if (!set[i]) continue;
      const t = tokens[i];
      if (t.kind === MANY || t.kind === EPS) set[i + 1] = 1;
      if (t.kind === EPS) set[t.skipTo] = 1;
    }
  };
  cur[0] = 1;
  close(cur);
  for (let k = 0; k < s.length; k++) {
    let c = s.charCodeAt(k);
    if (fold && c >= 0x41 && c <= 0x5a) c += 32;
    next.fill(0);
    let alive = false;
    for (let i = 0; i < n; i++) {
      if (!cur[i]) continue;
      const t = tokens[i];
      if (t.kind === LIT) {
        if (t.ch === c) {
          next[i + 1] = 1;
          alive = true;
        }
      } else if (t.kind !== EPS && t.cls(c)) {
        if (t.kind === ONE) next[i + 1] = 1;
        else next[i] = 1;
        alive = true;
      }
    }
    if (!alive) return false;
    close(next);
    [cur, next] = [next, cur];
  }
  return cur[n] === 1;
}

export function hostGlobMatch(glob: string, host: string): boolean {
  const h = host.toLowerCase();
  if (!isHostname(h)) return false;
  const g = String(glob).toLowerCase();
  // a glob without a port matches the host without its port (as the filter's HostPattern does)
  const target = g.includes(':') ? h : h.replace(/:[0-9]+$/, '');
  if (!g.includes('*')) return g === target;
  return run(
    cachedCompile(`h\0${g}`, () => compileHost(g)),
    target,
    false,
  );
}

export function pathGlobMatch(glob: string, path: string): boolean {
  if (!glob.includes('*')) return glob.endsWith('/') ? path.startsWith(glob) : path === glob;
  return run(
    cachedCompile(`p\0${glob}`, () => compilePath(glob)),
    path,
    false,
  );
}

/** Why a glob from a policy cannot be accepted, or undefined. */
export function globProblem(glob: string, kind: 'host' | 'path' | 'json'): string | undefined {
  if (glob.length > MAX_GLOB_LENGTH) return `is longer than ${MAX_GLOB_LENGTH} characters`;
  const doubles = glob.match(/\*\*+/g)?.length ?? 0;
  if (doubles > MAX_DOUBLE_STARS) return `has ${doubles} '**' (at most ${MAX_DOUBLE_STARS})`;
  if (kind === 'host' && !/^[a-zA-Z0-9\-_.*:]+$/.test(glob)) return 'may hold only hostname characters, * and :port';
  return undefined;
}
