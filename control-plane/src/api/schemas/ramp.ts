// Response shape of the mirror-ramp routes (ramp/view.ts RampView, times as ISO-8601 by
// api/timestamps.ts). Inlined in each route rather than shared by $id: only the ramp routes use it.
import { dateTime } from './observed.js';

const guardValue = {
  type: 'object',
  additionalProperties: false,
  required: ['guard', 'value', 'limit', 'status', 'ok', 'detail'],
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
        'latencyRatio',
      ],
    },
    value: { type: ['number', 'null'], description: 'Observed value; null while there are fewer than minPairs pairs' },
    limit: { type: 'number' },
    status: {
      type: 'string',
      enum: ['pass', 'fail', 'inconclusive'],
      description:
        'fail: the limit is broken; pass: it holds with enough evidence; inconclusive: not enough evidence yet',
    },
    ok: { type: 'boolean', description: "status === 'pass'" },
    detail: { type: 'string' },
  },
} as const;

const transition = {
  type: 'object',
  additionalProperties: false,
  required: ['at', 'from', 'to', 'stage', 'percent', 'reason', 'by'],
  properties: {
    at: dateTime,
    from: { type: 'string' },
    to: { type: 'string' },
    stage: { type: 'integer', minimum: 1, description: 'Stage number, 1 = the first stage' },
    percent: { type: 'number' },
    reason: { type: 'string', description: "e.g. 'guard mismatchRate: POST /refunds/{id} 12.5% > 5%'" },
    by: { type: 'string', description: "'ramp' (the evaluator) or who sent the command" },
  },
} as const;

const ms = { type: ['string', 'null'], format: 'date-time' } as const;

export const rampViewSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'policy',
    'status',
    'percent',
    'stage',
    'stages',
    'holdSeconds',
    'evaluateEverySeconds',
    'onBreach',
    'maxWaitSeconds',
    'pausesInconclusiveAt',
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
    stage: {
      type: 'integer',
      minimum: 1,
      description: 'Stage number of the current (or last) stage: 1 = stages[0], as in messages and the dashboard',
    },
    stages: { type: 'array', items: { type: 'number' } },
    holdSeconds: { type: 'array', items: { type: 'number' } },
    evaluateEverySeconds: { type: 'number' },
    onBreach: { type: 'string', enum: ['pause', 'revert'] },
    maxWaitSeconds: { type: 'number', description: 'How long past its hold a stage waits for evidence' },
    pausesInconclusiveAt: {
      ...ms,
      description: 'when a running stage whose guards are inconclusive will pause (hold end + maxWaitSeconds)',
    },
    startedAt: ms,
    stageStartedAt: ms,
    nextAdvanceAt: { ...ms, description: 'when the hold of the current stage ends (running only)' },
    nextEvaluationAt: ms,
    lastEvaluation: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['at', 'guards', 'breaches', 'inconclusive'],
      properties: {
        at: dateTime,
        guards: { type: 'array', items: guardValue },
        breaches: { type: 'array', items: { type: 'string' } },
        inconclusive: {
          type: 'array',
          items: { type: 'string' },
          description: 'Guards without enough evidence: why a stage whose hold has passed does not advance',
        },
      },
    },
    transitions: { type: 'array', items: transition, description: 'Newest first' },
    problem: { type: 'string', description: 'Why the declared ramp cannot run' },
  },
} as const;
