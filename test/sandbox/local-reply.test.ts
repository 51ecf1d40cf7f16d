// Local replies and close_stream: deferred to after the callback, forcing "stop", re-entering the
// filter's own response callbacks from the request path, straight to the client from the response path.
import { afterEach, describe, expect, it } from 'vitest';
import { Host, type Plugin } from '../../sandbox/host/index.js';
import { probe } from './fixtures/probes.js';
import { GET, workerLogs } from './fixtures/streams.js';

let host: Host;
afterEach(async () => {
  await host?.close();
});
const load = async (): Promise<Plugin> => {
  host = new Host();
  return host.loadPlugin({ wasm: await probe('local-reply') });
};

describe('local replies', () => {
  it("answers from the request path through the filter's own response callbacks", async () => {
    const plugin = await load();
    const s = plugin.newStream();
    expect(s.sendRequestHeaders([...GET, ['x-deny', '1']])).toBe('stop'); // Continue was forced to stop
    expect(s.lastStatus.request).toBe('StopAllIterationAndWatermark');
    expect(s.localResponse).toEqual({
      status: 403,
      headers: [['x-probe', '1']],
      body: Buffer.from('nope'),
      details: 'denied_by_probe',
      grpcStatus: undefined,
    });
    expect(s.responseHeaders).toEqual([
      [':status', '403'],
      ['x-probe', '1'],
      ['content-length', '4'],
      ['content-type', 'text/plain'],
      ['x-seen-by-filter', 'yes'],
    ]);
    expect(s.responseBody.toString()).toBe('nope');
    expect(workerLogs(plugin)).toEqual([
      'reply rc=0',
      'response_headers status=0:403 eos=0',
      'response_body size=4 eos=1',
      'log',
      'done',
      'delete',
    ]);
    expect(s.finished).toBe(true);
    expect(s.sendRequestBody('late', true)).toBe('stop'); // the request path is over
    expect(s.sendResponseHeaders([[':status', '200']])).toBe('stop');
  });

  it('turns a local reply to a gRPC request into a trailers-only gRPC answer', async () => {
    const plugin = await load();
    const s = plugin.newStream();
    s.sendRequestHeaders([
      [':method', 'POST'],
      [':path', '/pkg.Svc/M'],
      [':authority', 'a'],
      ['content-type', 'application/grpc'],
      ['x-deny-grpc', '1'],
    ]);
    expect(s.responseHeaders).toEqual([
      [':status', '200'],
      ['content-type', 'application/grpc'],
      ['grpc-status', '7'],
      ['grpc-message', 'no%20access'],
      ['x-probe', '1'],
      ['x-seen-by-filter', 'yes'],
    ]);
    expect(s.localResponse?.grpcStatus).toBe(7);
  });

  it('replaces an upstream response that has not been sent yet, bypassing the filter', async () => {
    const plugin = await load();
    const s = plugin.newStream();
    s.sendRequestHeaders(GET, true);
    expect(
      s.sendResponseHeaders(
        [
          [':status', '200'],
          ['x-deny-response', '1'],
        ],
        false,
      ),
    ).toBe('stop');
    expect(s.responseHeaders).toEqual([
      [':status', '502'],
      ['x-probe', '1'],
      ['content-length', '16'],
      ['content-type', 'text/plain'],
    ]);
    expect(s.responseBody.toString()).toBe('upstream says no');
    expect(workerLogs(plugin).filter((l) => l.startsWith('response_headers'))).toHaveLength(1);
  });

  it('resets the stream on close_stream, after the callback, with log → done → delete', async () => {
    const plugin = await load();
    const s = plugin.newStream();
    const events: string[] = [];
    s.on('reset', (d) => events.push(`reset ${d}`));
    s.on('complete', () => events.push('complete'));
    expect(s.sendRequestHeaders([...GET, ['x-close', '1']])).toBe('stop');
    expect(events).toEqual(['reset wasm_close_stream', 'complete']);
    expect(s.wasReset).toBe(true);
    expect(workerLogs(plugin)).toEqual(['close rc=0', 'log', 'done', 'delete']);
  });
});
