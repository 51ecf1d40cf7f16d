// A trap poisons the VM: never an exception out of the host; fail closed answers 503
// "wasm_fail_stream" (once), fail open lets traffic through untouched (cpp-host CHECK_FAIL,
// Envoy Context::failStream, and the filter factory that adds no filter for a failed VM with fail_open).
import { afterEach, describe, expect, it } from 'vitest';
import { Host, type Plugin } from '../../sandbox/host/index.js';
import { probe } from './fixtures/probes.js';
import { GET } from './fixtures/streams.js';

let host: Host;
afterEach(async () => {
  await host?.close();
});
const load = async (failOpen: boolean, workers = 1): Promise<Plugin> => {
  host = new Host();
  return host.loadPlugin({ wasm: await probe('trap'), failOpen, workers });
};

describe('a trap in the module', () => {
  it('marks the VM failed and logs why, without throwing at the caller', async () => {
    const plugin = await load(false);
    const s = plugin.newStream();
    expect(() => s.sendRequestHeaders([...GET, ['x-trap', '1']])).not.toThrow();
    expect(plugin.failed).toBe(true);
    expect(plugin.logs('critical')).toEqual(['Function: proxy_on_request_headers failed: RuntimeError: unreachable']);
  });

  it('fails closed by default: the stream gets one 503 wasm_fail_stream, and so do new streams', async () => {
    const plugin = await load(false);
    const s = plugin.newStream();
    expect(s.sendRequestHeaders([...GET, ['x-trap', '1']])).toBe('stop');
    expect(s.localResponse).toMatchObject({ status: 503, details: 'wasm_fail_stream', grpcStatus: 14 });
    expect(s.responseHeaders).toEqual([[':status', '503']]); // the filter's encode callbacks are skipped
    const next = plugin.newStream();
    expect(next.sendRequestHeaders(GET, true)).toBe('stop');
    expect(next.responseHeaders).toEqual([[':status', '503']]);
    expect(next.requestHeaders).not.toContainEqual(['x-probe', 'ok']);
  });

  it('fails open when asked: the failing stream continues and new streams bypass the filter', async () => {
    const plugin = await load(true);
    const s = plugin.newStream();
    expect(s.sendRequestHeaders([...GET, ['x-trap', '1']])).toBe('continue');
    expect(s.localResponse).toBeUndefined();
    const next = plugin.newStream();
    expect(next.bypassed).toBe(true);
    expect(next.sendRequestHeaders(GET)).toBe('continue');
    expect(next.sendResponseHeaders([[':status', '200']], true)).toBe('continue');
    expect(next.requestHeaders).toEqual(GET); // untouched: no x-probe
    expect(next.responseHeaders).toEqual([[':status', '200']]);
  });

  it('poisons only the VM that trapped: other workers keep filtering', async () => {
    const plugin = await load(false, 2);
    plugin.newStream({ worker: 0 }).sendRequestHeaders([...GET, ['x-trap', '1']]);
    const healthy = plugin.newStream({ worker: 1 });
    expect(healthy.sendRequestHeaders(GET)).toBe('continue');
    expect(healthy.requestHeaders).toContainEqual(['x-probe', 'ok']);
    expect(plugin.workers.map((w) => w.failed)).toEqual([true, false]);
  });
});
