// At-least-once delivery, end to end: the real filter .wasm in sandbox/host against the real stream
// server (createStreamServer), through a TCP relay that can lose bytes and cut the connection.
// Proves: a stream cut mid-traffic loses no half (resent, copies dropped and counted); a control
// plane that goes away and comes back (closed in-process, or SIGKILLed as a child process) gets every
// unacknowledged half again and no acknowledged one;
// a backlog goes out in Batch messages; the full queue still drops the oldest and counts it.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Host, Plugin } from '../../../sandbox/host/index.js';
import { FilterMessageType } from '../../filter/support/control-plane.js';
import { cp, edgeConfig, hostWith, load, request } from '../../filter/support/fixtures.js';
import { type Harness, policy, startServer, waitFor } from './fixtures.js';
import { TcpCut } from './tcp-cut.js';

const CP_CHILD = fileURLToPath(new URL('./cp-child.ts', import.meta.url));
const POLICIES = [policy('shop', { services: ['shop'], sampling: { defaultPercent: 100 } })];
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(queueSize = 1024): Promise<{ h: Harness; relay: TcpCut; host: Host; plugin: Plugin }> {
  const h = await startServer({ policies: POLICIES });
  cleanup.push(() => h.close());
  const relay = await TcpCut.start(h.port);
  cleanup.push(() => relay.close());
  const host = hostWith(relay.port);
  cleanup.push(() => host.close());
  const plugin = await load(host, edgeConfig(cp(relay.port, { reconnectMaxMs: 100, queueSize })), {
    properties: { 'xds.node': { id: 'router~10.0.0.9~edge.shop', cluster: 'edge' } },
  });
  // Barrier: one half through and acknowledged, so the filter knows this control plane acknowledges.
  sampled(plugin, 'warm');
  await plugin.waitFor(() => plugin.metric('shadowguard_reports_acknowledged') === 1, 3000);
  return { h, relay, host, plugin };
}

function sampled(plugin: Plugin, id: string): void {
  const s = plugin.newStream();
  s.sendRequestHeaders(request('GET', `/r/${id}`, [['x-request-id', id]]));
  s.sendResponseHeaders([[':status', '200']]);
  s.sendResponseBody(`{"id":"${id}"}`, true);
}

/** Every gRPC message the filter handed to proxy_grpc_send, decoded (batches expanded). */
// Halves are told apart by the request id each test request carried (pair ids add a unique suffix).
function sent(plugin: Plugin): Array<{ pairId: string; seq: number; batched: boolean }> {
  const out: Array<{ pairId: string; seq: number; batched: boolean }> = [];
  for (const c of plugin.callouts()) {
    if (c.kind !== 'grpc_stream') continue;
    for (const raw of c.messages) {
      const m = FilterMessageType.toObject(FilterMessageType.decode(raw), { longs: Number }) as Record<string, any>;
      if (m.half) out.push({ pairId: m.half.requestId, seq: m.seq, batched: false });
      for (const b of m.batch?.messages ?? []) out.push({ pairId: b.half.requestId, seq: b.seq, batched: true });
    }
  }
  return out;
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const received = (h: Harness) => h.halves.map((x) => x.half.requestId);
const count = (list: string[], id: string) => list.filter((x) => x === id).length;

describe('at-least-once halves', () => {
  it('a stream cut after the halves were sent but before they arrived loses none: they are resent', async () => {
    const { h, relay, plugin } = await setup();
    relay.blackhole('toServer'); // what the filter sends now never reaches the control plane
    const lost = ids('lost', 40);
    for (const id of lost) sampled(plugin, id);
    await plugin.waitFor(() => lost.every((id) => sent(plugin).some((s) => s.pairId === id)), 3000);
    expect(received(h).filter((id) => id.startsWith('lost'))).toEqual([]);
    relay.cut();
    await waitFor(() => lost.every((id) => received(h).includes(id)), 5000, 'resent halves');
    const all = received(h);
    for (const id of ['warm', ...lost]) expect(count(all, id)).toBe(1);
    await plugin.waitFor(() => plugin.metric('shadowguard_reports_acknowledged') === 41, 3000);
    expect(plugin.metric('shadowguard_reports_resent')).toBe(40);
    expect(plugin.metric('shadowguard_halves_dropped')).toBe(0);
    expect(h.server.deliveryStats()).toMatchObject({ accepted: 41, duplicates: 0 });
  });

  it('halves that arrived but whose acknowledgement was lost are resent and dropped as duplicates, counted', async () => {
    const { h, relay, plugin } = await setup();
    relay.blackhole('toFilter'); // the control plane gets everything, the filter hears no Delivered
    const unacked = ids('u', 30);
    for (const id of unacked) sampled(plugin, id);
    await waitFor(() => unacked.every((id) => received(h).includes(id)), 3000, 'halves at the control plane');
    relay.cut();
    await plugin.waitFor(() => plugin.metric('shadowguard_reports_acknowledged') === 31, 5000);
    const all = received(h);
    for (const id of ['warm', ...unacked]) expect(count(all, id)).toBe(1);
    // What the reconnect's first Delivered covered is not resent at all; anything sent before it is a copy.
    // The filter counts a resend when it sends it, the control plane a duplicate when it arrives: wait for
    // the copies in flight (0 of them when the reconnect's Delivered arrived before the flush).
    const resent = plugin.metric('shadowguard_reports_resent');
    await waitFor(
      () => h.server.deliveryStats().duplicates === resent,
      3000,
      `${resent} resent copies counted as duplicates`,
    );
    const dups = h.server.deliveryStats().duplicates;
    expect(dups).toBe(resent);
    const node = h.registry.list().find((n) => n.connected)!;
    expect(node.duplicates).toBe(dups);
  });

  it('a control plane that goes away and comes back gets every unacknowledged half again, no acknowledged one', async () => {
    const { h, relay, plugin } = await setup();
    const acked = ids('a', 20);
    for (const id of acked) sampled(plugin, id);
    await plugin.waitFor(() => plugin.metric('shadowguard_reports_acknowledged') === 21, 3000);
    relay.blackhole('toFilter');
    const unacked = ids('n', 15);
    for (const id of unacked) sampled(plugin, id);
    await waitFor(
      () => unacked.every((id) => received(h).includes(id)),
      3000,
      'unacknowledged halves at the first control plane',
    );
    // The first control plane dies with its dedup state; a fresh one takes the port's place.
    await h.server.close(0);
    const h2 = await startServer({ policies: POLICIES });
    cleanup.push(() => h2.close());
    relay.retarget(h2.port);
    relay.cut();
    await waitFor(() => unacked.every((id) => received(h2).includes(id)), 5000, 'resent halves at the second');
    await plugin.waitFor(() => plugin.metric('shadowguard_reports_acknowledged') === 36, 3000);
    for (const id of [...acked, ...unacked]) expect(count(received(h), id)).toBe(1);
    for (const id of unacked) expect(count(received(h2), id)).toBe(1);
    for (const id of ['warm', ...acked]) expect(count(received(h2), id)).toBe(0);
  });

  it('a backlog goes out in Batch messages, numbered in order', async () => {
    const { h, relay, plugin } = await setup();
    relay.blackhole('toServer');
    const backlog = ids('b', 100);
    for (const id of backlog) sampled(plugin, id);
    await plugin.waitFor(() => backlog.every((id) => sent(plugin).some((s) => s.pairId === id)), 3000);
    relay.cut();
    await waitFor(() => backlog.every((id) => received(h).includes(id)), 5000, 'backlog');
    const resent = sent(plugin).filter((s) => s.pairId.startsWith('b') && s.batched);
    expect(resent.length).toBeGreaterThanOrEqual(100);
    expect(received(h).filter((id) => id.startsWith('b'))).toEqual(backlog);
    const seqs = sent(plugin)
      .filter((s) => s.pairId.startsWith('b'))
      .map((s) => s.seq);
    expect(new Set(seqs).size).toBe(100); // a resend carries the number it had
  });

  it('the full queue still drops the oldest unacknowledged halves, counted on both sides', async () => {
    const { h, relay, plugin } = await setup(5);
    relay.blackhole('toServer');
    const burst = ids('q', 8);
    for (const id of burst) sampled(plugin, id);
    expect(plugin.metric('shadowguard_halves_dropped')).toBe(3);
    relay.cut();
    await waitFor(() => ['q3', 'q4', 'q5', 'q6', 'q7'].every((id) => received(h).includes(id)), 5000, 'newest five');
    expect(received(h).filter((id) => id.startsWith('q'))).toEqual(['q3', 'q4', 'q5', 'q6', 'q7']);
    // Stats go first on the new stream when something was dropped: the control plane sees the 3.
    await waitFor(() => h.registry.list().some((n) => n.connected && n.dropsReported === 3), 3000, 'Stats');
  });
});

describe('a control plane SIGKILLed mid-traffic', () => {
  it('the halves it acknowledged arrived exactly once; the unacknowledged ones reach its replacement', async () => {
    const first = await ChildControlPlane.start();
    cleanup.push(() => first.kill());
    const relay = await TcpCut.start(first.port);
    cleanup.push(() => relay.close());
    const host = hostWith(relay.port);
    cleanup.push(() => host.close());
    const plugin = await load(host, edgeConfig(cp(relay.port, { reconnectMaxMs: 100 })), {
      properties: { 'xds.node': { id: 'router~10.0.0.9~edge.shop', cluster: 'edge' } },
    });
    const acked = ids('k', 20);
    for (const id of acked) sampled(plugin, id);
    await plugin.waitFor(() => plugin.metric('shadowguard_reports_acknowledged') === 20, 5000);
    relay.blackhole('toFilter');
    const unacked = ids('x', 15);
    for (const id of unacked) sampled(plugin, id);
    await waitFor(() => unacked.every((id) => first.pairIds.includes(id)), 5000, 'halves at the first');
    first.kill();
    await first.exited;
    const second = await ChildControlPlane.start();
    cleanup.push(() => second.kill());
    relay.retarget(second.port);
    relay.cut();
    await waitFor(() => unacked.every((id) => second.pairIds.includes(id)), 8000, 'resent halves at the second');
    await plugin.waitFor(() => plugin.metric('shadowguard_reports_acknowledged') === 35, 3000);
    for (const id of [...acked, ...unacked]) expect(count(first.pairIds, id)).toBe(1);
    for (const id of unacked) expect(count(second.pairIds, id)).toBe(1);
    for (const id of acked) expect(count(second.pairIds, id)).toBe(0);
    expect(plugin.metric('shadowguard_halves_dropped')).toBe(0);
  });
});

/** test/control-plane/stream/cp-child.ts in its own process; SIGKILL is kill(). */
class ChildControlPlane {
  readonly pairIds: string[] = [];
  readonly exited: Promise<void>;
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    let buf = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      const lines = buf.split('\n');
      buf = lines.pop()!;
      this.pairIds.push(...lines);
    });
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
  }

  static async start(): Promise<ChildControlPlane> {
    const child = fork(CP_CHILD, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m: { port: number }) => resolve(m.port));
      child.once('exit', (code) => reject(new Error(`control-plane child exited with ${code}`)));
    });
    return new ChildControlPlane(child, port);
  }

  kill(): Promise<void> {
    this.child.kill('SIGKILL');
    return this.exited;
  }
}
