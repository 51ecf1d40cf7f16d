// docs/architecture.md is the map a newcomer reads first: its "Where each concept lives" table must name,
// for each concept, one owner file that exists, and the paths and links on the map must lead somewhere.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const read = (file: string): string => readFileSync(new URL(file, root), 'utf8');
const exists = (p: string): boolean => existsSync(new URL(p, root));
// Inline code spans, outside fenced blocks (whose ``` would pair the wrong backticks).
const backticked = (text: string): string[] =>
  [...text.replace(/^```[\s\S]*?^```/gm, '').matchAll(/`([^`]+)`/g)].map((m) => m[1]);

interface Row {
  concept: string;
  owner: string[];
  also: string[];
}

function conceptTable(): Row[] {
  const doc = read('docs/architecture.md');
  const section = /## Where each concept lives\n([\s\S]*?)(?=\n## )/.exec(doc);
  if (!section) throw new Error('docs/architecture.md has no "## Where each concept lives" section');
  const lines = section[1].split('\n').filter((l) => l.startsWith('|'));
  const [header, rule, ...body] = lines;
  expect(header.split('|').map((c) => c.trim())).toEqual(['', 'concept', 'owner', 'also', '']);
  expect(rule).toMatch(/^\|[\s|:-]+\|$/);
  return body.map((l) => {
    const [, concept, owner, also] = l.split('|').map((c) => c.trim());
    return { concept, owner: backticked(owner), also: backticked(also ?? '') };
  });
}

describe('docs/architecture.md', () => {
  it('names one owner file per concept, each concept once', () => {
    const rows = conceptTable();
    expect(rows.length).toBeGreaterThan(50);
    expect(rows.filter((r) => r.owner.length !== 1).map((r) => r.concept)).toEqual([]);
    const concepts = rows.map((r) => r.concept);
    expect(concepts.filter((c, i) => concepts.indexOf(c) !== i)).toEqual([]);
    const notFiles = rows.map((r) => r.owner[0]).filter((p) => !exists(p) || !statSync(new URL(p, root)).isFile());
    expect(notFiles).toEqual([]);
  });

  it('every path in the concept table exists', () => {
    const paths = conceptTable().flatMap((r) => [...r.owner, ...r.also]);
    expect(paths.filter((p) => !exists(p))).toEqual([]);
  });

  it('every repository path it mentions elsewhere exists', () => {
    const tops = new Set(['filter', 'control-plane', 'sandbox', 'proto', 'schema', 'envoy', 'deploy', 'cli', 'test']);
    const paths = backticked(read('docs/architecture.md')).filter(
      (p) => /^[\w.-]+(\/[\w.-]+)+\/?$/.test(p) && tops.has(p.split('/')[0]),
    );
    expect(paths.length).toBeGreaterThan(100);
    expect(paths.filter((p) => !exists(p))).toEqual([]);
  });

  it.each(['docs/architecture.md', 'docs/development.md', 'sandbox/host/README.md'])(
    '%s links only to files that exist',
    (file) => {
      const dir = new URL(file.slice(0, file.lastIndexOf('/') + 1), root);
      const links = [...read(file).matchAll(/\]\(((?!https?:)[^)#]+)/g)].map((m) => m[1]);
      expect(links.length).toBeGreaterThan(0);
      expect(links.filter((l) => !existsSync(new URL(l, dir)))).toEqual([]);
    },
  );
});
