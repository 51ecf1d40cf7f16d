// The filter's speed goals, each beside a no-op module doing the same stream in the same host:
//   edge unsampled ≤ 2 µs over no-op · edge sampled with a 2 KiB JSON body captured ≤ 20 µs over no-op
//   egress decision against 200 rules ≤ 3 µs over no-op · memory flat after 1,000,000 requests.
// (The memory check runs once before the suites and prints the VM's linear-memory size.)
import { Host, type Plugin } from '../sandbox/host/index.js';
import { probe } from '../test/sandbox/fixtures/probes.js';
import { pluginCase } from './plugin-case.js';
import type { BenchCase, BenchSuite } from './run.js';

// SG_FILTER_WASM: another build of the filter (e.g. the previous commit's) for a before/after run.
const WASM = process.env.SG_FILTER_WASM ?? 'build/shadowguard.wasm';
const BODY_2K = Buffer.from(
  JSON.stringify({ items: Array.from({ length: 40 }, (_, i) => ({ id: i, name: `item-${i}`, ok: true })) }).slice(
    0,
    2048,
  ),
);

// FNV-1a as the filter computes it, to pick request ids on either side of the sampling line.
function bucket(id: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(id)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % 10000;
}
const UNSAMPLED_ID = Array.from(
  { length: 1000 },
  (_, i) => `a7f1c2d4-0000-4000-8000-${String(i).padStart(12, '0')}`,
).find((id) => bucket(id) >= 100)!;

const request = (
  extra: Array<[string, string]> = [],
  method = 'GET',
  authority = 'shop.local',
  path = '/api/items/42?full=1',
): Array<[string, string]> => [
  [':method', method],
  [':path', path],
  [':authority', authority],
  [':scheme', 'http'],
  ['user-agent', 'bench/1.0'],
  ['accept', '*/*'],
  ['x-request-id', UNSAMPLED_ID],
  ...extra,
];
const RESPONSE: Array<[string, string]> = [
  [':status', '200'],
  ['content-type', 'application/json'],
  ['content-length', String(BODY_2K.length)],
];

function streamCase(
  name: string,
  load: (host: Host) => Promise<Plugin>,
  req: Array<[string, string]>,
  withBody: boolean,
): BenchCase {
  return pluginCase({
    name,
    load,
    run(plugin) {
      const s = plugin.newStream();
      s.sendRequestHeaders(req, true);
      if (s.localResponse) return;
      if (withBody) {
        s.sendResponseHeaders(RESPONSE, false);
        s.sendResponseBody(BODY_2K, true);
      } else s.sendResponseHeaders(RESPONSE, true);
    },
  });
}

const filter =
  (configuration: object, properties: Record<string, unknown> = {}) =>
  (h: Host) =>
    h.loadPlugin({ wasm: WASM, configuration, properties });
// Capture only happens with a control plane configured; the cluster does not exist, so halves go to
// the bounded queue and the oldest are dropped (what a sampled request costs, without network I/O).
const edgeSampled = {
  role: 'edge',
  service: 'bench',
  sampling: { defaultPercent: 100 },
  controlPlane: { cluster: 'nowhere' },
  capture: { maxBodyBytes: 65536 },
};
const edgeUnsampled = { role: 'edge', service: 'bench', sampling: { defaultPercent: 1 } };
// Three shapes of a 200-rule allowlist, each matching only on its last rule: distinct exact hosts
// (what an allowlist of dependencies usually is), host globs "svc-N.*" (all in the hosts' literal-
// prefix tables), and rules without a host (path globs only: nothing to index, a linear scan).
const rule = (i: number, host: string | undefined) => ({
  name: `r${i}`,
  ...(host === undefined ? {} : { host }),
  methods: ['GET', 'POST'],
  path: `/api/v${i}/**`,
  action: 'allow',
});
const rules = Array.from({ length: 200 }, (_, i) => rule(i, `svc-${i}.*`));
const exactRules = Array.from({ length: 200 }, (_, i) => rule(i, `svc-${i}.internal`));
const hostlessRules = Array.from({ length: 200 }, (_, i) => rule(i, undefined));
const shadowEgress = { role: 'shadow', variant: 'candidate', service: 'bench', egress: { rules } };

async function memoryAfter(
  load: (h: Host) => Promise<Plugin>,
  req: Array<[string, string]>,
  n: number,
): Promise<string> {
  const host = new Host({ logLevel: 'error' });
  const plugin = await load(host);
  const mem = () => ((plugin.workers[0] as any).instance.exports.memory.buffer as ArrayBuffer).byteLength;
  const run = (k: number) => {
    for (let i = 0; i < k; i++) {
      const s = plugin.newStream();
      s.sendRequestHeaders(req, true);
      if (!s.localResponse) {
        s.sendResponseHeaders(RESPONSE, false);
        s.sendResponseBody(BODY_2K, true);
      }
    }
  };
  run(20_000);
  const warm = mem();
  run(n);
  const after = mem();
  await host.close();
  return `${(warm / 1024).toFixed(0)} KiB after 20k warm-up → ${(after / 1024).toFixed(0)} KiB after ${n.toLocaleString()} more${plugin.failed ? ' (VM FAILED)' : ''}`;
}

export default async (): Promise<BenchSuite[]> => {
  const noop = await probe('noop');
  const noopCase = (withBody: boolean, req = request()): BenchCase =>
    streamCase('no-op module', (h) => h.loadPlugin({ wasm: noop }), req, withBody);
  const million = Number(process.env.SG_MEMORY_REQUESTS ?? 1_000_000);
  console.log('\nfilter memory (linear memory of worker 0):');
  console.log(`  edge sampled, 2 KiB captured: ${await memoryAfter(filter(edgeSampled), request(), million)}`);
  console.log(`  edge unsampled:               ${await memoryAfter(filter(edgeUnsampled), request(), million)}`);
  // Matches only the 200th rule (allow); the call continues. Without an index all 200 are evaluated.
  const outbound = request(
    [
      ['x-shadow', 'candidate'],
      ['x-shadow-pair', 'p1'],
    ],
    'POST',
    'svc-199.internal',
    '/api/v199/orders?x=1',
  );
  const denied = request(
    [
      ['x-shadow', 'candidate'],
      ['x-shadow-pair', 'p1'],
    ],
    'POST',
    'svc-199.internal',
    '/other',
  );
  return [
    {
      name: 'edge, unsampled request (headers only)',
      baseline: noopCase(false),
      cases: [streamCase('edge unsampled', filter(edgeUnsampled), request(), false)],
    },
    {
      name: 'edge, sampled request, 2 KiB JSON response captured',
      baseline: noopCase(true),
      cases: [streamCase('edge sampled + capture', filter(edgeSampled), request(), true)],
    },
    {
      name: 'shadow egress decision, 200 rules (match on the last rule)',
      baseline: noopCase(false, outbound),
      cases: [
        streamCase(
          'shadow outbound, 200 exact-host rules → allow',
          filter({ ...shadowEgress, egress: { rules: exactRules } }, { 'xds.listener_direction': 2 }),
          outbound,
          false,
        ),
        streamCase(
          'shadow outbound, 200 glob rules (svc-N.*) → allow',
          filter(shadowEgress, { 'xds.listener_direction': 2 }),
          outbound,
          false,
        ),
        streamCase(
          '… 200 host-less rules (path globs only) → allow',
          filter({ ...shadowEgress, egress: { rules: hostlessRules } }, { 'xds.listener_direction': 2 }),
          outbound,
          false,
        ),
        streamCase(
          '… glob rules, direction from config (no property read)',
          filter({ ...shadowEgress, direction: 'outbound' }),
          outbound,
          false,
        ),
        streamCase(
          '… 0 rules, default allow',
          filter({ ...shadowEgress, egress: { defaultAction: 'allow' } }, { 'xds.listener_direction': 2 }),
          outbound,
          false,
        ),
        streamCase(
          '… glob rules, no match → default deny (403 local reply)',
          filter(shadowEgress, { 'xds.listener_direction': 2 }),
          denied,
          false,
        ),
      ],
    },
  ];
};
