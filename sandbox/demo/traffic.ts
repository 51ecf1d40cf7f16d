// The demo's traffic generator: a bounded, seeded, realistic mix of shop requests sent to the edge
// (GET /products/{id}, GET /users/{id}, POST /orders, POST /refunds/{id}), with a fixed concurrency and
// an optional request rate. It behaves like an outside client: it sends no shadow markers unless asked
// to forge them, and no x-request-id (the edge proxy assigns one). Returns per-endpoint status counts.

import http from 'node:http';
import { jsonOf, send, type SimpleResponse } from './http.js';

export type Endpoint = 'GET /products/{id}' | 'GET /users/{id}' | 'POST /orders' | 'POST /refunds/{id}';
export const ENDPOINTS: Endpoint[] = ['GET /products/{id}', 'GET /users/{id}', 'POST /orders', 'POST /refunds/{id}'];

/** Default mix in percent: reads dominate, writes are what shadows must not repeat. */
export const DEFAULT_MIX: Record<Endpoint, number> = {
  'GET /products/{id}': 40,
  'GET /users/{id}': 30,
  'POST /orders': 20,
  'POST /refunds/{id}': 10,
};

export interface TrafficOptions {
  /** base URL of the edge listener, e.g. http://127.0.0.1:10000 */
  target: string;
  /** Host header (the edge routes on it); default "shop" */
  host?: string;
  /** how many requests in total (the generator is always bounded) */
  requests: number;
  concurrency?: number;
  /** cap on requests per second across all workers; absent = as fast as responses come */
  ratePerSecond?: number;
  seed?: number;
  mix?: Partial<Record<Endpoint, number>>;
  /** extra headers on every request (e.g. forged x-shadow-pair in tests) */
  headers?: Record<string, string>;
  signal?: AbortSignal;
  onResponse?(r: TrafficResult): void;
}

export interface TrafficResult {
  endpoint: Endpoint;
  method: string;
  path: string;
  status: number;
  /** parsed JSON body, or undefined */
  body: unknown;
  headers: http.IncomingHttpHeaders;
  error?: string;
}

export interface TrafficSummary {
  sent: number;
  ok: number;
  failed: number;
  byEndpoint: Record<string, Record<number, number>>;
  durationMs: number;
}

/** Mulberry32: a tiny seeded PRNG so a run is reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0 || 1;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PlannedRequest {
  endpoint: Endpoint;
  method: string;
  path: string;
  body?: string;
}

/** The request plan: which endpoint and which ids, drawn from the mix with a seeded PRNG. */
export function plan(count: number, seed = 1, mix: Partial<Record<Endpoint, number>> = DEFAULT_MIX): PlannedRequest[] {
  const r = prng(seed);
  const weights = ENDPOINTS.map((e) => Math.max(0, mix[e] ?? 0));
  const sum = weights.reduce((a, b) => a + b, 0);
  if (!(sum > 0)) throw new Error('traffic mix must give at least one endpoint a positive weight');
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const out: PlannedRequest[] = [];
  for (let i = 0; i < count; i++) {
    let x = r() * sum;
    let k = 0;
    while (k < weights.length - 1 && x >= weights[k]) x -= weights[k++];
    const endpoint = ENDPOINTS[k];
    switch (endpoint) {
      case 'GET /products/{id}':
        out.push({ endpoint, method: 'GET', path: `/products/${int(1, 200)}` });
        break;
      case 'GET /users/{id}':
        out.push({ endpoint, method: 'GET', path: `/users/${int(1, 100)}` });
        break;
      case 'POST /orders':
        out.push({
          endpoint,
          method: 'POST',
          path: '/orders',
          body: JSON.stringify({ userId: int(1, 100), productId: int(1, 200), quantity: int(1, 3) }),
        });
        break;
      case 'POST /refunds/{id}':
        out.push({
          endpoint,
          method: 'POST',
          path: `/refunds/${int(1000, 9999)}`,
          body: JSON.stringify({ amount: int(500, 20000) / 100 }),
        });
        break;
    }
  }
  return out;
}

/** Sends one planned request through `target` and reports what came back (never throws). */
export async function sendPlanned(
  p: PlannedRequest,
  opts: Pick<TrafficOptions, 'target' | 'host' | 'headers'>,
  agent?: http.Agent,
): Promise<TrafficResult> {
  const headers: Record<string, string> = { host: opts.host ?? 'shop', accept: 'application/json', ...opts.headers };
  if (p.body !== undefined) headers['content-type'] = 'application/json';
  let r: SimpleResponse;
  try {
    r = await send(`${opts.target}${p.path}`, { method: p.method, headers, body: p.body, agent });
  } catch (err) {
    return {
      endpoint: p.endpoint,
      method: p.method,
      path: p.path,
      status: 0,
      body: undefined,
      headers: {},
      error: (err as Error).message,
    };
  }
  return {
    endpoint: p.endpoint,
    method: p.method,
    path: p.path,
    status: r.status,
    body: jsonOf(r),
    headers: r.headers,
  };
}

export async function runTraffic(opts: TrafficOptions): Promise<TrafficSummary> {
  const requests = plan(opts.requests, opts.seed ?? 1, opts.mix ?? DEFAULT_MIX);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency ?? 4 });
  const summary: TrafficSummary = { sent: 0, ok: 0, failed: 0, byEndpoint: {}, durationMs: 0 };
  const started = Date.now();
  const interval = opts.ratePerSecond ? 1000 / opts.ratePerSecond : 0;
  let next = 0;
  const worker = async () => {
    while (next < requests.length && !opts.signal?.aborted) {
      const i = next++;
      if (interval > 0) {
        const due = started + i * interval;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (opts.signal?.aborted) return;
      }
      const res = await sendPlanned(requests[i], opts, agent);
      summary.sent++;
      if (res.status >= 200 && res.status < 300) summary.ok++;
      else summary.failed++;
      const by = (summary.byEndpoint[res.endpoint] ??= {});
      by[res.status] = (by[res.status] ?? 0) + 1;
      opts.onResponse?.(res);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
  } finally {
    agent.destroy();
  }
  summary.durationMs = Date.now() - started;
  return summary;
}
