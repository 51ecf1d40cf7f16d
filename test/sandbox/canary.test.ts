// The canary VM's callouts never reach the network: Envoy runs on_vm_start + on_configure in a canary
// clone on the main thread and destroys it at once (cpp-host WasmHandleBase::canary → kill()), and
// ~Context cancels the async requests it created before the dispatcher could send them.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Host, type Plugin } from '../../sandbox/host/index.js';
import { probe } from './fixtures/probes.js';
import { grpcServer, httpServer } from './fixtures/servers.js';

let upstream: Awaited<ReturnType<typeof httpServer>>;
let grpcUp: Awaited<ReturnType<typeof grpcServer>>;
let host: Host;
beforeAll(async () => {
  [upstream, grpcUp] = await Promise.all([httpServer(), grpcServer()]);
});
afterAll(async () => {
  await Promise.all([upstream.close(), grpcUp.close()]);
});
afterEach(async () => {
  await host?.close();
});

async function load(workers: number): Promise<Plugin> {
  host = new Host({
    clusters: {
      backend: { host: '127.0.0.1', port: upstream.port },
      grpc: { host: '127.0.0.1', port: grpcUp.port, http2: true },
    },
  });
  return host.loadPlugin({ wasm: await probe('canary-callouts'), workers });
}
const logs = (p: Plugin, worker: number | 'canary'): string[] =>
  p
    .logEntries()
    .filter((e) => e.worker === worker)
    .map((e) => e.message);
const settle = () => new Promise((r) => setTimeout(r, 150));

describe('callouts started in on_configure', () => {
  it('reach the server from the worker root only: one gRPC stream, one HTTP request, none from the canary', async () => {
    const [streams, requests] = [grpcUp.seen.length, upstream.seen.length];
    const plugin = await load(1);
    await plugin.waitFor(
      () =>
        logs(plugin, 0).some((l) => l.startsWith('grpc_receive')) &&
        logs(plugin, 0).some((l) => l.startsWith('http_response')),
      5000,
    );
    await settle();
    expect(grpcUp.seen.slice(streams)).toEqual([
      expect.objectContaining({ method: 'Chat', messages: ['hello from root 1'], cancelled: false }),
    ]);
    expect(upstream.seen.slice(requests).map((r) => `${r.method} ${r.path} ${r.body}`)).toEqual([
      'POST /configured cfg',
    ]);

    // The canary started both (the module got tokens), then its destruction cancelled them: no callbacks.
    expect(logs(plugin, 'canary')).toEqual(['stream rc=0 token=6 send rc=0', 'http rc=0 token=4']);
    expect(plugin.callouts().map((c) => `${c.worker} ${c.kind} ${c.state}`)).toEqual([
      'canary grpc_stream cancelled',
      'canary http cancelled',
      '0 grpc_stream open',
      '0 http done',
    ]);
    expect(logs(plugin, 0)).toEqual(
      expect.arrayContaining(['grpc_receive 6 echo:hello from root 1', 'http_response 4 body=6']),
    );
  });

  it('opens one stream per worker VM', async () => {
    const streams = grpcUp.seen.length;
    const plugin = await load(2);
    await plugin.waitFor(() => grpcUp.seen.length - streams >= 2, 5000);
    await settle();
    expect(grpcUp.seen.length - streams).toBe(2);
    expect(
      plugin
        .callouts()
        .filter((c) => c.kind === 'grpc_stream' && c.state === 'open')
        .map((c) => c.worker),
    ).toEqual([0, 1]);
  });
});
