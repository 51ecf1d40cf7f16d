// VM sharing across plugins (cpp-host src/wasm.cc createWasm / getOrCreateThreadLocalWasm, keyed by
// makeVmKey(vm_id, vm configuration, code)): one VM per worker for all plugins of a key, a root context
// per plugin with ids from the VM's counter, module globals shared, a trap failing the VM for all of
// them, and close() ending one plugin's root context only.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Host, type Plugin, type PluginOptions } from '../../sandbox/host/index.js';
import { probe } from './fixtures/probes.js';
import { GET } from './fixtures/streams.js';
import { httpServer } from './fixtures/servers.js';

let upstream: Awaited<ReturnType<typeof httpServer>>;
let wasm: Uint8Array;
let host: Host;
beforeAll(async () => {
  [upstream, wasm] = await Promise.all([httpServer(), probe('shared-vm')]);
});
afterAll(async () => {
  await upstream.close();
});
afterEach(async () => {
  await host?.close();
});

const start = (): Host => (host = new Host({ clusters: { backend: { host: '127.0.0.1', port: upstream.port } } }));
const load = (name: string, extra: Partial<PluginOptions> = {}): Promise<Plugin> =>
  host.loadPlugin({ wasm, name, vmId: 'vm', vmConfiguration: 'vm-cfg', configuration: `cfg-${name}`, ...extra });
const logs = (p: Plugin, worker: number | 'canary' = 0): string[] =>
  p
    .logEntries()
    .filter((e) => e.worker === worker)
    .map((e) => e.message);
const seen = (p: Plugin, extra: Array<[string, string]> = []) => {
  const s = p.newStream();
  s.sendRequestHeaders([...GET, ...extra], true);
  const h = new Map(s.requestHeaders);
  return {
    id: s.id,
    configures: h.get('x-configures'),
    rootConfig: h.get('x-root-config'),
    plugin: h.get('x-plugin'),
    stream: s,
  };
};
// A custom section changes the code (and so the vm key) without changing what it does.
const withCustomSection = (code: Uint8Array): Uint8Array =>
  Buffer.concat([code, Buffer.from([0, 4, 3, 0x78, 0x79, 0x7a])]);

describe('plugins with the same vm_id, vm configuration and code', () => {
  it('share each worker VM, each with its own root context, and see the same module globals', async () => {
    start();
    const a = await load('a', { workers: 2 });
    const b = await load('b', { workers: 2 });
    expect(b.workers.map((vm, i) => vm === a.workers[i])).toEqual([true, true]);
    // Every new root context gets on_context_create → on_vm_start → on_configure (cpp-host
    // WasmBase::start → ContextBase::onStart, then configure); ids continue the VM's counter.
    expect(logs(a, 0)).toEqual(['create 1 0', 'vm_start 1 vm-cfg', 'configure 1 cfg-a configures=1']);
    expect(logs(b, 0)).toEqual(['create 2 0', 'vm_start 2 vm-cfg', 'configure 2 cfg-b configures=2']);
    expect(logs(b, 1)).toEqual(['create 2 0', 'vm_start 2 vm-cfg', 'configure 2 cfg-b configures=2']);
    // Each plugin's canary is a fresh clone of the base VM: root 1, globals of its own.
    expect(logs(b, 'canary')).toEqual(['create 1 0', 'vm_start 1 vm-cfg', 'configure 1 cfg-b configures=1']);

    const sa = seen(a),
      sb = seen(b);
    expect(sa).toMatchObject({ id: 3, configures: '2', rootConfig: 'cfg-a', plugin: 'a' });
    expect(sb).toMatchObject({ id: 4, configures: '2', rootConfig: 'cfg-b', plugin: 'b' });
    expect(logs(a).slice(3, 4)).toEqual(['create 3 1']); // each stream's logs go to its own plugin
    expect(logs(b).slice(3, 4)).toEqual(['create 4 2']);
  });

  it.each([
    ['vm_id', () => ({ vmId: 'other' })],
    ['vm configuration', () => ({ vmConfiguration: 'other' })],
    ['code', () => ({ wasm: withCustomSection(wasm) })],
  ] as Array<[string, () => Partial<PluginOptions>]>)(
    'get VMs of their own when the %s differs',
    async (_what, extra) => {
      start();
      const a = await load('a');
      const b = await load('b', extra());
      expect(b.workers[0]).not.toBe(a.workers[0]);
      expect(logs(b)[2]).toMatch(/^configure 1 cfg-b configures=1$/);
      expect(seen(a)).toMatchObject({ id: 2, configures: '1' });
    },
  );

  it("fail together: a trap in one plugin's stream poisons the VM for all; a later plugin gets a fresh VM", async () => {
    start();
    const a = await load('a');
    const b = await load('b');
    expect(() => seen(b, [['x-trap', '1']])).not.toThrow();
    expect([a.failed, b.failed]).toEqual([true, true]);
    expect(a.logs('critical')).toEqual(['Function: proxy_on_request_headers failed: RuntimeError: unreachable']);
    const s = a.newStream();
    expect(s.sendRequestHeaders(GET, true)).toBe('stop');
    expect(s.localResponse).toMatchObject({ status: 503, details: 'wasm_fail_stream' });

    // cpp-host drops a thread-local VM from local_wasms when it fails at runtime.
    const c = await load('c');
    expect(c.workers[0]).not.toBe(a.workers[0]);
    expect(c.failed).toBe(false);
    expect(seen(c)).toMatchObject({ id: 2, configures: '1', rootConfig: 'cfg-c' });
  });

  it('a plugin that cannot configure in the shared VM fails alone; the VM and its other plugins run on', async () => {
    start();
    const a = await load('a');
    const b = await load('b', { configuration: 'first-root-only' }); // its canary (root 1) accepts it
    expect(b.workers[0]).toBe(a.workers[0]);
    expect([a.failed, b.failed, a.workers[0].failed]).toEqual([false, true, false]);
    expect(b.failures).toEqual(['proxy_on_configure returned false']);
    const s = b.newStream();
    expect(s.sendRequestHeaders(GET, true)).toBe('stop');
    expect(s.localResponse).toMatchObject({ status: 503, details: 'wasm_fail_stream' });
    expect(seen(a)).toMatchObject({ configures: '2', rootConfig: 'cfg-a' });
  });

  it("close one at a time: only the closing plugin's root gets on_done/on_delete and loses its callouts", async () => {
    start();
    const a = await load('a');
    const b = await load('b');
    const before = upstream.seen.length;
    seen(a, [['x-call', 'slow']]);
    seen(b, [['x-call', 'slow']]);
    expect(logs(b)).toContain('http rc=0 token=8'); // callout tokens count per VM
    await a.waitFor(() => upstream.seen.length - before === 2);

    await a.close();
    expect(logs(a).slice(-2)).toEqual(['done 1', 'delete 1']);
    expect(logs(b).some((l) => l.startsWith('done') || l.startsWith('delete'))).toBe(false);
    expect([a.callouts()[0].state, b.callouts()[0].state]).toEqual(['cancelled', 'open']);
    expect(seen(b)).toMatchObject({ configures: '2', rootConfig: 'cfg-b', plugin: 'b' }); // same VM, still running

    await b.close();
    expect(logs(b).slice(-2)).toEqual(['done 2', 'delete 2']);
    expect(b.callouts()[0].state).toBe('cancelled');
    // The VM went with its last plugin: the same key now starts a new one.
    const c = await load('c');
    expect(c.workers[0]).not.toBe(a.workers[0]);
    expect(logs(c)[2]).toBe('configure 1 cfg-c configures=1');
  });
});
