// The real demo behind the dashboard: sandbox/demo's startDemo (control plane, the sandbox mesh running
// envoy/envoy.yaml with the real filter, shop v1 / v2 / secondary, the counting fake providers) on a
// temp data dir and ephemeral ports, plus a bounded, seeded burst of its own traffic. The demo's
// control plane runs without API tokens (a loopback dev setup), but the dashboard's roles and the
// audit's names need them: so before any traffic the demo's control plane is replaced by one on the
// same ports, SQLite file and pairing window with the harness's viewer and editor tokens. The filters
// reconnect to it as they would after a deploy (test/e2e/restart.test.ts covers that path).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { start, type RunningControlPlane } from '../../control-plane/src/main.js';
import { waitFor } from '../../sandbox/demo/api-client.js';
import { startDemo, streamingFilters, type Demo } from '../../sandbox/demo/index.js';
import { runTraffic, type TrafficSummary } from '../../sandbox/demo/traffic.js';
import { apiClient, uiConfig } from './harness.js';

const PAIRING_WINDOW_MS = 5000; // the demo's own default

export interface DemoPlane {
  demo: Demo;
  /** the token-protected control plane that replaced the demo's */
  cp: RunningControlPlane;
  url: string;
  api: ReturnType<typeof apiClient>;
  /** names of the wasm filters streaming to the control plane (envoy/envoy.yaml) */
  filters: string[];
  /** sends `requests` demo requests through the edge and waits until every one is a compared pair */
  traffic(requests: number, seed?: number): Promise<TrafficSummary>;
  close(): Promise<void>;
}

interface NodeRow { plugin?: string; connected: boolean; config: { acked?: string; sent?: string } }

export async function startDemoPlane(): Promise<DemoPlane> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-ui-demo-'));
  let demo: Demo | undefined;
  let cp: RunningControlPlane | undefined;
  const close = async () => {
    await demo?.close();
    await cp?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    demo = await startDemo({ dataDir, logLevel: 'silent', pairingWindowMs: PAIRING_WINDOW_MS });
    const { httpPort, grpcPort } = demo.controlPlane;
    await demo.stopControlPlane();
    cp = await start(uiConfig(dataDir, { httpPort, grpcPort, pairing: { windowMs: PAIRING_WINDOW_MS, maxPending: 100_000 } }),
      { logger: pino({ level: 'silent' }) });
    const api = apiClient(cp.httpUrl);
    const filters = streamingFilters(demo.mesh);
    // Ready when every streaming filter is back and runs the current config. One that reconnects
    // already holding it is sent nothing (snapshot/cache.ts): its acked version is enough.
    let nodes: NodeRow[] = [];
    await waitFor(async () => {
      ({ nodes } = await (await api('/api/v1/nodes')).json() as { nodes: NodeRow[] });
      const synced = nodes.filter((n) => n.connected && n.config.acked !== undefined && (n.config.sent ?? n.config.acked) === n.config.acked);
      return synced.length >= filters.length ? true : undefined;
    }, 10_000, `the filters ${filters.join(', ')} to reconnect in sync`, 25).catch((err: Error) => {
      throw new Error(`${err.message}; nodes: ${JSON.stringify(nodes.map((n) => ({ plugin: n.plugin, connected: n.connected, config: n.config })))}`);
    });
    const d = demo;
    return {
      demo: d, cp, url: cp.httpUrl, api, filters, close,
      async traffic(requests, seed = 7) {
        const before = await pairs(api);
        // 60/s: three times the demo's pace, under the shadows' inbound (200/s) and catalog (50/s) limits,
        // so every request is mirrored and every shadow call answered: the pair count is exact.
        const summary = await runTraffic({ target: d.urls.edge, requests, ratePerSecond: 60, concurrency: 6, seed });
        await waitFor(async () => ((await pairs(api)) >= before + requests ? true : undefined), 10_000, `${requests} more compared pairs`, 50);
        return summary;
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}

async function pairs(api: ReturnType<typeof apiClient>): Promise<number> {
  const r = await (await api('/api/v1/reports/shop')).json() as { endpoints: Array<{ pairs: number }> };
  return r.endpoints.reduce((n, e) => n + e.pairs, 0);
}
