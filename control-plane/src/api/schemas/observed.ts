// Response shapes of what the engine and the stream observed (reports, blast radius, nodes, alerts).
// Every answer is closed (additionalProperties: false): each field is documented here, and
// test/control-plane/api/answer-schemas.test.ts checks real answers against these schemas with the
// serializer out of the way (fastify's would silently drop an undocumented field). Times are
// ISO-8601 strings (api/timestamps.ts converts the engine's unix ms on the way out).

/** An ISO-8601 UTC timestamp ('2026-12-03T17:40:00.000Z'). */
export const dateTime = { type: 'string', format: 'date-time' } as const;
const dateTimeOrNull = { type: ['string', 'null'], format: 'date-time' } as const;
const count = { type: 'integer', minimum: 0 } as const;
const counts = { type: 'object', additionalProperties: count } as const;
const headerList = {
  type: 'array',
  items: { type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 2 },
  description: '[name, value] pairs, redacted values replaced by [REDACTED]',
} as const;
const bodyKind = { type: 'string', enum: ['empty', 'json', 'text', 'binary'] } as const;
/** A redacted body: a JSON value, scrubbed text, or a digest for binary bodies. */
const anyValue = { description: 'JSON value, text, or { sha256, size } for a binary body' } as const;

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
    verdict: {
      type: 'string',
      enum: ['passing', 'critical', 'inconclusive'],
      description: 'critical when a field is a regression; inconclusive when more pairs were not compared than were',
    },
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
    firstAt: dateTime,
    lastAt: dateTime,
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

const exampleSide = {
  type: 'object',
  additionalProperties: false,
  required: ['status', 'headers', 'bodyKind', 'body', 'truncated', 'latencyUs'],
  properties: {
    status: { type: 'integer' },
    headers: headerList,
    bodyKind,
    body: { ...anyValue, description: 'redacted; ignored paths dropped and enabled detectors masked' },
    raw: { ...anyValue, description: 'JSON only: redacted like body, nothing ignored or masked' },
    note: { type: 'string', description: 'why the body was not compared or read differently' },
    truncated: { type: 'boolean' },
    latencyUs: { type: 'integer' },
  },
} as const;

const pairExample = {
  type: 'object',
  additionalProperties: false,
  required: ['pairId', 'endpoint', 'at', 'live', 'candidate'],
  properties: {
    pairId: { type: 'string' },
    endpoint: { type: 'string' },
    at: dateTime,
    request: {
      type: 'object',
      additionalProperties: false,
      required: ['method', 'path', 'query'],
      description:
        'The request as live received it (secret-looking query values redacted); headers and body only with capture.request',
      properties: {
        method: { type: 'string' },
        path: { type: 'string', description: "the concrete path ('/refunds/4242'), not the template" },
        query: { type: 'string' },
        headers: headerList,
        bodyKind,
        body: { ...anyValue, description: 'redacted like responses, never normalized' },
        truncated: { type: 'boolean', description: 'cut at capture.request.maxBodyBytes' },
        bodySize: { type: 'integer', description: 'size of the whole request body' },
      },
    },
    live: exampleSide,
    candidate: exampleSide,
    secondary: exampleSide,
  },
} as const;

const fieldVerdict = { type: 'string', enum: ['regression', 'noise', 'likely-noise', 'ignored'] } as const;

const fieldReport = {
  type: 'object',
  additionalProperties: false,
  required: ['path', 'count', 'raw', 'noise', 'verdict', 'kinds', 'examples'],
  properties: {
    path: { type: 'string', description: "'body.items.*.price', 'headers.x-foo', 'status'" },
    count: { ...count, description: 'pairs on which this path differed live vs candidate (any kind)' },
    raw: count,
    noise: { ...count, description: 'differences live vs secondary (Diffy noise sample)' },
    verdict: fieldVerdict,
    kinds: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['kind', 'raw', 'noise', 'volatile', 'verdict', 'absolute', 'relative'],
        properties: {
          kind: { type: 'string', enum: ['value', 'type', 'missing', 'extra', 'order', 'size', 'status', 'header'] },
          raw: count,
          noise: count,
          volatile: count,
          verdict: fieldVerdict,
          absolute: { type: 'number', description: "Diffy's absolute difference, percent" },
          relative: { type: 'number', description: "Diffy's relative difference, percent" },
        },
      },
    },
    examples: {
      type: 'array',
      description: 'Recent and varied (at most 5), values redacted',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['pairId', 'at', 'kind'],
        properties: { pairId: { type: 'string' }, at: dateTime, kind: { type: 'string' }, live: {}, shadow: {} },
      },
    },
  },
} as const;

export const endpointDetailSchema = {
  $id: 'EndpointReport',
  type: 'object',
  additionalProperties: false,
  required: ['policy', 'endpoint', 'report'],
  properties: {
    policy: { type: 'string' },
    endpoint: { type: 'string' },
    run: { type: 'integer' },
    report: {
      ...endpointSummary,
      description: 'The endpoint summary plus its fields, detector suggestions and side-by-side samples',
      required: [...endpointSummary.required, 'fields', 'suggestions', 'samples'],
      properties: {
        ...endpointSummary.properties,
        fields: { type: 'array', items: fieldReport, description: 'Worst first' },
        suggestions: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['path', 'detector', 'count', 'share', 'enabled', 'hint'],
            properties: {
              path: { type: 'string' },
              detector: { type: 'string', enum: ['uuid', 'timestamp', 'token'] },
              count,
              share: { type: 'number', description: 'percent of the differences on this path the detector explains' },
              enabled: { type: 'boolean' },
              hint: { type: 'string' },
            },
          },
        },
        samples: { type: 'array', items: pairExample, description: 'Recent mismatched pairs side by side (at most 5)' },
      },
    },
  },
} as const;

const decisionCounts = {
  type: 'object',
  additionalProperties: false,
  required: ['allowed', 'mocked', 'denied', 'rate_limited'],
  properties: { allowed: count, mocked: count, denied: count, rate_limited: count },
} as const;

const destinationBlast = {
  type: 'object',
  additionalProperties: false,
  required: [
    'destination',
    'total',
    'decisions',
    'variants',
    'rate',
    'allowedRate',
    'peakAllowedPerSecond',
    'peakAllowedRate',
    'flagged',
    'lastAt',
    'routes',
  ],
  properties: {
    destination: { type: 'string', description: 'authority of an HTTP call, or host:port / SNI of a connection' },
    protocol: { type: 'string', description: "TCP destinations: 'tcp', 'postgres' or 'redis'" },
    statements: {
      type: 'object',
      additionalProperties: false,
      required: ['read', 'write', 'blockedEscape'],
      description: 'readonly guards: statements by class (reads allowed, writes and escapes blocked)',
      properties: { read: count, write: count, blockedEscape: count },
    },
    total: count,
    decisions: decisionCounts,
    variants: { ...counts, description: 'events per shadow variant (candidate, secondary)' },
    rate: { type: 'number', description: 'events per second over the window' },
    allowedRate: { type: 'number', description: 'allowed events per second over the window' },
    peakAllowedPerSecond: { type: 'number', description: 'most allowed events in one second of the window' },
    peakAllowedRate: { type: 'number', description: 'allowed events/s at the 5-second peak: what flagged compares' },
    capacity: { type: 'number', description: 'declared capacity (requests per second) of the policy' },
    capacityRule: { type: 'string' },
    flagged: { type: 'boolean', description: 'peakAllowedRate over the declared capacity' },
    lastAt: dateTime,
    routes: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['route', 'total', 'decisions'],
        properties: { route: { type: 'string' }, total: count, decisions: decisionCounts },
      },
    },
  },
} as const;

export const blastRadiusSchema = {
  $id: 'BlastRadius',
  type: 'object',
  additionalProperties: false,
  required: ['policy', 'map'],
  properties: {
    policy: { type: 'string' },
    map: {
      type: 'object',
      additionalProperties: false,
      required: ['windowS', 'at', 'flagged', 'services'],
      properties: {
        windowS: { type: 'integer', description: 'length of the rate window, seconds' },
        at: dateTime,
        flagged: { ...count, description: 'destinations over their declared capacity' },
        services: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['service', 'total', 'destinations'],
            properties: {
              service: { type: 'string' },
              total: count,
              destinations: { type: 'array', items: destinationBlast },
            },
          },
        },
      },
    },
  },
} as const;

export const nodeListSchema = {
  $id: 'NodeList',
  type: 'object',
  additionalProperties: false,
  required: ['nodes'],
  properties: {
    nodes: {
      type: 'array',
      description: 'NodeRegistry.list(): one entry per filter VM stream (node id + plugin + worker), sorted by key',
      items: {
        type: 'object',
        additionalProperties: false,
        required: [
          'key',
          'nodeId',
          'plugin',
          'workload',
          'service',
          'role',
          'worker',
          'filterVersion',
          'connected',
          'connectedAt',
          'lastSeen',
          'config',
          'halvesReceived',
          'eventsReceived',
          'duplicates',
          'malformed',
          'malformedReasons',
          'dropsReported',
        ],
        properties: {
          key: { type: 'string', description: "'<nodeId>/<plugin>#<worker>' ('%', '/', '#' in names percent-encoded)" },
          nodeId: { type: 'string', description: 'xds.node.id: the proxy' },
          plugin: {
            type: 'string',
            description: "plugin_name: the Envoy filter config / Istio WasmPlugin name; '' from older filters",
          },
          workload: { type: 'string' },
          service: { type: 'string' },
          role: { type: 'string', enum: ['edge', 'shadow', 'live'] },
          variant: { type: 'string', enum: ['candidate', 'secondary'] },
          worker: {
            type: 'integer',
            description: 'unique among the filter VMs sharing a vm_id in the proxy; not a worker-thread index',
          },
          filterVersion: { type: 'string' },
          peer: { type: 'string' },
          connected: { type: 'boolean' },
          connectedAt: dateTime,
          disconnectedAt: dateTime,
          lastSeen: dateTime,
          config: {
            type: 'object',
            additionalProperties: false,
            description:
              'The "config applied" signal: sent = last version pushed, acked = last version the filter applied; in sync when equal',
            properties: {
              sent: { type: 'string' },
              acked: { type: 'string' },
              nacked: {
                type: 'object',
                additionalProperties: false,
                required: ['version', 'reason'],
                properties: { version: { type: 'string' }, reason: { type: 'string' } },
              },
              respondedAt: dateTime,
            },
          },
          halvesReceived: count,
          eventsReceived: count,
          duplicates: { ...count, description: 'numbered reports received again after a reconnect and dropped' },
          malformed: { ...count, description: 'messages that were not valid protobuf or out of contract, skipped' },
          malformedReasons: counts,
          stats: {
            type: 'object',
            additionalProperties: false,
            description: 'the last Stats the filter sent (cumulative since its VM started)',
            required: ['halvesSent', 'halvesDropped', 'eventsSent', 'eventsDropped', 'reconnects'],
            properties: {
              halvesSent: count,
              halvesDropped: count,
              eventsSent: count,
              eventsDropped: count,
              reconnects: count,
              resent: count,
              acknowledged: count,
            },
          },
          dropsReported: { ...count, description: 'halvesDropped + eventsDropped from the last Stats' },
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
          at: dateTime,
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
          stateAt: dateTimeOrNull,
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
