// Header maps and body buffers as the module reaches them: Envoy's result codes inside and outside
// the access windows, first-value reads, byte sizes, added trailers, and set_buffer_bytes semantics.
import { afterEach, describe, expect, it } from 'vitest';
import { Host, type Plugin } from '../../sandbox/host/index.js';
import { probe } from './fixtures/probes.js';
import { workerLogs } from './fixtures/streams.js';

let host: Host;
afterEach(async () => {
  await host?.close();
});
const load = async (name: string): Promise<Plugin> => {
  host = new Host();
  return host.loadPlugin({ wasm: await probe(name) });
};

describe('header maps', () => {
  it('answers as Envoy inside and outside the windows', async () => {
    const plugin = await load('headers');
    const s = plugin.newStream();
    s.sendRequestHeaders([
      [':method', 'POST'],
      [':path', '/p'],
      [':authority', 'a'],
      ['x-multi', 'one'],
      ['x-multi', 'two'],
      ['x-empty', ''],
      ['x-remove-me', 'bye'],
    ]);
    s.sendRequestBody('data', true);
    s.sendResponseHeaders([
      [':status', '200'],
      ['server', 'upstream'],
    ]);
    s.sendResponseBody('r', true);
    expect(workerLogs(plugin)).toEqual([
      'multi=0:one', // first value only, key lower-cased
      'missing=1:', // NotFound
      'empty=0:', // present but empty: Ok
      'size=70 count=7', // byteSize: sum of key and value bytes (70), not a count
      'add=0',
      'replace=0',
      'remove=0,0',
      'resp-get=2:', // response headers do not exist yet: BadArgument
      'resp-add=2', // mutation of an unavailable map: BadArgument
      'resp-pairs=0:0,0', // pairs of an unavailable map: Ok and empty (0, 0)
      'bad-type=2:',
      'req-in-body=2:', // request headers window closed once headers continued
      'add-trailer=0', // trailers may be added from the last body chunk
      'req-in-resp=2:',
      'status=0:200',
      'resp-replace=0',
      'resp-in-body=2:', // istio#52740: response headers unreachable from the body callback
      'req-body-status=0:0', // a body outside its window reads as empty, Ok
      'log-path=0:/p', // on_log sees the access-log maps
      'log-status=0:200',
      'log-req-trailer=1:', // never request trailers in on_log: NotFound
      'log-add=2', // and they are read-only
    ]);
    expect(s.requestHeaders).toEqual([
      [':method', 'POST'],
      [':path', '/p'],
      [':authority', 'a'],
      ['x-empty', ''],
      ['x-added', '1'],
      ['x-multi', 'only'],
    ]);
    expect(s.requestTrailers).toEqual([['x-added-trailer', 't']]);
    expect(s.responseHeaders).toEqual([
      [':status', '200'],
      ['server', 'probe'],
    ]);
    expect(s.routeCacheClears).toBe(4); // ABI 0.2.1: every request-header mutation (even a no-op remove) clears it
  });

  it('passes added trailers on after the body', async () => {
    const plugin = await load('headers');
    const s = plugin.newStream();
    const seen: string[] = [];
    s.on('forward', (ev) => {
      if (ev.direction === 'request') seen.push(`${ev.kind}${ev.endOfStream ? '!' : ''}`);
    });
    s.sendRequestHeaders([
      [':method', 'POST'],
      [':path', '/p'],
      [':authority', 'a'],
    ]);
    s.sendRequestBody('x', true);
    expect(seen).toEqual(['headers', 'data', 'trailers!']);
  });
});

describe('body buffers', () => {
  const run = async (op: string, chunks: string[]): Promise<{ plugin: Plugin; body: string }> => {
    const plugin = await load('body');
    const s = plugin.newStream();
    s.sendRequestHeaders([
      [':method', 'POST'],
      [':path', '/'],
      [':authority', 'a'],
      ['x-body-op', op],
    ]);
    chunks.forEach((c, i) => s.sendRequestBody(c, i === chunks.length - 1));
    return { plugin, body: s.requestBody.toString() };
  };

  it('is unreachable outside its window: reads empty, writes BadArgument', async () => {
    const { plugin } = await run('', ['x']);
    expect(workerLogs(plugin)[0]).toBe('in-headers set=2 status=0:0');
  });

  it('replaces the whole buffered body with set_buffer_bytes(0, size)', async () => {
    const { plugin, body } = await run('buffer', ['ab', 'cd']);
    expect(workerLogs(plugin)).toContain('body size=4 eos=1 data=abcd');
    expect(body).toBe('REPLACED');
  });

  it('prepends with start 0, length 0', async () => {
    expect((await run('prepend', ['body'])).body).toBe('pre-body');
  });

  it('appends with start >= size', async () => {
    expect((await run('append', ['body'])).body).toBe('body-post');
  });

  it('refuses a mid-buffer write (BadArgument), unlike the spec', async () => {
    const { plugin, body } = await run('mid', ['body']);
    expect(workerLogs(plugin)).toContain('mid=2');
    expect(body).toBe('body');
  });

  it('clamps reads: start past the end is Ok with (0, 0), a slice is a slice', async () => {
    const { plugin } = await run('past-end', ['body']);
    expect(workerLogs(plugin)).toEqual(expect.arrayContaining(['past-end=0:0,0', 'slice=od']));
  });

  it('gives the response body to the response callbacks and rejects unknown buffer types', async () => {
    const plugin = await load('body');
    const s = plugin.newStream();
    s.sendRequestHeaders(
      [
        [':method', 'GET'],
        [':path', '/'],
        [':authority', 'a'],
      ],
      true,
    );
    s.sendResponseHeaders([[':status', '200']]);
    s.sendResponseBody('hello', true);
    expect(workerLogs(plugin)).toEqual(
      expect.arrayContaining(['response body=hello', 'response append=0', 'bad-type=2 no-config=1']),
    );
    expect(s.responseBody.toString()).toBe('hello!');
  });
});
