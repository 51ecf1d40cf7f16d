// The difference between two versions of a policy: for each changed path (the server's list), the
// value before and after, as JSON.

import type { Change, PolicySpec } from '../types';

function at(spec: unknown, path: string): unknown {
  let v: unknown = spec;
  for (const seg of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v;
}

const show = (v: unknown) => (v === undefined ? '' : JSON.stringify(v, null, 1).replace(/\n\s*/g, ' '));

export function SpecDiff({ before, after, changes }: { before?: PolicySpec; after?: PolicySpec; changes: Change[] }) {
  if (!after) return <p class="muted small">Deleted (tombstone).</p>;
  if (changes.length === 0) return <p class="muted small">No change.</p>;
  return (
    <table class="grid specdiff" data-testid="spec-diff">
      <thead><tr><th>Path</th><th>Before</th><th>After</th></tr></thead>
      <tbody>
        {changes.map((c) => (
          <tr key={c.path}>
            <td><code>{c.path}</code></td>
            <td class="del">{c.op === 'added' ? <span class="muted">(absent)</span> : <code>{show(at(before, c.path))}</code>}</td>
            <td class="ins">{c.op === 'removed' ? <span class="muted">(absent)</span> : <code>{show(at(after, c.path))}</code>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
