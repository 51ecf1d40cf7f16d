// Response shapes of what the engine and the stream observed (reports, blast radius, nodes, alerts).
// Report, blast-radius and node payloads belong to their modules and pass through unchanged
// (additionalProperties: true); the envelopes are fixed here.

const anyObject = { type: 'object', additionalProperties: true } as const;

export const endpointListSchema = {
  $id: 'EndpointReportList',
  type: 'object',
  required: ['policy', 'endpoints'],
  properties: {
    policy: { type: 'string' },
    run: { type: 'integer', description: 'The run these reports belong to (absent before the first candidate Hello)' },
    endpoints: { type: 'array', items: anyObject, description: 'One summary per endpoint (ReportBook.endpoints)' },
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
