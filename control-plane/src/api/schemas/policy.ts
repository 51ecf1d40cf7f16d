// Response shapes of the policy routes. The spec itself is the contract schema (policy.json).
// Closed (additionalProperties: false) like every answer: the serializer sends only what is documented
// anyway, and the dashboard's types (ui/types.ts) are derived from exactly these fields.

// Responses carry the spec as stored, not through the policy schema: fastify's serializer would write
// every schema `default` into it, and a reader could not tell what the operator actually set.
const storedSpec = {
  type: 'object',
  additionalProperties: true,
  description: 'The policy document (policy.json) exactly as written',
} as const;

const change = {
  type: 'object',
  additionalProperties: false,
  required: ['path', 'op'],
  properties: { path: { type: 'string' }, op: { type: 'string', enum: ['added', 'removed', 'changed'] } },
} as const;

export const policySchema = {
  $id: 'Policy',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'version', 'spec', 'updatedAt', 'updatedBy'],
  properties: {
    name: { type: 'string' },
    version: { type: 'integer', description: 'Increases by one on every change, rollback and delete included' },
    spec: storedSpec,
    updatedAt: { type: 'string', format: 'date-time' },
    updatedBy: { type: 'string' },
    warnings: {
      type: 'array',
      items: { type: 'string' },
      description: 'Writes only: what this version may not have meant to do (a whole section dropped)',
    },
  },
} as const;

export const policyListSchema = {
  $id: 'PolicyList',
  type: 'object',
  additionalProperties: false,
  required: ['policies'],
  properties: { policies: { type: 'array', items: { $ref: 'Policy#' } } },
} as const;

export const auditEntrySchema = {
  $id: 'AuditEntry',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'at', 'who', 'action', 'policy', 'fromVersion', 'toVersion', 'changes'],
  properties: {
    id: { type: 'integer' },
    at: { type: 'string', format: 'date-time' },
    who: { type: 'string' },
    action: {
      type: 'string',
      enum: ['create', 'update', 'delete', 'rollback', 'ramp-start', 'ramp-pause', 'ramp-resume', 'ramp-abort'],
    },
    policy: { type: 'string' },
    fromVersion: { type: ['integer', 'null'] },
    toVersion: { type: 'integer' },
    changes: { type: 'array', items: change },
  },
} as const;

export const historySchema = {
  $id: 'PolicyHistory',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'version', 'deleted', 'versions', 'audit'],
  properties: {
    name: { type: 'string' },
    version: { type: 'integer', description: 'Latest version (a tombstone when deleted)' },
    deleted: { type: 'boolean' },
    versions: {
      type: 'array',
      description: 'Oldest first; changes = paths changed since the previous version',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['version', 'deleted', 'createdAt', 'createdBy', 'changes'],
        properties: {
          version: { type: 'integer' },
          deleted: { type: 'boolean' },
          createdAt: { type: 'string', format: 'date-time' },
          createdBy: { type: 'string' },
          spec: storedSpec,
          changes: { type: 'array', items: change },
        },
      },
    },
    audit: { type: 'array', items: { $ref: 'AuditEntry#' } },
  },
} as const;

export const rollbackBodySchema = {
  type: 'object',
  required: ['version'],
  additionalProperties: false,
  properties: {
    version: { type: 'integer', minimum: 1, description: 'The version whose spec becomes the new version' },
  },
} as const;
