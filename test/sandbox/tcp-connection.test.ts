// sandbox/host network-filter connections follow Envoy (source/extensions/common/wasm/context.cc,
// source/common/network/filter_manager_impl.cc): paused client bytes are kept and shown again with
// more; only a prefix can be replaced (mid-buffer edits are BAD_ARGUMENT); close_stream of either
// type closes the downstream connection; continue_stream(UPSTREAM) is unimplemented; server bytes
// reach the client only as the filter leaves them in on_upstream_data; cluster_name appears only once
// tcp_proxy picked the cluster (after on_new_connection); the close runs the close callback, then
// on_done → on_log → on_delete. Driven with a probe module (test/sandbox/probes/network.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { Host, type Plugin } from '../../sandbox/host/index.js';
import { probe } from './fixtures/probes.js';
import { workerLogs } from './fixtures/streams.js';

let host: Host;
afterEach(async () => {
  await host?.close();
});

async function load(): Promise<Plugin> {
  host = new Host({});
  return host.loadPlugin({ wasm: await probe('network') });
}
function open(plugin: Plugin) {
  const c = plugin.newConnection({ cluster: 'orders_db', sni: 'db.internal' });
  const connects: string[] = [];
  c.on('connect', (cluster: string) => {
    connects.push(cluster);
    c.upstreamConnected('10.0.0.9:5432');
  });
  c.start();
  return { c, connects };
}

describe('network filter connections (Envoy semantics)', () => {
  it('tcp_proxy connects at once when on_new_connection continues; cluster_name only after that', async () => {
    const plugin = await load();
    const { c, connects } = open(plugin);
    expect(connects).toEqual(['orders_db']);
    c.receiveDownstream(Buffer.from('hello'));
    const logs = workerLogs(plugin);
    expect(logs[0]).toBe('new cluster=<1> sni=db.internal'); // NotFound at accept
    expect(logs[1]).toBe('down size=5 eos=0 data=hello cluster=orders_db');
    expect(Buffer.concat(c.toUpstream).toString()).toBe('hello');
  });

  it('paused bytes are kept and shown again with more; a prefix can be replaced, the middle cannot', async () => {
    const plugin = await load();
    const { c } = open(plugin);
    c.receiveDownstream(Buffer.from('P1234'));
    expect(c.toUpstream).toEqual([]);
    c.receiveDownstream(Buffer.from('56789'));
    const logs = workerLogs(plugin).filter((m) => m.startsWith('down') || m.startsWith('mid'));
    expect(logs).toEqual([
      'down size=5 eos=0 data=P1234 cluster=orders_db',
      'down size=10 eos=0 data=P123456789 cluster=orders_db',
      'mid=2 prefix=0', // BadArgument, then Ok
    ]);
    expect(Buffer.concat(c.toUpstream).toString()).toBe('XY23456789');
  });

  it('server bytes reach the client as the filter leaves them; end_stream gives upstream close UNKNOWN', async () => {
    const plugin = await load();
    const { c } = open(plugin);
    c.receiveUpstream(Buffer.from('Raw reply'));
    c.receiveUpstream(Buffer.from('pass'), true);
    expect(c.toClient.map(String)).toEqual(['REPLY', 'pass']);
    expect(workerLogs(plugin)).toContain('upstream-close peer=0');
  });

  it.each([
    ['C', 'wasm_upstream_close'],
    ['K', 'wasm_downstream_close'],
  ])('close_stream from %s closes the downstream connection: nothing more is forwarded', async (op, details) => {
    const plugin = await load();
    const { c } = open(plugin);
    c.receiveDownstream(Buffer.from(`${op}-bytes`));
    expect(c.closed).toBe(true);
    expect(c.closeDetails).toBe(details);
    expect(c.toUpstream).toEqual([]);
    expect(workerLogs(plugin).slice(-4)).toEqual(['downstream-close peer=1', 'done', 'log', 'delete']);
  });

  it('continue_stream(UPSTREAM) is unimplemented (Envoy has no continue on the write path)', async () => {
    const plugin = await load();
    const { c } = open(plugin);
    c.receiveDownstream(Buffer.from('U'));
    expect(workerLogs(plugin)).toContain('continue-upstream=12'); // WasmResult Unimplemented
  });

  it('a client close runs the close callback (REMOTE), then on_done → on_log → on_delete', async () => {
    const plugin = await load();
    const { c } = open(plugin);
    c.close('remote');
    expect(workerLogs(plugin).slice(-4)).toEqual(['downstream-close peer=2', 'done', 'log', 'delete']);
  });
});
