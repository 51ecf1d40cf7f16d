// The two contract schemas (schema/*.schema.json) as fastify shared schemas. The policy body is
// validated by schema/policy.schema.json, which $refs schema/filter-config.schema.json for the parts a
// filter receives: an API request and a pushed config are checked by the same rules.

import fs from 'node:fs';

/**
 * Rewrites relative $refs ('filter-config.json#/...') to absolute ones against the document's $id,
 * which is what JSON Schema means by them: ajv resolves them itself, but fastify's serializer
 * (fast-json-stringify) only finds shared schemas by their full $id.
 */
function absoluteRefs(node: unknown, base: string): unknown {
  if (Array.isArray(node)) return node.map((n) => absoluteRefs(n, base));
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(
    Object.entries(node).map(([k, v]) => [
      k,
      k === '$ref' && typeof v === 'string' && !v.startsWith('#') ? new URL(v, base).href : absoluteRefs(v, base),
    ]),
  );
}

function read(file: string): Record<string, unknown> {
  const doc = JSON.parse(fs.readFileSync(new URL(`../../../../schema/${file}`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;
  return absoluteRefs(doc, doc.$id as string) as Record<string, unknown>;
}

export const filterConfigSchema = read('filter-config.schema.json');
export const policySchema = read('policy.schema.json');

/** $ref of a policy spec document. */
export const POLICY_SPEC_REF = `${policySchema.$id as string}#`;
