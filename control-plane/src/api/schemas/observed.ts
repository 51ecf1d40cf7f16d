// Response shapes of what the engine and the stream observed (reports, blast radius, nodes, alerts).
// The endpoint summaries of a report are closed (every field documented); an endpoint's detail,
// blast-radius and node payloads belong to their modules and still pass through unchanged
// (additionalProperties: true); the envelopes are fixed here.

const anyObject = { type: 'object', additionalProperties: true } as const;

const latencySide = {
  type: 'object',
  additionalProperties: false,
  required: ['p50Us', 'p99Us'],
  properties: { p50Us: { type: 'number' }, p99Us: { type: 'number' } },
} as const;

/** One endpoint of a report (ReportBook.endpoints): every field documented, nothing else sent. */
const endpointSummary = {
  type: 'object',
  additionalProperties: false,
  required: [
    'policy',
    'endpoint',
    'pairs',
    'matching',
    'matchRate',
    'mismatchRate',
    'statusMismatches',
    'regressionFields',
    'noiseFields',
    'likelyNoiseFields',
    'ignoredFields',
    'verdict',
    'hasSecondary',
    'bodiesNotCompared',
    'latency',
    'latencyVerdict',
    'alerting',
    'firstAt',
    'lastAt',
  ],
  properties: {
    policy: { type: 'string' },
    endpoint: { type: 'string', description: "method and route template, 'POST /refunds/{id}'" },
    pairs: { type: 'integer' },
    matching: { type: 'integer', description: 'pairs without a regression field' },
    matchRate: { type: 'number', description: 'percent, two decimals' },
    mismatchRate: { type: 'number', description: 'percent of pairs with a regression field, two decimals' },
    statusMismatches: { type: 'integer' },
    regressionFields: { type: 'integer' },
    noiseFields: { type: 'integer' },
    likelyNoiseFields: { type: 'integer' },
    ignoredFields: { type: 'integer', description: "fields the policy's current ignore rules cover" },
    verdict: { type: 'string', enum: ['passing', 'critical'], description: 'critical when a field is a regression' },
    hasSecondary: { type: 'boolean' },
    bodiesNotCompared: { type: 'integer' },
    notCompared: { type: 'integer', description: 'pairs that could not be compared (never matches)' },
    notComparedReasons: { type: 'object', additionalProperties: { type: 'integer' } },
    latency: {
      type: 'object',
      additionalProperties: false,
      required: ['live', 'shadow', 'deltaP50Us', 'deltaP99Us'],
      properties: {
        live: latencySide,
        shadow: latencySide,
        deltaP50Us: { type: 'number' },
        deltaP99Us: { type: 'number' },
      },
    },
    latencyVerdict: {
      type: 'object',
      additionalProperties: false,
      required: ['verdict', 'ratio', 'percentile', 'liveMs', 'shadowMs', 'detail'],
      description: 'shadow p50/p99 over live (docs/verdicts.md "Latency")',
      properties: {
        verdict: { type: 'string', enum: ['pass', 'fail', 'inconclusive'] },
        ratio: { type: ['number', 'null'] },
        percentile: { type: 'string', enum: ['p50', 'p99'] },
        liveMs: { type: 'number' },
        shadowMs: { type: 'number' },
        detail: { type: 'string' },
      },
    },
    alerting: { type: 'boolean' },
    firstAt: { type: 'integer', description: 'unix ms' },
    lastAt: { type: 'integer', description: 'unix ms' },
  },
} as const;

export const endpointListSchema = {
  $id: 'EndpointReportList',
  type: 'object',
  additionalProperties: false,
  required: ['policy', 'endpoints'],
  properties: {
    policy: { type: 'string' },
    run: { type: 'integer', description: 'The run these reports belong to (absent before the first candidate Hello)' },
    endpoints: { type: 'array', items: endpointSummary, description: 'One summary per endpoint, worst first' },
  },
} as const;

export const endpointDetailSchema = {
  $id: 'EndpointReport',
  type: 'object',
  required: ['policy', 'endpoint', 'report'],
  properties: {
    policy: { type: 'string' },
    endpoint: { type: 'string' },
    run: { type: 'integer' },
    report: { ...anyObject, description: 'Fields and redacted examples (ReportBook.endpoint)' },
  },
} as const;

export const blastRadiusSchema = {
  $id: 'BlastRadius',
  type: 'object',
  required: ['policy', 'map'],
  properties: {
    policy: { type: 'string' },
    map: { ...anyObject, description: 'BlastRadius.map of the policy services' },
  },
} as const;

export const nodeListSchema = {
  $id: 'NodeList',
  type: 'object',
  required: ['nodes'],
  properties: {
    nodes: {
      type: 'array',
      description: 'NodeRegistry.list(): one entry per filter VM stream (node id + plugin + worker), sorted by key',
      items: {
        ...anyObject,
        properties: {
          key: { type: 'string', description: "'<nodeId>/<plugin>#<worker>' ('%', '/', '#' in names percent-encoded)" },
          nodeId: { type: 'string', description: 'xds.node.id: the proxy' },
          plugin: {
            type: 'string',
            description: "plugin_name: the Envoy filter config / Istio WasmPlugin name; '' from older filters",
          },
          worker: {
            type: 'integer',
            description: 'unique among the filter VMs sharing a vm_id in the proxy; not a worker-thread index',
          },
        },
      },
    },
  },
} as const;

export const alertListSchema = {
  $id: 'AlertList',
  type: 'object',
  additionalProperties: false,
  required: ['alerts'],
  properties: {
    alerts: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: [
          'id',
          'at',
          'policy',
          'endpoint',
          'rate',
          'pairs',
          'message',
          'delivered',
          'state',
          'stateBy',
          'stateAt',
        ],
        properties: {
          id: { type: 'integer' },
          at: { type: 'integer', description: 'unix ms' },
          policy: { type: 'string' },
          endpoint: { type: 'string' },
          rate: { type: 'number', description: 'percent of pairs with a regression' },
          pairs: { type: 'integer' },
          message: { type: 'string' },
          delivered: { type: 'boolean', description: "the policy webhook accepted it (delivery === 'delivered')" },
          delivery: {
            enum: ['pending', 'delivered', 'failed', 'skipped', 'no webhook'],
            description: "what became of the webhook delivery: 'no webhook' when the policy names none",
          },
          state: {
            type: 'string',
            enum: ['open', 'acknowledged', 'resolved'],
            description:
              "open → acknowledged (an operator saw it) → resolved (an operator, or 'shadowguard' when the endpoint recovered)",
          },
          stateBy: { type: ['string', 'null'] },
          stateAt: { type: ['string', 'null'], format: 'date-time' },
        },
      },
    },
  },
} as const;

export const sharedSchemas = [
  endpointListSchema,
  endpointDetailSchema,
  blastRadiusSchema,
  nodeListSchema,
  alertListSchema,
];
