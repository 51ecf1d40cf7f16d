// Response shape of the mirror-ramp routes (ramp/view.ts RampView). Inlined in each route rather than
// shared by $id: only the ramp routes use it.

const guardValue = {
  type: 'object',
  required: ['guard', 'value', 'limit', 'ok', 'detail'],
  properties: {
    guard: {
      type: 'string',
      enum: [
        'shadowErrorRate',
        'mismatchRate',
        'egressDenied',
        'egressRateLimited',
        'latencyP99Ms',
        'filterDrops',
        'capacity',
      ],
    },
    value: { type: ['number', 'null'], description: 'Observed value; null while there are fewer than minPairs pairs' },
    limit: { type: 'number' },
    ok: { type: 'boolean' },
    detail: { type: 'string' },
  },
} as const;

const transition = {
  type: 'object',
  required: ['at', 'from', 'to', 'stage', 'percent', 'reason', 'by'],
  properties: {
    at: { type: 'integer', description: 'unix ms' },
    from: { type: 'string' },
    to: { type: 'string' },
    stage: { type: 'integer' },
    percent: { type: 'number' },
    reason: { type: 'string', description: "e.g. 'guard mismatchRate: POST /refunds/{id} 12.5% > 5%'" },
    by: { type: 'string', description: "'ramp' (the evaluator) or who sent the command" },
  },
} as const;

const ms = { type: ['integer', 'null'], description: 'unix ms' } as const;

export const rampViewSchema = {
  type: 'object',
  required: [
    'policy',
    'status',
    'percent',
    'stage',
    'stages',
    'holdSeconds',
    'evaluateEverySeconds',
    'onBreach',
    'startedAt',
    'stageStartedAt',
    'nextAdvanceAt',
    'nextEvaluationAt',
    'lastEvaluation',
    'transitions',
  ],
  properties: {
    policy: { type: 'string' },
    status: { type: 'string', enum: ['idle', 'running', 'paused', 'completed', 'aborted', 'reverted'] },
    percent: { type: 'number', description: 'Sampling cap pushed to the edge filters (idle, reverted, aborted: 0)' },
    stage: { type: 'integer', description: 'Index into stages' },
    stages: { type: 'array', items: { type: 'number' } },
    holdSeconds: { type: 'array', items: { type: 'number' } },
    evaluateEverySeconds: { type: 'number' },
    onBreach: { type: 'string', enum: ['pause', 'revert'] },
    startedAt: ms,
    stageStartedAt: ms,
    nextAdvanceAt: { ...ms, description: 'unix ms when the hold of the current stage ends (running only)' },
    nextEvaluationAt: ms,
    lastEvaluation: {
      type: ['object', 'null'],
      required: ['at', 'guards', 'breaches'],
      properties: {
        at: { type: 'integer' },
        guards: { type: 'array', items: guardValue },
        breaches: { type: 'array', items: { type: 'string' } },
      },
    },
    transitions: { type: 'array', items: transition, description: 'Newest first' },
    problem: { type: 'string', description: 'Why the declared ramp cannot run' },
  },
} as const;
