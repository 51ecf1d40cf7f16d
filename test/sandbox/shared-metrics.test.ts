// Process-wide shared data (CAS) and shared queues keyed by vm_id, and custom metrics with Envoy's
// per-type rules, observed across worker VMs.
import { afterEach, describe, expect, it } from 'vitest';
import { Host, type Plugin } from '../../sandbox/host/index.js';
import { probe } from './fixtures/probes.js';

let host: Host;
afterEach(async () => {
  await host?.close();
});
const logsOf = (p: Plugin, worker: number): string[] =>
  p
    .logEntries()
    .filter((e) => e.worker === worker)
    .map((e) => e.message);
/** Runs one request carrying x-op on `worker` and returns what the probe logged for it. */
const op = (p: Plugin, worker: number, x: string): string => {
  const before = logsOf(p, worker).length;
  p.newStream({ worker }).sendRequestHeaders(
    [
      [':method', 'GET'],
      [':path', '/'],
      [':authority', 'a'],
      ['x-op', x],
    ],
    true,
  );
  return logsOf(p, worker).slice(before).join(' | ');
};

describe('shared data', () => {
  it('is shared by every worker VM of a vm_id, with compare-and-swap', async () => {
    host = new Host();
    const p = await host.loadPlugin({ wasm: await probe('shared'), vmId: 'vm-a', workers: 2 });
    expect(op(p, 0, 'get:k')).toBe('get rc=1'); // missing: NotFound
    expect(op(p, 0, 'set:k:v1:0')).toBe('set rc=0'); // cas 0: unconditional
    expect(op(p, 1, 'get:k')).toBe('get rc=0 value=v1 cas=1'); // the other worker sees it
    expect(op(p, 1, 'set:k:v2:999')).toBe('set rc=8'); // CasMismatch
    expect(op(p, 1, 'set:k:v2:1')).toBe('set rc=0');
    expect(op(p, 0, 'set:fresh:x:77')).toBe('set rc=0'); // a new key is stored whatever the cas
    expect(host.sharedData.get('vm-a', 'k')).toEqual({ value: Buffer.from('v2'), cas: 2 });
    const other = await host.loadPlugin({ wasm: await probe('shared'), vmId: 'vm-b' });
    expect(op(other, 0, 'get:k')).toBe('get rc=1'); // another vm_id, another namespace
  });
});

describe('shared queues', () => {
  it("notifies the last registrant's root context, asynchronously", async () => {
    host = new Host();
    const p = await host.loadPlugin({ wasm: await probe('shared'), vmId: 'vm-a', workers: 2 });
    expect(op(p, 0, 'register:q')).toBe('register rc=0 token=1');
    expect(op(p, 1, 'register:q')).toBe('register rc=0 token=1'); // same queue; worker 1 is now the target
    expect(op(p, 0, 'resolve::q')).toBe('resolve rc=0 token=1'); // empty vm_id = own
    expect(op(p, 0, 'resolve:vm-x:q')).toBe('resolve rc=1 token=-');
    expect(op(p, 0, 'enqueue:1:hello')).toBe('enqueue rc=0');
    expect(logsOf(p, 1).some((l) => l.startsWith('queue_ready'))).toBe(false); // not synchronous
    await p.waitFor(() => logsOf(p, 1).some((l) => l.startsWith('queue_ready')));
    expect(logsOf(p, 1)).toContain('queue_ready root=1 token=1 rc=0 data=hello');
    expect(logsOf(p, 0).some((l) => l.startsWith('queue_ready'))).toBe(false);
    expect(op(p, 0, 'dequeue:1')).toBe('dequeue rc=7'); // Empty
    expect(op(p, 0, 'enqueue:99:x')).toBe('enqueue rc=1'); // unknown token: NotFound
  });
});

describe('metrics', () => {
  it("encodes the type in the id and applies each type's rules", async () => {
    host = new Host();
    const p = await host.loadPlugin({ wasm: await probe('metrics'), workers: 2 });
    expect(logsOf(p, 0)).toEqual([
      'define probe_requests rc=0 id=4',
      'define probe_inflight rc=0 id=5',
      'define probe_latency_ms rc=0 id=6',
      'define-bad rc=2',
    ]);
    p.newStream({ worker: 0 }).sendRequestHeaders(
      [
        [':method', 'GET'],
        [':path', '/'],
        [':authority', 'a'],
      ],
      true,
    );
    expect(logsOf(p, 0).slice(4)).toEqual([
      'inc counter=0 zero=2 neg=2', // counters only grow: delta <= 0 is BadArgument
      'record counter=0', // record on a counter adds
      'gauge inc=0 dec=0',
      'gauge value=7',
      'gauge set=0',
      'hist record=0 inc=2 get=2', // histograms only record
      'unknown inc=1 get=1',
      'counter value=6',
    ]);
    p.newStream({ worker: 1 }).sendRequestHeaders(
      [
        [':method', 'GET'],
        [':path', '/'],
        [':authority', 'a'],
      ],
      true,
    );
    expect(p.metric('probe_requests')).toBe(12); // one stat per name, whatever VM defined it
    expect(p.metric('probe_inflight')).toBe(42);
    expect(p.metrics().get('probe_latency_ms')).toEqual({ type: 'histogram', value: 2, samples: [7, 7] });
    expect(p.metric('not_defined')).toBeUndefined();
  });
});
