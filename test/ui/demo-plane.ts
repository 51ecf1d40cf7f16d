// The real demo behind the dashboard: sandbox/demo's startDemo (control plane, the sandbox mesh running
// envoy/envoy.yaml with the real filter, shop v1 / v2 / secondary, the counting fake providers) on a
// temp data dir and ephemeral ports, with the harness's viewer 'vera' and editor 'eddie' as API tokens
// (the dashboard's roles and the audit's names need them; the demo seeds its policy as eddie), plus a
// bounded, seeded burst of its own traffic.

import { waitFor } from '../../sandbox/demo/api-client.js';
import { startDemo, streamingFilters, type Demo } from '../../sandbox/demo/index.js';
import { runTraffic, type TrafficSummary } from '../../sandbox/demo/traffic.js';
import { apiClient, EDITOR, VIEWER } from './harness.js';

export interface DemoPlane {
  demo: Demo;
  url: string;
  api: ReturnType<typeof apiClient>;
  /** names of the wasm filters streaming to the control plane (envoy/envoy.yaml) */
  filters: string[];
  /** sends `requests` demo requests through the edge and waits until every one is a compared pair */
  traffic(requests: number, seed?: number): Promise<TrafficSummary>;
  close(): Promise<void>;
}

export async function startDemoPlane(): Promise<DemoPlane> {
  // startDemo resolves once every streaming filter applied the control plane's config.
  const demo = await startDemo({
    logLevel: 'silent',
    tokens: { viewer: [{ name: 'vera', token: VIEWER }], editor: [{ name: 'eddie', token: EDITOR }] },
  });
  const url = demo.controlPlane.httpUrl;
  const api = apiClient(url);
  return {
    demo,
    url,
    api,
    filters: streamingFilters(demo.mesh),
    close: () => demo.close(),
    async traffic(requests, seed = 7) {
      const before = await pairs(api);
      // 60/s: three times the demo's pace, under the shadows' inbound (200/s) and catalog (50/s) limits,
      // so every request is mirrored and every shadow call answered: the pair count is exact.
      const summary = await runTraffic({ target: demo.urls.edge, requests, ratePerSecond: 60, concurrency: 6, seed });
      await waitFor(
        async () => ((await pairs(api)) >= before + requests ? true : undefined),
        10_000,
        `${requests} more compared pairs`,
        50,
      );
      return summary;
    },
  };
}

async function pairs(api: ReturnType<typeof apiClient>): Promise<number> {
  const r = (await (await api('/api/v1/reports/shop')).json()) as { endpoints: Array<{ pairs: number }> };
  return r.endpoints.reduce((n, e) => n + e.pairs, 0);
}
