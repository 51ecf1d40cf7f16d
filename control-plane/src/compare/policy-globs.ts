// The limits a policy's globs must meet before they are stored (PUT, rollback): each glob within
// MAX_GLOB_LENGTH and at most MAX_DOUBLE_STARS '**', host globs of hostname characters only. The
// matchers (glob.ts, paths.ts) are linear in the input for a glob of bounded size; these limits
// bound the glob side, so no editor-supplied policy can stall the control plane (issue 14
// findings 1 and 11).
import type { PolicySpec } from '../domain/types.js';
import { globProblem } from './glob.js';

export interface GlobProblem {
  /** JSON pointer below the spec: '/normalize/ignorePaths/3' */
  field: string;
  message: string;
}

/** The first glob of the spec that breaks a limit, or undefined. */
export function policyGlobProblem(spec: PolicySpec): GlobProblem | undefined {
  const n = spec.normalize;
  for (const list of ['ignorePaths', 'unorderedArrays', 'redactPaths'] as const) {
    const globs = n?.[list] ?? [];
    for (let i = 0; i < globs.length; i++) {
      const m = globProblem(String(globs[i]), 'json');
      if (m) return { field: `/normalize/${list}/${i}`, message: m };
    }
  }
  const cap = spec.capacity ?? [];
  for (let i = 0; i < cap.length; i++) {
    const m = globProblem(String(cap[i].host), 'host');
    if (m) return { field: `/capacity/${i}/host`, message: m };
  }
  const rules = spec.egress?.rules ?? [];
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i] as { host?: string; path?: string };
    const h = r.host !== undefined ? globProblem(String(r.host), 'json') : undefined; // IPv6 literals allowed
    if (h) return { field: `/egress/rules/${i}/host`, message: h };
    const p = r.path !== undefined ? globProblem(String(r.path), 'path') : undefined;
    if (p) return { field: `/egress/rules/${i}/path`, message: p };
  }
  return undefined;
}
