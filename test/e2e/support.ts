// Shared steps of the end-to-end stories: request builders for the shop's endpoints, a bounded
// concurrent sender through the edge, and readers of the control plane's reports.
import fs from 'node:fs';
import http from 'node:http';
import YAML from 'yaml';
import { waitFor, type EndpointSummary } from '../../sandbox/demo/api-client.js';
import type { Demo } from '../../sandbox/demo/index.js';
import { sendPlanned, type PlannedRequest, type TrafficResult } from '../../sandbox/demo/traffic.js';

export { waitFor };

export const req = {
  product: (id: number): PlannedRequest => ({ endpoint: 'GET /products/{id}', method: 'GET', path: `/products/${id}` }),
  user: (id: number): PlannedRequest => ({ endpoint: 'GET /users/{id}', method: 'GET', path: `/users/${id}` }),
  order: (userId: number, productId: number, quantity = 1): PlannedRequest => ({
    endpoint: 'POST /orders',
    method: 'POST',
    path: '/orders',
    body: JSON.stringify({ userId, productId, quantity }),
  }),
  refund: (orderId: number, amount: number): PlannedRequest => ({
    endpoint: 'POST /refunds/{id}',
    method: 'POST',
    path: `/refunds/${orderId}`,
    body: JSON.stringify({ amount }),
  }),
};

/** Sends `plan` through the demo's edge with `concurrency` workers; results in plan order. */
export async function sendAll(
  demo: Demo,
  plan: PlannedRequest[],
  opts: { concurrency?: number; headers?: Record<string, string> } = {},
): Promise<TrafficResult[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency ?? 8 });
  const out: TrafficResult[] = new Array(plan.length);
  let next = 0;
  const worker = async () => {
    while (next < plan.length) {
      const i = next++;
      out[i] = await sendPlanned(plan[i], { target: demo.urls.edge, headers: opts.headers }, agent);
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, worker));
  } finally {
    agent.destroy();
  }
  return out;
}

export async function totalPairs(demo: Demo, policy = 'shop'): Promise<number> {
  return (await demo.client.reports(policy)).reduce((n, r) => n + r.pairs, 0);
}

/** Waits until the policy's reports hold at least `n` pairs; returns the reports by endpoint. */
export async function reportsWithPairs(
  demo: Demo,
  n: number,
  timeoutMs = 10_000,
  policy = 'shop',
): Promise<Record<string, EndpointSummary>> {
  return waitFor(
    async () => {
      const reports = await demo.client.reports(policy);
      if (reports.reduce((s, r) => s + r.pairs, 0) < n) return undefined;
      return Object.fromEntries(reports.map((r) => [r.endpoint, r]));
    },
    timeoutMs,
    `${n} pairs in the reports of ${policy}`,
  );
}

export const metric = (demo: Demo, name: string): number => demo.mesh.host.stats.value(name) ?? 0;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
/** A test-local variant of envoy/envoy.yaml: parsed, changed by `mutate`, serialized again. */
export function envoyVariant(mutate: (bootstrap: Json) => void): string {
  const doc = YAML.parse(fs.readFileSync('envoy/envoy.yaml', 'utf8')) as Json;
  mutate(doc);
  return YAML.stringify(doc);
}

export const listener = (b: Json, name: string): Json => {
  const l = b.static_resources.listeners.find((x: Json) => x.name === name);
  if (!l) throw new Error(`envoy.yaml has no listener ${name}`);
  return l;
};
/** The HttpConnectionManager config of a listener (first filter of its only chain). */
export const hcmOf = (b: Json, name: string): Json => listener(b, name).filter_chains[0].filters[0].typed_config;
