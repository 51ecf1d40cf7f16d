// What the policy schema cannot say about a spec, checked before a write so such a policy is refused
// with 400 naming every problem at once (never stored, never silently ignored by the engine):
// - endpoint templates ('POST /refunds/{id}', '/users/{id}', '/files/**'): an optional upper-case
//   method, a path from '/', segments that are literal, '*', '{name}' or a final '**' (compare/endpoint.ts
//   parseTemplate drops anything else without a word);
// - JSON paths of ignorePaths, redactPaths, unorderedArrays (and per endpoint): dot-separated
//   segments, none empty, '*' and '**' whole segments only (compare/paths.ts);
// - a ramp's stage order and holds (ramp/state-machine.ts rampSpecProblem).
import type { PolicySpec } from '../domain/types.js';
import { rampSpecProblem } from '../ramp/state-machine.js';

export interface SpecProblem {
  field: string;
  message: string;
}

const METHOD = /^[A-Z]{1,16}$/;
const NAME = /^\{[A-Za-z_][A-Za-z0-9_-]*\}$/;

export function endpointProblem(raw: string): string | undefined {
  const t = raw.trim();
  const sp = t.indexOf(' ');
  const method = sp > 0 ? t.slice(0, sp) : undefined;
  const path = sp > 0 ? t.slice(sp + 1).trim() : t;
  if (method !== undefined && !METHOD.test(method))
    return `'${raw}': the method must be upper-case letters ('POST /refunds/{id}'), got '${method}'`;
  if (!path.startsWith('/')) return `'${raw}': the path must start with '/' ('/users/{id}')`;
  const segs = path.split('/').slice(1);
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i];
    if (s === '**' && i !== segs.length - 1) return `'${raw}': '**' may only be the last segment`;
    if (s === '' && i !== segs.length - 1) return `'${raw}': empty segment ('//')`;
    if ((s.includes('{') || s.includes('}')) && !NAME.test(s))
      return `'${raw}': a parameter is a whole segment '{name}', got '${s}'`;
    if (s.includes('*') && s !== '*' && s !== '**') return `'${raw}': '*' must be a whole segment, got '${s}'`;
    if (s.includes('?')) return `'${raw}': a template has no query string`;
  }
  return undefined;
}

export function jsonPathProblem(raw: string): string | undefined {
  const p = raw.trim();
  if (p === '') return 'empty path';
  if (p.startsWith('body.')) return `'${raw}': write the path inside the body, without 'body.' ('a.b')`;
  const segs = p.split('.');
  for (const s of segs) {
    if (s === '') return `'${raw}': empty segment (a leading, trailing or double '.')`;
    if (s.includes('*') && s !== '*' && s !== '**') return `'${raw}': '*' and '**' must be whole segments, got '${s}'`;
    if (/\[\d*\]/.test(s)) return `'${raw}': array indices are omitted ('items.*.id', not 'items[0].id')`;
  }
  return undefined;
}

export function specProblems(spec: PolicySpec): SpecProblem[] {
  const out: SpecProblem[] = [];
  (spec.endpoints ?? []).forEach((e, i) => {
    const m = typeof e === 'string' ? endpointProblem(e) : 'must be a string';
    if (m) out.push({ field: `/endpoints/${i}`, message: `is not an endpoint template: ${m}` });
  });
  const n = spec.normalize;
  for (const list of ['ignorePaths', 'redactPaths', 'unorderedArrays'] as const) {
    (n?.[list] ?? []).forEach((p, i) => {
      const m = typeof p === 'string' ? jsonPathProblem(p) : 'must be a string';
      if (m) out.push({ field: `/normalize/${list}/${i}`, message: `is not a JSON path: ${m}` });
    });
  }
  for (const [endpoint, own] of Object.entries(n?.ignoreByEndpoint ?? {})) {
    const key = endpoint.replace(/~/g, '~0').replace(/\//g, '~1');
    const m = endpointProblem(endpoint);
    if (m) out.push({ field: `/normalize/ignoreByEndpoint/${key}`, message: `is not an endpoint: ${m}` });
    (own?.ignorePaths ?? []).forEach((p, i) => {
      const pm = jsonPathProblem(p);
      if (pm)
        out.push({
          field: `/normalize/ignoreByEndpoint/${key}/ignorePaths/${i}`,
          message: `is not a JSON path: ${pm}`,
        });
    });
  }
  const ramp = spec.ramp ? rampSpecProblem(spec.ramp) : undefined;
  if (ramp) out.push({ field: `/ramp${ramp.field}`, message: ramp.message });
  return out;
}
