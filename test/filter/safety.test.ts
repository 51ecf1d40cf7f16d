// Safety of the live path: no control plane, a rejected pushed config, a full queue, hostile
// headers, binary and huge bodies never block, delay or modify a live request (beyond the
// documented headers on sampled ones) and never trap the VM; plus a seeded fuzz of headers, bodies
// and configurations asserting plugin.failed stays false.
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import type { Host } from '../../sandbox/host/index.js';
import {
  cp,
  edgeConfig,
  INBOUND,
  liveConfig,
  load,
  OUTBOUND,
  prng,
  request,
  shadowConfig,
  type Headers,
} from './support/fixtures.js';
import { eachTestWithHost } from './support/hooks.js';

const validate = new Ajv({ strict: false }).compile(
  JSON.parse(readFileSync('schema/filter-config.schema.json', 'utf8')),
);

let host: Host;
eachTestWithHost((h) => {
  host = h;
});

const DOCUMENTED = new Set(['x-shadow-pair', 'idempotency-key']);
const withoutDocumented = (h: Headers): Headers => h.filter(([k]) => !DOCUMENTED.has(k));

/** Runs one exchange; asserts every step continued and the bodies went through unchanged. */
function exchange(plugin: Awaited<ReturnType<typeof load>>, req: Headers, reqBody: Buffer, respBody: Buffer) {
  const s = plugin.newStream();
  expect(s.sendRequestHeaders(req, reqBody.length === 0)).toBe('continue');
  if (reqBody.length > 0) expect(s.sendRequestBody(reqBody, true)).toBe('continue');
  expect(
    s.sendResponseHeaders([
      [':status', '200'],
      ['content-type', 'application/octet-stream'],
    ]),
  ).toBe('continue');
  const chunk = 64 * 1024;
  for (let off = 0; off < respBody.length || off === 0; off += chunk) {
    const last = off + chunk >= respBody.length;
    expect(s.sendResponseBody(respBody.subarray(off, off + chunk), last)).toBe('continue');
    if (last) break;
  }
  expect(s.localResponse).toBeUndefined();
  expect(withoutDocumented(s.requestHeaders)).toEqual(req);
  expect(s.requestBody.equals(reqBody)).toBe(true);
  expect(s.responseBody.equals(respBody)).toBe(true);
  return s;
}

describe('live path safety', () => {
  it('control plane down (cluster refuses connections): sampled requests flow, halves are dropped and counted', async () => {
    const plugin = await load(host, edgeConfig(cp(1, { queueSize: 2, reconnectMaxMs: 100 })), { workers: 1 });
    host.addCluster('shadowguard_control_plane', { host: '127.0.0.1', port: 1, http2: true });
    for (let i = 0; i < 10; i++)
      exchange(plugin, request('POST', '/o', [['x-request-id', `d${i}`]]), Buffer.from('{}'), Buffer.from('ok'));
    expect(plugin.metric('shadowguard_halves_dropped')).toBe(8);
    // Reconnect attempts run meanwhile (the barrier: the filter counted at least two of them).
    await plugin.waitFor(() => (plugin.metric('shadowguard_stream_reconnects') ?? 0) >= 2, 5000);
    exchange(plugin, request('GET', '/o', [['x-request-id', 'later']]), Buffer.alloc(0), Buffer.from('ok'));
    expect(plugin.failed).toBe(false);
  });

  it('control plane cluster unknown to the proxy: the plugin loads and the live path is untouched', async () => {
    const plugin = await load(host, edgeConfig({ controlPlane: { cluster: 'no-such-cluster' } }));
    await plugin.waitFor(() => plugin.logs('warn').some((l) => l.includes('cannot open the control-plane stream')));
    exchange(plugin, request('GET', '/', [['x-request-id', 'u']]), Buffer.alloc(0), Buffer.from('x'));
  });

  it('hostile headers: long, many, invalid UTF-8, odd markers', async () => {
    const plugin = await load(
      host,
      edgeConfig({ sampling: { defaultPercent: 100, rules: [{ host: '*', pathPrefix: '/', percent: 100 }] } }),
    );
    const long = 'x'.repeat(60_000);
    const many: Headers = Array.from({ length: 900 }, (_, i) => [`h-${i}`, `v${i}`]);
    const bad = Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82]).toString('latin1');
    exchange(
      plugin,
      request('GET', '/' + long, [
        ['x-request-id', long],
        ['user-agent', long],
      ]),
      Buffer.alloc(0),
      Buffer.alloc(0),
    );
    exchange(plugin, request('POST', '/m', [...many, ['x-request-id', 'many']]), Buffer.from('b'), Buffer.from('r'));
    exchange(
      plugin,
      request(
        'GET',
        '/' + bad,
        [
          ['x-request-id', bad],
          ['cookie', bad],
        ],
        bad,
      ),
      Buffer.alloc(0),
      Buffer.from('r'),
    );
    exchange(
      plugin,
      request('GET', '/b', [
        ['baggage', ',,;;==,shadowX=1,' + 'k=v,'.repeat(2000)],
        ['x-request-id', 'b'],
      ]),
      Buffer.alloc(0),
      Buffer.alloc(0),
    );
    expect(plugin.failed).toBe(false);
  });

  it('binary and huge bodies are copied up to the cap, never buffered or paused', async () => {
    const plugin = await load(host, edgeConfig({ capture: { maxBodyBytes: 1024 } }));
    const binary = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 131) & 0xff));
    const huge = Buffer.alloc(5 * 1024 * 1024, 0xab);
    exchange(plugin, request('PUT', '/blob', [['x-request-id', 'bin']]), binary, binary);
    exchange(plugin, request('POST', '/big', [['x-request-id', 'huge']]), huge, huge);
    expect(plugin.failed).toBe(false);
  });

  it('live and shadow-inbound roles pass hostile input too', async () => {
    const live = await load(host, liveConfig(), { properties: { 'xds.listener_direction': INBOUND } });
    exchange(live, request('GET', '/', [['x-shadow', 'y'.repeat(10_000)]]), Buffer.alloc(0), Buffer.from('z'));
    expect(live.failed).toBe(false);
  });
});

describe('fuzz (seeded)', () => {
  let rnd = prng(0x5eed);
  const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)]!;
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));
  const str = (n: number): string => bytes(n).toString('latin1');
  const names = [
    'x-shadow',
    'x-shadow-pair',
    'baggage',
    'x-request-id',
    ':authority',
    ':path',
    ':method',
    'idempotency-key',
    'content-type',
    'h',
  ];
  const randomHeaders = (): Headers => {
    const h: Headers = [];
    const n = Math.floor(rnd() * 12);
    for (let i = 0; i < n; i++)
      h.push([
        rnd() < 0.7
          ? pick(names)
          : str(1 + Math.floor(rnd() * 10))
              .toLowerCase()
              .replace(/[^a-z0-9-]/g, 'a') || 'a',
        rnd() < 0.5 ? pick(['shadow=1', 'candidate', 'a=1,shadow=x;y', '', '*', '/**']) : str(Math.floor(rnd() * 300)),
      ]);
    return h;
  };
  const configs = [
    edgeConfig({ sampling: { defaultPercent: 50, rules: [{ host: '*.*', pathPrefix: '/a', percent: 100 }] } }),
    edgeConfig({ trust: 'mesh', egress: { rules: [{ name: 'g', path: '/**/x/*', action: 'allow' }] } }),
    shadowConfig({ direction: 'inbound', inboundRateLimit: { requestsPerSecond: 1000 } }),
    shadowConfig({
      direction: 'outbound',
      egress: {
        rules: [
          { name: 'm', host: '*a*b*c*', path: '/*/*/**', action: 'mock', mock: { body: 'x' } },
          { name: 'r', action: 'allow', rateLimit: { requestsPerSecond: 5 } },
        ],
      },
    }),
    liveConfig({ direction: 'outbound' }),
    '',
  ];

  it('a few thousand random requests never trap the module', async () => {
    const plugins = await Promise.all(
      configs.map((c, i) => load(host, c, { rootId: `fz${i}`, properties: { 'xds.listener_direction': OUTBOUND } })),
    );
    for (let i = 0; i < 3000; i++) {
      const plugin = pick(plugins);
      const s = plugin.newStream();
      const headerOnly = rnd() < 0.3;
      s.sendRequestHeaders(randomHeaders(), headerOnly);
      if (!s.localResponse) {
        if (!headerOnly) s.sendRequestBody(bytes(Math.floor(rnd() * 3000)), true);
        s.sendResponseHeaders([[':status', pick(['200', '999', 'abc', '', '0200'])], ...randomHeaders()], rnd() < 0.2);
        if (!s.finished) s.sendResponseBody(bytes(Math.floor(rnd() * 5000)), true);
      }
    }
    for (const p of plugins) expect(p.failures).toEqual([]);
  });

  it('random and mutated configuration documents: accepted exactly when the JSON Schema accepts them, never a trap', async () => {
    rnd = prng(0xc0f1); // its own sequence: independent of which fuzz tests ran before it
    const base = JSON.stringify(
      shadowConfig({
        egress: {
          rules: [{ name: 'a', host: 'h', path: '/p/**', action: 'mock', mock: { status: 201, headers: { a: 'b' } } }],
        },
        sampling: { defaultPercent: 5 },
      }),
    );
    let accepted = 0,
      rejected = 0;
    for (let i = 0; i < 400; i++) {
      let doc: string;
      if (i % 4 === 0) doc = str(Math.floor(rnd() * 200));
      else if (i % 4 === 3) {
        // In-range values: the acceptance side of the agreement is exercised as much as the rejection side.
        const obj = JSON.parse(base);
        obj.sampling.defaultPercent = Math.round(rnd() * 10000) / 100;
        obj.egress.rules[0].mock.status = 200 + Math.floor(rnd() * 400);
        doc = JSON.stringify(obj);
      } else if (i % 4 === 1) {
        // Valid JSON, one value replaced: exercises every type/range/enum check and acceptance.
        const obj = JSON.parse(base);
        const paths = [
          ['sampling', 'defaultPercent'],
          ['egress', 'rules', 0, 'mock', 'status'],
          ['egress', 'rules', 0, 'host'],
          ['egress', 'rules', 0, 'path'],
          ['egress', 'defaultAction'],
          ['capture'],
          ['variant'],
          ['idempotency'],
          ['egress', 'rules', 0, 'action'],
          ['inboundRateLimit'],
        ];
        const at = pick(paths);
        let o = obj;
        for (const k of at.slice(0, -1)) o = o[k as string] ??= {};
        o[at.at(-1) as string] = pick<unknown>([
          null,
          -1,
          0,
          50,
          100.5,
          404,
          1e300,
          '',
          'allow',
          'candidate',
          '/x/**',
          '*.*',
          [],
          {},
          { maxBodyBytes: 5 },
          { requestsPerSecond: 3 },
          { enabled: false },
          true,
        ]);
        doc = JSON.stringify(obj);
      } else {
        const chars = [...base];
        const edits = 1 + Math.floor(rnd() * 4);
        for (let e = 0; e < edits; e++)
          chars[Math.floor(rnd() * chars.length)] = pick([
            '{',
            '}',
            '[',
            ']',
            '"',
            ',',
            ':',
            '\\',
            'u',
            '1e999',
            '-',
            'null',
            ' ',
            '\u0000',
            'é',
          ]);
        doc = chars.join('');
      }
      let schemaSays: boolean | undefined;
      try {
        schemaSays = doc.trim() === '' ? undefined : validate(JSON.parse(doc));
      } catch {
        schemaSays = false;
      }
      let plugin: Awaited<ReturnType<typeof load>> | undefined;
      try {
        plugin = await load(host, doc, { rootId: `c${i}` });
      } catch (e) {
        expect((e as Error).message).toMatch(/on_configure returned false/);
        if (schemaSays !== undefined) expect(schemaSays, doc).toBe(false); // the filter agrees with the schema
        rejected++;
        continue;
      }
      if (schemaSays !== undefined) expect(schemaSays, doc).toBe(true);
      accepted++;
      expect(plugin.failed).toBe(false);
      await plugin.close();
    }
    expect(accepted).toBeGreaterThan(100); // both outcomes exercised
    expect(rejected).toBeGreaterThan(100);
  });
});
