// The difference between two versions of a policy: for each changed path (the server's list, or
// changesBetween's for two versions that are not neighbours), the value before and after, as JSON.

import type { Change, PolicySpec } from '../types';

function at(spec: unknown, path: string): unknown {
  let v: unknown = spec;
  for (const seg of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (!isObject(a) || !isObject(b)) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && same(a[k], b[k]));
}

/** The changed paths from `before` to `after`, as the server lists them (store/spec-diff.ts): objects are
 *  walked key by key, arrays and scalars are leaves. Object keys compare in any order. */
export function changesBetween(before: unknown, after: unknown, prefix = ''): Change[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k): Change[] => {
      const path = prefix ? `${prefix}.${k}` : k;
      if (!Object.hasOwn(after, k)) return [{ path, op: 'removed' }];
      if (!Object.hasOwn(before, k)) return [{ path, op: 'added' }];
      return changesBetween(before[k], after[k], path);
    });
  }
  if (same(before, after)) return [];
  return [{ path: prefix || '.', op: before === undefined ? 'added' : after === undefined ? 'removed' : 'changed' }];
}

const show = (v: unknown) => (v === undefined ? '' : JSON.stringify(v, null, 1).replace(/\n\s*/g, ' '));

export function SpecDiff({ before, after, changes }: { before?: PolicySpec; after?: PolicySpec; changes: Change[] }) {
  if (!after) return <p class="muted small">Deleted (tombstone).</p>;
  if (changes.length === 0) return <p class="muted small">No change.</p>;
  return (
    <table class="grid specdiff" data-testid="spec-diff">
      <thead>
        <tr>
          <th>Path</th>
          <th>Before</th>
          <th>After</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((c) => (
          <tr key={c.path}>
            <td>
              <code>{c.path}</code>
            </td>
            <td class="del">
              {c.op === 'added' ? <span class="muted">(absent)</span> : <code>{show(at(before, c.path))}</code>}
            </td>
            <td class="ins">
              {c.op === 'removed' ? <span class="muted">(absent)</span> : <code>{show(at(after, c.path))}</code>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
