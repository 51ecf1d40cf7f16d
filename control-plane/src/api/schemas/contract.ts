// The two contract schemas (schema/*.schema.json) as fastify shared schemas. The policy body is
// validated by schema/policy.schema.json, which $refs schema/filter-config.schema.json for the parts a
// filter receives: an API request and a pushed config are checked by the same rules. The documents
// come from domain/contract-schemas.gen.ts (their $refs already absolute), the same literals the
// configuration types are derived from.
import { filterConfigDocument, policyDocument } from '../../domain/contract-schemas.gen.js';

export const filterConfigSchema = filterConfigDocument;
export const policySchema = policyDocument;

/** $ref of a policy spec document. */
export const POLICY_SPEC_REF = `${policySchema.$id}#` as const;
