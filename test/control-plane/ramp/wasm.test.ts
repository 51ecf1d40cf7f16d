// The mirror ramp through the real filter: build/shadowguard.wasm in the sandbox host,
// connected to the real control plane's gRPC port. The sampling the .wasm applies (x-shadow-pair on a
// deterministic share of request ids) follows the ramp's stages, the version it acks is exactly the
// capped document, and candidate 5xx answers on the pairs it sampled revert it to 0 %.
import fs from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PolicySpec } from '../../../control-plane/src/domain/types.js';
import { buildSnapshot } from '../../../control-plane/src/snapshot/build.js';
import { AckingFilter, boot, Clock, fourStageRamp, halfMessage, STREAM, tempDir, type Booted } from './fixtures.js';

const WASM = 'build/shadowguard.wasm';
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const spec: PolicySpec = {
  services: ['shop'],
  sampling: { defaultPercent: 100 },
  ramp: fourStageRamp({ shadowErrorRate: 5, minPairs: 5 }),
};
const cappedVersion = (cap: number) =>
  buildSnapshot(spec, { role: 'edge', service: 'shop' }, 'shop', { samplingCap: cap }).version;

async function ackedVersion(cp: Booted, version: string): Promise<void> {
  const until = Date.now() + 5000;
  for (;;) {
    const { body } = await cp.json<{ nodes: Array<{ key: string; config: { acked?: string } }> }>('/api/v1/nodes');
    if (body.nodes.some((n) => n.key === 'edge-1/shadowguard#0' && n.config.acked === version)) return;
    if (Date.now() > until)
      throw new Error(`the .wasm did not ack ${version}: ${JSON.stringify(body.nodes.map((n) => n.config))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a mirror ramp driving the real .wasm edge filter', () => {
  // npm test builds the module first; a missing module is a broken build, never a reason to skip.
  beforeAll(() => {
    if (!fs.existsSync(WASM)) throw new Error(`${WASM} is missing: run npm run build:wasm`);
  });

  it('samples 0 → 1 → 5 → 10 % of requests as stages advance, and 0 % again once the candidate answers 5xx', async () => {
    const { Host } = await import('../../../sandbox/host/index.js');
    const clock = new Clock();
    const cp = await boot(tempDir(cleanups), clock, cleanups);
    expect((await cp.api('/api/v1/policies/shop', { method: 'PUT', body: JSON.stringify(spec) })).status).toBe(201);
    const host = new Host({
      clusters: { shadowguard_control_plane: { host: '127.0.0.1', port: cp.grpcPort, http2: true } },
    });
    cleanups.push(() => host.close());
    const plugin = await host.loadPlugin({
      wasm: WASM,
      configuration: {
        role: 'edge',
        service: 'shop',
        sampling: { defaultPercent: 100 },
        controlPlane: { cluster: 'shadowguard_control_plane', token: STREAM },
      },
      properties: { 'xds.node': { id: 'edge-1', cluster: 'shop', metadata: {} } },
    });

    let round = 0;
    /** Sends n requests through the filter; returns the pair ids of those it sampled (each answered 200). */
    const traffic = (n: number): string[] => {
      const sampled: string[] = [];
      round++;
      for (let i = 0; i < n; i++) {
        const id = `r${round}-${i}`;
        const s = plugin.newStream();
        s.sendRequestHeaders([
          [':method', 'GET'],
          [':path', '/p'],
          [':authority', 'shop.example'],
          [':scheme', 'http'],
          ['x-request-id', id],
        ]);
        const pair = s.requestHeaders.find(([k]) => k === 'x-shadow-pair')?.[1];
        if (pair !== undefined) sampled.push(pair);
        s.sendResponseHeaders([
          [':status', '200'],
          ['content-type', 'application/json'],
        ]);
        s.sendResponseBody('{"ok":true}', true);
      }
      return sampled;
    };

    await ackedVersion(cp, cappedVersion(0)); // declared, not started: the static 100 % is overridden
    expect(traffic(1000)).toEqual([]);

    // The candidate's sidecar: it answers the pairs the .wasm sampled (it reported their LIVE halves).
    const shadow = await AckingFilter.connect(
      cp.grpcPort,
      { nodeId: 'shadow-1', service: 'shop', role: 'shadow', variant: 'candidate', workload: 'shop-v2' },
      cleanups,
    );
    let compared = 0;
    /** The candidate answers these sampled requests; waits until the report counts them. */
    const answer = async (ids: string[], body: unknown, status = 200) => {
      for (const id of ids) {
        const m = halfMessage(id, 'CANDIDATE', 'GET', '/p', body, status);
        await shadow.send({ half: { ...m.half, service: 'shop' } });
      }
      compared += ids.length;
      const until = Date.now() + 5000;
      while (
        ((await cp.json<{ endpoints: Array<{ pairs: number }> }>('/api/v1/reports/shop')).body.endpoints[0]?.pairs ??
          0) < compared
      ) {
        if (Date.now() > until) throw new Error('pairs were not compared');
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    await cp.api('/api/v1/policies/shop/ramp/start', { method: 'POST' });
    await ackedVersion(cp, cappedVersion(1));
    const sampled1 = traffic(2000);
    await answer(sampled1, { ok: true }); // each stage advances only on evidence: clean pairs
    clock.advance(60);
    await cp.ramp.tick();
    await ackedVersion(cp, cappedVersion(5));
    const sampled5 = traffic(2000);
    await answer(sampled5, { ok: true });
    clock.advance(60);
    await cp.ramp.tick();
    await ackedVersion(cp, cappedVersion(10));
    const sampled10 = traffic(2000);
    const at1 = sampled1.length;
    const at5 = sampled5.length;
    expect(at1).toBeGreaterThan(5);
    expect(at1).toBeLessThan(45);
    expect(at5).toBeGreaterThan(70);
    expect(at5).toBeLessThan(130);
    expect(sampled10.length).toBeGreaterThan(160);
    expect(sampled10.length).toBeLessThan(240);

    // The shadow answers 503 to ten of the pairs sampled at 10 %.
    await answer(sampled10.slice(0, 10), { error: 'boom' }, 503);
    clock.advance(10);
    await cp.ramp.tick();
    await ackedVersion(cp, cappedVersion(0));
    expect(traffic(2000)).toEqual([]);
    const { body } = await cp.json('/api/v1/policies/shop/ramp');
    expect(body).toMatchObject({ status: 'reverted', percent: 0 });
    expect(body.transitions[0].reason).toBe('guard shadowErrorRate: 100% of 10 pairs answered 5xx > 5%');
    expect((await cp.json('/api/v1/alerts?policy=shop')).body.alerts[0].message).toContain('ramp reverted to 0%');
    await plugin.close();
  });
});
