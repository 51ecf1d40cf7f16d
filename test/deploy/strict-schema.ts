// The strict schema of a kubernetes-models resource, for the deploy validators (istio-schema.ts,
// rollouts-schema.ts): the model's own JSON schema with unknown fields rejected, as
// `kubectl apply --validate=strict` rejects them (the models' schemas allow them; the CRDs prune them).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);
export type Schema = Record<string, any>;

export const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });

/** The model's own JSON schema, read from its generated module (the package does not export it). */
function modelSchema(module: string): Schema {
  const src = fs.readFileSync(require.resolve(module), 'utf8');
  const m = src.match(/const schema = (\{[\s\S]*?\n\});\n/);
  if (!m) throw new Error(`cannot find the schema in ${module}`);
  return JSON.parse(m[1]);
}

/** Structural schemas prune unknown fields; strict validation rejects them. Same here. */
function strictify(s: Schema): void {
  if (!s || typeof s !== 'object') return;
  const props = s.properties && Object.keys(s.properties).length > 0;
  if (props && s.additionalProperties === undefined && !s['x-kubernetes-preserve-unknown-fields'])
    s.additionalProperties = false;
  for (const v of Object.values(s)) if (v && typeof v === 'object') strictify(v as Schema);
}

/** A strict validator of the model in `module`, after `supplement` added what the model lacks. */
export function strictModelValidator(module: string, supplement?: (s: Schema) => void): ValidateFunction {
  const schema = modelSchema(module);
  schema.properties.metadata = { type: 'object', required: ['name'] }; // ObjectMeta is the models' concern
  delete schema.properties.status;
  supplement?.(schema);
  strictify(schema);
  return ajv.compile(schema);
}
