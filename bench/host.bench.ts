// One empty HTTP stream through sandbox/host (request headers → response headers → log/done/delete)
// with a no-op module, beside a baseline doing the same header handling in bare JS with no VM; plus
// a module that touches headers (one host call per direction) and, when built, the real filter.
import { existsSync } from 'node:fs';
import { HeaderMap } from '../sandbox/host/headers.js';
import type { Host, Plugin } from '../sandbox/host/index.js';
import { probe } from '../test/sandbox/fixtures/probes.js';
import { pluginCase } from './plugin-case.js';
import type { BenchCase, BenchSuite } from './run.js';

const REQUEST: Array<[string, string]> = [
  [':method', 'GET'],
  [':path', '/api/items/42'],
  [':authority', 'shop.local'],
  ['user-agent', 'bench/1.0'],
  ['accept', '*/*'],
  ['x-request-id', 'a7f1c2d4-0000-4000-8000-000000000001'],
];
const RESPONSE: Array<[string, string]> = [
  [':status', '200'],
  ['content-type', 'application/json'],
  ['content-length', '2'],
];

function streamCase(name: string, load: (host: Host) => Promise<Plugin>): BenchCase {
  return pluginCase({
    name,
    load,
    logLevel: 'info',
    run(plugin) {
      const s = plugin.newStream();
      s.sendRequestHeaders(REQUEST, true);
      s.sendResponseHeaders(RESPONSE, true); // response end: on_log → on_done → on_delete
    },
  });
}

export default async (): Promise<BenchSuite[]> => {
  const noop = await probe('noop');
  const tagging = await probe('trap'); // without x-trap it adds one header each way
  const cases = [
    streamCase('host: empty stream, no-op module', (h) => h.loadPlugin({ wasm: noop })),
    streamCase('host: stream, add 1 header each way', (h) => h.loadPlugin({ wasm: tagging })),
  ];
  if (existsSync('build/shadowguard.wasm')) {
    cases.push(
      streamCase('host: stream, shadowguard.wasm (live role)', (h) =>
        h.loadPlugin({
          wasm: 'build/shadowguard.wasm',
          configuration: { role: 'live', service: 'bench' },
        }),
      ),
    );
  }
  return [
    {
      name: 'one HTTP stream (request headers → response headers → complete)',
      baseline: {
        name: 'baseline: bare JS header maps, no VM',
        run() {
          const req = new HeaderMap(REQUEST);
          req.get(':path');
          const res = new HeaderMap(RESPONSE);
          res.get(':status');
          return [req.toList(), res.toList()];
        },
      },
      cases,
    },
  ];
};
