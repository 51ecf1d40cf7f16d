// HTTP and gRPC callouts to real servers: owned by the root context (tokens 4k / 4k+1 / 4k+2),
// answered on the root, surviving the stream that started them, cancelled with the root; timeouts and
// connection failures arrive as Envoy's local replies, a reset after headers as (0,0,0) + BrokenConnection.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Host, type Plugin } from '../../sandbox/host/index.js';
import { probe } from './fixtures/probes.js';
import { workerLogs } from './fixtures/streams.js';
import { deadPort, grpcServer, h2Server, httpServer } from './fixtures/servers.js';

let upstream: Awaited<ReturnType<typeof httpServer>>;
let h2: Awaited<ReturnType<typeof h2Server>>;
let grpcUp: Awaited<ReturnType<typeof grpcServer>>;
let dead: number;
let host: Host;
let plugin: Plugin;

beforeAll(async () => {
  [upstream, h2, grpcUp, dead] = await Promise.all([httpServer(), h2Server(), grpcServer(), deadPort()]);
});
afterAll(async () => {
  await Promise.all([upstream.close(), h2.close(), grpcUp.close()]);
});
afterEach(async () => {
  await host?.close();
});

async function start(): Promise<Plugin> {
  host = new Host({
    clusters: {
      backend: { host: '127.0.0.1', port: upstream.port },
      backend_h2: { host: '127.0.0.1', port: h2.port, http2: true },
      grpc: { host: '127.0.0.1', port: grpcUp.port, http2: true },
      dead: { host: '127.0.0.1', port: dead, http2: true },
      dead_h1: { host: '127.0.0.1', port: dead },
      grpc_h1: { host: '127.0.0.1', port: grpcUp.port }, // the gRPC server behind a cluster without HTTP/2
    },
  });
  plugin = await host.loadPlugin({ wasm: await probe('callouts') });
  return plugin;
}
const logs = (): string[] => workerLogs(plugin);
const request = (extra: Array<[string, string]>) => {
  const s = plugin.newStream();
  const verdict = s.sendRequestHeaders([[':method', 'GET'], [':path', '/'], [':authority', 'a'], ...extra]);
  return { s, verdict };
};
const settled = (prefix: string) => plugin.waitFor(() => logs().some((l) => l.startsWith(prefix)), 5000);

describe('proxy_http_call', () => {
  it('calls a real HTTP/1.1 server from a stream, answers the root, and the stream continues', async () => {
    await start();
    const { s, verdict } = request([['x-call', 'http']]);
    expect(verdict).toBe('stop');
    expect(logs()).toEqual(['http rc=0 token=4']);
    await expect(s.continued('request')).resolves.toBe('continue');
    expect(logs()).toEqual([
      'http rc=0 token=4',
      expect.stringMatching(
        /^http_response root=1 token=4 headers=\d+ body=7 trailers=0 status=200 text=hi ping get_status=0\/$/,
      ),
      'effective rc=0',
      'continue rc=0',
    ]);
    expect(s.requestHeaders).toContainEqual(['x-call-status', '200']);
    expect(upstream.seen.at(-1)).toMatchObject({
      method: 'POST',
      path: '/hello',
      body: 'ping',
      headers: { host: 'backend.test', 'x-from': 'probe', 'x-envoy-internal': 'true', 'content-length': '4' },
    });
    expect(plugin.callouts()).toEqual([
      expect.objectContaining({
        kind: 'http',
        token: 4,
        worker: 0,
        cluster: 'backend',
        state: 'done',
        response: expect.objectContaining({ body: Buffer.from('hi ping') }),
      }),
    ]);
  });

  it('speaks HTTP/2 to an http2 cluster and passes response trailers', async () => {
    await start();
    request([
      ['x-call', 'http'],
      ['x-cluster', 'backend_h2'],
    ]);
    await settled('http_response');
    expect(logs()[1]).toMatch(/token=4 headers=\d+ body=9 trailers=1 status=201 text=h2 \/hello/);
  });

  it('rejects bad calls as Envoy does (BadArgument), and gRPC verbs on an HTTP token', async () => {
    await start();
    request([['x-call', 'http-bad']]);
    expect(logs()).toEqual([
      'no-authority=2',
      'unknown-cluster=2',
      'negative-timeout=2',
      'send-on-http-token=2 close-http-token=2',
    ]);
  });

  it('delivers a timeout as a 504 response and a refused connection as a 503 response', async () => {
    await start();
    request([
      ['x-call', 'http'],
      ['x-call-path', '/slow'],
      ['x-timeout', '100'],
    ]);
    request([
      ['x-call', 'http'],
      ['x-cluster', 'dead_h1'],
    ]);
    await plugin.waitFor(() => logs().filter((l) => l.startsWith('http_response')).length === 2, 5000);
    const responses = logs()
      .filter((l) => l.startsWith('http_response'))
      .sort();
    expect(responses[0]).toMatch(/token=4 .* status=504 text=upstream request timeout get_status=0\/$/);
    expect(responses[1]).toMatch(
      /token=8 .* status=503 text=upstream connect error or disconnect\/reset before headers\. reset reason: connection failure/,
    );
  });

  it('reports a reset after response headers as (0, 0, 0) with BrokenConnection "reset"', async () => {
    await start();
    request([
      ['x-call', 'http'],
      ['x-call-path', '/reset'],
    ]);
    await settled('http_response');
    expect(logs()[1]).toBe(
      'http_response root=1 token=4 headers=0 body=0 trailers=0 status=(2:) text=(1) get_status=11/reset',
    );
  });

  it('keeps the call alive when its stream goes away; the answer still reaches the root', async () => {
    await start();
    const { s } = request([['x-call', 'http']]);
    s.reset();
    await settled('effective');
    expect(logs().slice(1)).toEqual([expect.stringContaining('status=200'), 'effective rc=2']); // context gone: BadArgument
  });

  it('cancels outstanding calls when the root context goes (plugin close), without callbacks', async () => {
    await start();
    request([
      ['x-call', 'http'],
      ['x-call-path', '/slow'],
    ]);
    await plugin.waitFor(() => upstream.seen.some((r) => r.path === '/slow'));
    await plugin.close();
    expect(plugin.callouts()[0].state).toBe('cancelled');
    expect(logs().some((l) => l.startsWith('http_response'))).toBe(false);
  });
});

describe('gRPC callouts', () => {
  it('streams to a real grpc-js server given a serialized GrpcService', async () => {
    await start();
    request([
      ['x-call', 'grpc-stream'],
      ['x-cluster', 'grpc'],
    ]);
    await settled('grpc_close');
    expect(logs()).toEqual([
      'stream rc=0 token=6',
      'send rc=0,0',
      'close rc=0',
      expect.stringMatching(/^grpc_initial_metadata token=6 n=\d+ x-server=grpc-js$/),
      'grpc_receive token=6 msg=echo:one',
      'grpc_receive token=6 msg=echo:two',
      expect.stringMatching(/^grpc_trailing_metadata token=6 n=\d+ grpc-status=0$/),
      'grpc_close root=1 token=6 code=0 status=0/OK', // grpc-js sends grpc-message OK
    ]);
    expect(grpcUp.seen.at(-1)).toMatchObject({
      method: 'Chat',
      messages: ['one', 'two'],
      metadata: { 'x-md': 'probe' },
    });
    expect(plugin.callouts()).toEqual([
      expect.objectContaining({
        kind: 'grpc_stream',
        token: 6,
        cluster: 'grpc',
        authority: 'grpc.test',
        service: 'test.Echo',
        method: 'Chat',
        messages: [Buffer.from('one'), Buffer.from('two')],
        state: 'done',
        grpcStatus: 0,
      }),
    ]);
  });

  it('accepts a bare cluster name, and answers ParseFailure for an unknown one', async () => {
    await start();
    request([
      ['x-call', 'grpc-bare'],
      ['x-cluster', 'grpc'],
    ]);
    request([['x-call', 'grpc-unknown']]);
    await settled('grpc_close');
    expect(logs()).toContain('stream rc=4');
    expect(plugin.callouts()[0]).toMatchObject({ cluster: 'grpc', authority: 'grpc', grpcStatus: 0 });
  });

  it('makes unary calls: success is on_grpc_receive only, failure is on_grpc_close with the status', async () => {
    await start();
    request([
      ['x-call', 'grpc-unary'],
      ['x-cluster', 'grpc'],
    ]);
    request([
      ['x-call', 'grpc-unary'],
      ['x-cluster', 'grpc'],
      ['x-method', 'Fail'],
    ]);
    await plugin.waitFor(
      () => logs().some((l) => l.startsWith('grpc_receive')) && logs().some((l) => l.startsWith('grpc_close')),
      5000,
    );
    expect(logs()).toEqual(
      expect.arrayContaining([
        'unary rc=0 token=5',
        'unary rc=0 token=9',
        'grpc_receive token=5 msg=unary:hello',
        'grpc_close root=1 token=9 code=7 status=7/nope',
      ]),
    );
    expect(logs().some((l) => l.includes('initial_metadata') || l.includes('trailing_metadata'))).toBe(false);
  });

  it('reports an unreachable gRPC cluster as Unavailable (14)', async () => {
    await start();
    request([
      ['x-call', 'grpc-stream'],
      ['x-cluster', 'dead'],
    ]);
    await settled('grpc_close');
    expect(logs().at(-1)).toMatch(/^grpc_close root=1 token=6 code=14 status=14\/upstream connect error/);
  });

  it('ends a stream answered with a non-200 and no grpc-status as Cancelled (1), as AsyncStreamImpl::onHeaders does', async () => {
    await start();
    request([
      ['x-call', 'grpc-stream'],
      ['x-cluster', 'backend_h2'], // answers :status 201, no grpc-status
    ]);
    await settled('grpc_close');
    expect(logs().at(-1)).toMatch(/^grpc_close root=1 token=6 code=1 /);
    expect(logs().some((l) => l.startsWith('grpc_receive'))).toBe(false);
  });

  it("speaks the cluster's protocol: on a cluster without HTTP/2 the gRPC server is never reached", async () => {
    await start();
    const before = grpcUp.seen.length;
    request([
      ['x-call', 'grpc-stream'],
      ['x-cluster', 'grpc_h1'],
    ]);
    await settled('grpc_close');
    expect(logs().at(-1)).toMatch(/^grpc_close root=1 token=6 code=(14|1) /);
    expect(logs().some((l) => l.startsWith('grpc_receive'))).toBe(false);
    expect(grpcUp.seen.length).toBe(before);
  });

  it('cancels a stream without further callbacks; a second cancel is NotFound', async () => {
    await start();
    request([
      ['x-call', 'grpc-cancel'],
      ['x-cluster', 'grpc'],
    ]);
    expect(logs()).toEqual(['stream rc=0 token=6', 'cancel rc=0 again=1']);
    await new Promise((r) => setTimeout(r, 100));
    expect(logs()).toHaveLength(2);
    expect(plugin.callouts()[0].state).toBe('cancelled');
  });
});
