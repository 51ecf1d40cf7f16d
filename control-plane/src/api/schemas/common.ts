// Shared shapes of the REST API: the error document, path parameters, list limits.

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['error', 'message', 'statusCode'],
  properties: {
    error: { type: 'string', description: 'HTTP status text' },
    message: { type: 'string', description: 'What was wrong, naming the field when a field was' },
    statusCode: { type: 'integer' },
  },
} as const;

const err = { $ref: 'Error#' } as const;
/** Error responses every authenticated route can give. */
export const authErrors = { 401: err, 403: err } as const;
export const errors = (...codes: number[]): Record<number, typeof err> =>
  Object.fromEntries(codes.map((c) => [c, err]));

export const POLICY_NAME_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';

export const policyNameParams = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: { type: 'string', pattern: POLICY_NAME_PATTERN, description: 'Policy name' } },
} as const;

/** Querystrings are strings (type coercion is off so that bodies are never coerced). */
export const limitQuery = {
  type: 'string',
  pattern: '^[1-9][0-9]{0,3}$',
  description: 'At most this many entries (1-9999), default 100',
} as const;

export function parseLimit(v: string | undefined): number {
  return v === undefined ? 100 : Number(v);
}
