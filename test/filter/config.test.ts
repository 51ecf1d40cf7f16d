// Configuration at start: the filter validates the document exactly as
// schema/filter-config.schema.json does (checked side by side with ajv), rejects with a log line
// naming the field (Envoy refuses the plugin), and applies the schema's defaults.
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { Host } from '../../sandbox/host/index.js';
import { edgeConfig, shadowConfig, WASM } from './support/fixtures.js';

const schema = JSON.parse(readFileSync('schema/filter-config.schema.json', 'utf8'));
const validate = new Ajv({ strict: false }).compile(schema);

/** Loads the config in a fresh host; returns the rejection ('' when accepted) and the log lines. */
async function attempt(config: unknown): Promise<{ error: string; logs: string[] }> {
  const logs: string[] = [];
  const host = new Host({ onLog: (e) => logs.push(e.message) });
  let error = '';
  try {
    await host.loadPlugin({ wasm: WASM, configuration: config as object });
  } catch (e) {
    error = (e as Error).message;
  }
  await host.close();
  return { error, logs };
}

const rejected: Array<[string, unknown, string]> = [
  ['role missing', { service: 'a' }, 'role: required'],
  ['role unknown', { role: 'proxy', service: 'a' }, 'role: must be one of'],
  ['service missing', { role: 'edge' }, 'service: required'],
  ['service pattern', { role: 'edge', service: 'a b' }, 'service: does not match'],
  ['service too long', { role: 'edge', service: 'a'.repeat(254) }, 'service: longer than 253'],
  ['unknown top-level field', { role: 'edge', service: 'a', samplng: {} }, 'samplng: unknown field'],
  ['shadow without variant', { role: 'shadow', service: 'a' }, 'variant: required when role is shadow'],
  ['variant enum', { role: 'shadow', service: 'a', variant: 'primary' }, 'variant: must be one of'],
  ['percent over 100', edgeConfig({ sampling: { defaultPercent: 101 } }), 'sampling.defaultPercent: must be <= 100'],
  ['percent type', edgeConfig({ sampling: { defaultPercent: '5' } }), 'sampling.defaultPercent: must be a number'],
  [
    'rule percent required',
    edgeConfig({ sampling: { rules: [{ host: 'a' }] } }),
    'sampling.rules[0].percent: required',
  ],
  [
    'rule pathPrefix pattern',
    edgeConfig({ sampling: { rules: [{ pathPrefix: 'api', percent: 1 }] } }),
    'sampling.rules[0].pathPrefix: does not match',
  ],
  [
    'method pattern',
    edgeConfig({ sampling: { rules: [{ methods: ['get'], percent: 1 }] } }),
    'sampling.rules[0].methods[0]: does not match',
  ],
  [
    'unknown rule field',
    edgeConfig({ sampling: { rules: [{ percent: 1, weight: 2 }] } }),
    'sampling.rules[0].weight: unknown field',
  ],
  [
    'egress action enum',
    shadowConfig({ egress: { rules: [{ name: 'x', action: 'maybe' }] } }),
    'egress.rules[0].action: must be one of',
  ],
  ['egress name required', shadowConfig({ egress: { rules: [{ action: 'deny' }] } }), 'egress.rules[0].name: required'],
  [
    'egress name pattern',
    shadowConfig({ egress: { rules: [{ name: 'a b', action: 'deny' }] } }),
    'egress.rules[0].name: does not match',
  ],
  ['egress default enum', shadowConfig({ egress: { defaultAction: 'mock' } }), 'egress.defaultAction: must be one of'],
  [
    'mock status range',
    shadowConfig({ egress: { rules: [{ name: 'm', action: 'mock', mock: { status: 99 } }] } }),
    'egress.rules[0].mock.status: must be >= 200',
  ],
  [
    'mock status integer',
    shadowConfig({ egress: { rules: [{ name: 'm', action: 'mock', mock: { status: 200.5 } }] } }),
    'egress.rules[0].mock.status: must be an integer',
  ],
  [
    'mock header value type',
    shadowConfig({ egress: { rules: [{ name: 'm', action: 'mock', mock: { headers: { a: 1 } } }] } }),
    'egress.rules[0].mock.headers.a: must be a string',
  ],
  [
    'rate zero',
    shadowConfig({ inboundRateLimit: { requestsPerSecond: 0 } }),
    'inboundRateLimit.requestsPerSecond: must be > 0',
  ],
  [
    'rate burst',
    shadowConfig({ inboundRateLimit: { requestsPerSecond: 1, burst: 0 } }),
    'inboundRateLimit.burst: must be >= 1',
  ],
  [
    'queueSize range',
    edgeConfig({ controlPlane: { cluster: 'c', queueSize: 0 } }),
    'controlPlane.queueSize: must be >= 1',
  ],
  ['cluster required', edgeConfig({ controlPlane: {} }), 'controlPlane.cluster: required'],
  [
    'reconnectMaxMs range',
    edgeConfig({ controlPlane: { cluster: 'c', reconnectMaxMs: 50 } }),
    'controlPlane.reconnectMaxMs: must be >= 100',
  ],
  ['capture max', edgeConfig({ capture: { maxBodyBytes: 2_000_000 } }), 'capture.maxBodyBytes: must be <= 1048576'],
  ['capture header empty', edgeConfig({ capture: { headers: [''] } }), 'capture.headers[0]: must not be empty'],
  [
    'idempotency header pattern',
    edgeConfig({ idempotency: { header: 'Idem-Key' } }),
    'idempotency.header: does not match',
  ],
  [
    'idempotency enabled type',
    edgeConfig({ idempotency: { enabled: 'yes' } }),
    'idempotency.enabled: must be a boolean',
  ],
  ['trust enum', edgeConfig({ trust: 'partial' }), 'trust: must be one of'],
  ['not an object', [1, 2], 'must be an object'],
  ['malformed JSON', '{"role": "edge", ', 'invalid JSON'],
  [
    'deep nesting',
    '{"role":"edge","service":"a","x":' + '['.repeat(100) + ']'.repeat(100) + '}',
    'invalid JSON: nesting',
  ],
];

describe('configuration at start', () => {
  it.each(rejected)('rejects %s, naming the field', async (_name, config, expected) => {
    if (typeof config !== 'string') expect(validate(config)).toBe(false); // the schema agrees
    const { error, logs } = await attempt(config);
    expect(error).toContain('proxy_on_configure returned false');
    // The reason is the log line of the (canary) VM that refused it.
    expect(logs.filter((l) => l.includes('configuration rejected'))[0]).toContain(expected);
  });

  const accepted: Array<[string, unknown]> = [
    ['a minimal edge', { role: 'edge', service: 'a' }],
    [
      'a full shadow',
      shadowConfig({
        trust: 'boundary',
        direction: 'outbound',
        controlPlane: {
          cluster: 'outbound|50051||cp.svc',
          authority: 'cp.svc',
          token: 't',
          queueSize: 10,
          reconnectMaxMs: 1000,
        },
        sampling: { defaultPercent: 12.5, rules: [{ host: '*.a', pathPrefix: '/x', methods: ['GET'], percent: 0.01 }] },
        egress: {
          defaultAction: 'deny',
          rules: [
            {
              name: 'r:1',
              host: 'h',
              methods: ['POST'],
              path: '/a/**',
              action: 'mock',
              rateLimit: { requestsPerSecond: 0.5 },
              mock: { status: 204, headers: { 'x-a': 'b' }, body: '' },
            },
          ],
        },
        inboundRateLimit: { requestsPerSecond: 100, burst: 10 },
        capture: { maxBodyBytes: 0, headers: ['content-type'], redactHeaders: ['x-token'] },
        idempotency: { enabled: false, header: 'x-idem' },
      }),
    ],
    ['integers written as 1.0', edgeConfig({ capture: { maxBodyBytes: 1024.0 } })],
    [
      'unicode service-free strings',
      edgeConfig({ egress: { rules: [{ name: 'n', host: 'b\u00fccher.example', action: 'deny' }] } }),
    ],
  ];
  it.each(accepted)('accepts %s (as the schema does)', async (_name, config) => {
    expect(validate(config)).toBe(true);
    expect((await attempt(config)).error).toBe('');
  });
});
