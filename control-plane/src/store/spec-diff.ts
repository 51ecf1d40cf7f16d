// The audit summary of a policy change: which paths of the spec were added, removed or changed.
// Objects are walked key by key; arrays and scalars are leaves (a rule list that changed is one
// change, 'egress.rules'), which keeps the summary small enough to read in a history view.

import type { SpecChange } from './types.js';

type Json = unknown;

function isPlainObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function equal(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && equal(a[k], b[k]));
  }
  return false;
}

/** Changed paths from `before` to `after`, sorted; undefined stands for "no spec" (create, delete). */
export function specChanges(before: Json, after: Json, prefix = ''): SpecChange[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const out: SpecChange[] = [];
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const k of keys) {
      const path = prefix ? `${prefix}.${k}` : k;
      if (!Object.hasOwn(after, k)) out.push({ path, op: 'removed' });
      else if (!Object.hasOwn(before, k)) out.push({ path, op: 'added' });
      else out.push(...specChanges(before[k], after[k], path));
    }
    return out;
  }
  if (equal(before, after)) return [];
  const path = prefix || '.';
  if (before === undefined) return [{ path, op: 'added' }];
  if (after === undefined) return [{ path, op: 'removed' }];
  return [{ path, op: 'changed' }];
}

export function specsEqual(a: Json, b: Json): boolean {
  return equal(a, b);
}
