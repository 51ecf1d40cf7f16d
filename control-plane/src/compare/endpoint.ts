// Endpoint naming: METHOD + route template, so that reports segment by endpoint (a regression on
// POST /refunds/{id} must not hide in the aggregate). Policy templates win ('/users/{id}' for any
// method, 'POST /refunds/{id}' for one; '{x}' or '*' = one segment, a trailing '**' = the rest);
// otherwise the path is templated by collapsing id-like segments to {id} — Diffy's maintainer's point
// (reference §3.5) that raw paths make every request its own endpoint with a sample of one.

interface Template {
  method: string | undefined;
  segs: string[];
  rest: boolean;
  text: string;
}

export interface EndpointResolver {
  resolve(method: string, path: string): string;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const HEX = /^(?=.*\d)[0-9a-f]{8,}$/i;
const NUMERIC = /^\d+$/;
// prefixed ids: usr_2x9Kq1, ch_3MqLk2eZ, ord-00af31
const PREFIXED = /^[a-z]{1,8}[_-](?=.*\d)[A-Za-z0-9]{6,}$/;
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export function isIdSegment(seg: string): boolean {
  if (seg === '') return false;
  if (NUMERIC.test(seg) || UUID.test(seg) || HEX.test(seg) || ULID.test(seg) || PREFIXED.test(seg)) return true;
  // long mixed alphanumerics (base62 ids, slugs with a numeric tail are not: they contain '-')
  if (seg.length >= 16 && /^[A-Za-z0-9_]+$/.test(seg) && /\d/.test(seg) && /[A-Za-z]/.test(seg)) return true;
  return false;
}

export function inferTemplate(path: string): string {
  const q = path.indexOf('?');
  const p = q >= 0 ? path.slice(0, q) : path;
  if (p === '' || p === '/') return '/';
  const segs = p.split('/');
  for (let i = 0; i < segs.length; i++) {
    let s = segs[i];
    try {
      s = decodeURIComponent(s);
    } catch {
      /* keep raw */
    }
    if (isIdSegment(s)) segs[i] = '{id}';
  }
  let out = segs.join('/');
  if (out.length > 1 && out.endsWith('/')) out = out.slice(0, -1);
  return out.startsWith('/') ? out : '/' + out;
}

function parseTemplate(raw: string): Template | undefined {
  const t = raw.trim();
  const sp = t.indexOf(' ');
  const method = sp > 0 ? t.slice(0, sp).toUpperCase() : undefined;
  const path = (sp > 0 ? t.slice(sp + 1) : t).trim();
  if (!path.startsWith('/')) return undefined;
  const segs = path.split('/').slice(1);
  let rest = false;
  if (segs.length && segs[segs.length - 1] === '**') {
    rest = true;
    segs.pop();
  }
  if (segs.length && segs[segs.length - 1] === '' && !rest) segs.pop();
  return { method, segs, rest, text: path };
}

function matches(t: Template, method: string, segs: string[]): boolean {
  if (t.method && t.method !== method) return false;
  if (t.rest ? segs.length < t.segs.length : segs.length !== t.segs.length) return false;
  for (let i = 0; i < t.segs.length; i++) {
    const ts = t.segs[i];
    if (ts === '*' || (ts.startsWith('{') && ts.endsWith('}'))) {
      if (segs[i] === '') return false;
      continue;
    }
    if (ts !== segs[i]) return false;
  }
  return true;
}

const CACHE_MAX = 10_000;
const resolvers = new WeakMap<readonly string[], EndpointResolver>();
const NO_PATTERNS: readonly string[] = [];

export function compileEndpoints(patterns: readonly string[] = NO_PATTERNS): EndpointResolver {
  const hit = resolvers.get(patterns);
  if (hit) return hit;
  const templates: Template[] = [];
  for (const p of patterns) {
    const t = parseTemplate(String(p));
    if (t) templates.push(t);
  }
  // method-specific templates first, then more literal segments first, so the most specific wins
  templates.sort((x, y) => Number(!!y.method) - Number(!!x.method) || literalCount(y) - literalCount(x));
  const cache = new Map<string, string>();
  const resolver: EndpointResolver = {
    resolve(method: string, path: string): string {
      const m = (method || 'GET').toUpperCase();
      const key = m + ' ' + path;
      const c = cache.get(key);
      if (c !== undefined) return c;
      const q = path.indexOf('?');
      const clean = q >= 0 ? path.slice(0, q) : path;
      let out: string | undefined;
      if (templates.length) {
        const segs = clean.split('/').slice(1);
        if (segs.length && segs[segs.length - 1] === '') segs.pop();
        for (const t of templates)
          if (matches(t, m, segs)) {
            out = m + ' ' + t.text;
            break;
          }
      }
      out ??= m + ' ' + inferTemplate(clean);
      // a bounded memo: the same paths repeat (hot endpoints); clear rather than track recency
      if (cache.size >= CACHE_MAX) cache.clear();
      cache.set(key, out);
      return out;
    },
  };
  resolvers.set(patterns, resolver);
  return resolver;
}

function literalCount(t: Template): number {
  let n = 0;
  for (const s of t.segs) if (s !== '*' && !s.startsWith('{')) n++;
  return n;
}
