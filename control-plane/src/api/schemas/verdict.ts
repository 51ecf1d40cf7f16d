// Response shapes of the verdict and runs routes (reports/verdict.ts Verdict, run-control.ts RunView).
// Closed (additionalProperties: false): what is documented is what is sent.

export const runSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'candidateVersion', 'policyVersion', 'startedAt', 'endedAt', 'startedBy', 'current'],
  properties: {
    id: { type: 'integer', minimum: 1, description: 'Run number of the policy: 1, 2, 3…' },
    candidateVersion: {
      type: 'string',
      description: "The candidate's version from its filter's Hello (pod label version), else its workload name",
    },
    policyVersion: { type: 'integer', description: 'The policy version when the run started' },
    startedAt: { type: 'string', format: 'date-time' },
    endedAt: { type: ['string', 'null'], format: 'date-time' },
    startedBy: { type: 'string', description: "'candidate' (a new version said Hello) or who reset" },
    current: { type: 'boolean' },
  },
} as const;

const runRef = {
  type: ['object', 'null'],
  additionalProperties: false,
  required: ['id', 'candidateVersion', 'policyVersion', 'startedAt'],
  properties: {
    id: { type: 'integer' },
    candidateVersion: { type: 'string' },
    policyVersion: { type: 'integer' },
    startedAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const verdictSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['policy', 'verdict', 'reasons', 'run', 'pairs', 'endpoints', 'evaluatedAt'],
  properties: {
    policy: { type: 'string' },
    verdict: {
      type: 'string',
      enum: ['pass', 'fail', 'inconclusive'],
      description:
        'fail: a regression (mismatch, latency, capacity, ramp breach); inconclusive: not enough evidence yet; pass: neither',
    },
    reasons: {
      type: 'array',
      description: 'Failures first, then what evidence is missing; empty on pass',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['kind', 'verdict', 'message'],
        properties: {
          kind: { type: 'string', enum: ['mismatch', 'latency', 'capacity', 'ramp', 'evidence'] },
          verdict: { type: 'string', enum: ['fail', 'inconclusive'] },
          endpoint: { type: 'string' },
          fields: { type: 'array', items: { type: 'string' }, description: 'Regression fields (at most 5)' },
          message: { type: 'string' },
        },
      },
    },
    run: runRef,
    pairs: { type: 'integer', description: 'Pairs compared in the run' },
    endpoints: { type: 'integer' },
    evaluatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const runListSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['policy', 'current', 'runs'],
  properties: {
    policy: { type: 'string' },
    current: { anyOf: [runSchema, { type: 'null' }] },
    runs: { type: 'array', items: runSchema, description: 'Newest first' },
  },
} as const;

/** What Flagger POSTs to a webhook (its documented payload); every field optional here. */
export const flaggerPayloadSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', description: 'Canary name' },
    namespace: { type: 'string' },
    phase: { type: 'string' },
    checksum: { type: 'string' },
    metadata: {
      type: 'object',
      additionalProperties: { type: 'string' },
      properties: { token: { type: 'string', description: 'API token when no authorization header is sent' } },
    },
  },
} as const;
