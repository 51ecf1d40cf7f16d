// The VM model (base, canary, one VM per worker) and a stream's callback order, return-code conversion
// and asynchronous continuation, driven like Envoy drives them.
import { afterEach, describe, expect, it } from 'vitest';
import { Host, type Plugin } from '../../sandbox/host/index.js';
import { probe } from './fixtures/probes.js';
import { workerLogs } from './fixtures/streams.js';

let host: Host;
afterEach(async () => {
  await host?.close();
});

const GET: Array<[string, string]> = [
  [':method', 'GET'],
  [':path', '/x'],
  [':authority', 'svc'],
];
const load = async (opts: { configuration?: string; workers?: number } = {}): Promise<Plugin> => {
  host = new Host();
  return host.loadPlugin({ wasm: await probe('lifecycle'), ...opts });
};

describe('VM model', () => {
  it('starts a canary (root 1: create, vm_start, configure) and then each worker the same way', async () => {
    const plugin = await load({ configuration: 'cfg-A', workers: 2 });
    const boot = ['create 1 0', 'vm_start 1 0', 'configure 1 cfg-A'];
    expect(workerLogs(plugin, 'canary')).toEqual(boot);
    expect(workerLogs(plugin, 0)).toEqual(boot);
    expect(workerLogs(plugin, 1)).toEqual(boot);
    expect(plugin.workers).toHaveLength(2);
  });

  it('rejects the plugin when on_configure returns false (canary), before any worker starts', async () => {
    await expect(load({ configuration: 'reject' })).rejects.toThrow(/proxy_on_configure returned false/);
  });

  it('rejects the plugin when on_configure traps in the canary', async () => {
    await expect(load({ configuration: 'trap' })).rejects.toThrow(
      /Function: proxy_on_configure failed: RuntimeError: unreachable/,
    );
  });

  it('gives each worker its own VM: stream context ids count per VM', async () => {
    const plugin = await load({ workers: 2 });
    const a = plugin.newStream({ worker: 0 });
    const b = plugin.newStream({ worker: 1 });
    const c = plugin.newStream({ worker: 0 });
    expect([a.id, b.id, c.id]).toEqual([2, 2, 3]);
  });
});

describe('stream lifecycle', () => {
  it('calls back in Envoy order: request, response, then log → done → delete', async () => {
    const plugin = await load();
    const s = plugin.newStream();
    expect(s.sendRequestHeaders([...GET, ['content-length', '5']])).toBe('continue');
    expect(s.sendRequestBody('hel')).toBe('continue');
    expect(s.sendRequestBody('lo')).toBe('continue');
    expect(s.sendRequestTrailers([['x-t', '1']])).toBe('continue');
    expect(s.sendResponseHeaders([[':status', '200']])).toBe('continue');
    expect(s.sendResponseBody('ok', true)).toBe('continue');
    expect(workerLogs(plugin).slice(3)).toEqual([
      'create 2 1',
      'request_headers 2 4 0',
      'request_body 2 3 0 hel',
      'request_body 2 2 0 lo',
      'request_trailers 2 1',
      'response_headers 2 1 0',
      'response_body 2 2 1 ok',
      'log 2',
      'done 2',
      'delete 2',
    ]);
    expect(s.finished).toBe(true);
  });

  it('tells the driver clearly when it misuses a stream', async () => {
    const plugin = await load();
    const s = plugin.newStream({ autoComplete: false });
    expect(() => s.sendRequestBody('x')).toThrow('request body sent before request headers');
    s.sendRequestHeaders(GET, true);
    expect(() => s.sendRequestHeaders(GET)).toThrow('request headers were already sent');
    expect(() => s.sendRequestBody('x')).toThrow('request body sent after the request ended');
  });

  it('completes on demand when the response has not ended (autoComplete off)', async () => {
    const plugin = await load();
    const s = plugin.newStream({ autoComplete: false });
    s.sendRequestHeaders(GET, true);
    s.sendResponseHeaders([[':status', '204']], true);
    expect(s.finished).toBe(false);
    s.complete();
    s.complete();
    expect(workerLogs(plugin).slice(-3)).toEqual(['log 2', 'done 2', 'delete 2']);
  });

  it.each([
    ['pause', 'stop', 'StopAllIterationAndWatermark'], // PAUSE on headers = stop-all (cpp-host#143)
    ['stopall-buffer', 'stop', 'StopAllIterationAndBuffer'],
    ['continue-end', 'continue', 'Continue'], // ContinueAndEndStream falls to Continue
    ['big', 'stop', 'StopAllIterationAndWatermark'], // > 4
  ])('converts a headers result %s to %s (%s)', async (action, verdict, status) => {
    const plugin = await load();
    const s = plugin.newStream();
    expect(s.sendRequestHeaders([...GET, ['x-req-headers', action]])).toBe(verdict);
    expect(s.lastStatus.request).toBe(status);
  });

  it('holds data while stopped-all and hands it to the filter when the stream continues', async () => {
    const plugin = await load({ configuration: '' });
    const s = plugin.newStream();
    const forwarded: string[] = [];
    s.on('forward', (ev) => forwarded.push(`${ev.kind}${ev.data ? `:${ev.data}` : ''}${ev.endOfStream ? ' end' : ''}`));
    expect(s.sendRequestHeaders([...GET, ['x-req-headers', 'pause-tick']])).toBe('stop');
    expect(s.sendRequestBody('abc', true)).toBe('stop'); // buffered by Envoy, not shown to the filter yet
    expect(workerLogs(plugin).filter((l) => l.startsWith('request_body'))).toEqual([]);
    const continued = s.continued('request');
    plugin.tick(); // the probe continues parked streams from on_tick
    await expect(continued).resolves.toBe('continue');
    expect(workerLogs(plugin).slice(-3)).toEqual(['tick 1', 'continue 2 rc=0,0', 'request_body 2 3 1 abc']);
    expect(forwarded).toEqual(['headers', 'data:abc end']);
  });

  it('continues a paused response from a root callback, then completes the stream', async () => {
    const plugin = await load();
    const s = plugin.newStream();
    s.sendRequestHeaders(GET, true);
    expect(
      s.sendResponseHeaders([
        [':status', '200'],
        ['x-res-headers', 'pause-tick'],
      ]),
    ).toBe('stop');
    expect(s.sendResponseBody('late', true)).toBe('stop');
    expect(s.responseContinued).toBe(false);
    plugin.tick();
    expect(s.responseContinued).toBe(true);
    expect(workerLogs(plugin).slice(-6)).toEqual([
      'tick 1',
      'continue 2 rc=0,0',
      'response_body 2 4 1 late',
      'log 2',
      'done 2',
      'delete 2',
    ]);
    expect(s.finished).toBe(true);
  });

  it('buffers body chunks while the filter answers StopIterationAndBuffer and shows the whole body', async () => {
    const plugin = await load();
    const s = plugin.newStream();
    s.sendRequestHeaders([...GET, ['x-req-body', 'pause-until-end']]);
    expect(s.sendRequestBody('ab')).toBe('stop');
    expect(s.sendRequestBody('cd')).toBe('stop');
    expect(s.sendRequestBody('e', true)).toBe('continue');
    expect(workerLogs(plugin).filter((l) => l.startsWith('request_body'))).toEqual([
      'request_body 2 2 0 ab',
      'request_body 2 4 0 abcd',
      'request_body 2 5 1 abcde',
    ]);
    expect(s.requestBody.toString()).toBe('abcde');
  });

  it('converts a body result above 3 (or StopIterationNoBuffer) to StopIterationNoBuffer', async () => {
    const plugin = await load();
    const s = plugin.newStream();
    s.sendRequestHeaders([...GET, ['x-req-body', 'nobuffer']]);
    expect(s.sendRequestBody('gone')).toBe('stop');
    expect(s.lastStatus.request).toBe('StopIterationNoBuffer');
  });

  it('pauses on trailers and still passes everything on after continue', async () => {
    const plugin = await load();
    const s = plugin.newStream();
    s.sendRequestHeaders([...GET, ['x-req-trailers', 'pause']]);
    s.sendRequestBody('b');
    expect(s.sendRequestTrailers([['grpc-x', '1']])).toBe('stop');
    expect(s.lastStatus.request).toBe('StopIteration');
  });
});

describe('ticks', () => {
  it('fires on_tick from a real, re-armed timer set by set_tick_period_milliseconds', async () => {
    const plugin = await load({ configuration: 'tick:5' });
    await plugin.waitFor(() => workerLogs(plugin).filter((l) => l === 'tick 1').length >= 2, 2000);
    expect(workerLogs(plugin, 'canary')).not.toContain('tick 1'); // the canary's timer went with it
  });

  it('runs on_tick on demand and stops the timer on close', async () => {
    const plugin = await load();
    plugin.tick();
    expect(workerLogs(plugin)).toContain('tick 1');
    await plugin.close();
  });
});
