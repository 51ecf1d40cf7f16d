// Harness of the dashboard's browser tests: builds the UI when build/ui is missing, starts a real
// control plane (HTTP + gRPC, temp SQLite dir, viewer and editor tokens), seeds the demo-like policy
// "shop", and plays three fake filters over the real gRPC stream (edge = live, shadow candidate,
// shadow secondary) sending halves and egress events: a mini shop where POST /refunds/{id} regressed
// (90 % refunds, status pending), every response carries noisy request_id / timestamp values that
// the secondary cancels, GET /orders/{id} reports which version served it (served_by, a regression
// an operator will call noise), secrets are redacted, and the candidate's calls to payments/email are
// mocked, to the ledger denied, and to the catalog allowed past its declared capacity.

import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { ControlPlaneConfig } from '../../control-plane/src/config.js';
import { loopbackConfig } from '../fixtures/control-plane-config.js';
import type { EgressEvent, Half, PolicySpec, Side } from '../../control-plane/src/domain/types.js';
import { start, type RunningControlPlane } from '../../control-plane/src/main.js';
import { nodeHello, TestFilter } from '../control-plane/api/grpc-client.js';

export const VIEWER = 'ui-viewer-token-0123456789';
export const EDITOR = 'ui-editor-token-0123456789';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const UI_DIR = path.join(ROOT, 'build/ui');

/** vite build into build/ui unless it is there already (npm run build:ui does the same). */
export function ensureUiBuilt(): void {
  if (fs.existsSync(path.join(UI_DIR, 'index.html'))) return;
  execFileSync(
    path.join(ROOT, 'node_modules/.bin/vite'),
    ['build', '--config', 'control-plane/src/ui/vite.config.ts'],
    { cwd: ROOT, stdio: 'pipe' },
  );
}

export const shopPolicy: PolicySpec = {
  description: 'shop v2 mirrored beside v1, with a v1 secondary',
  services: ['shop'],
  secondary: true,
  sampling: { defaultPercent: 25, rules: [{ methods: ['POST'], percent: 100 }] },
  endpoints: ['POST /refunds/{id}', 'GET /orders/{id}', 'GET /users/{id}', 'GET /catalog/items', 'DELETE /carts/{id}'],
  egress: {
    defaultAction: 'deny',
    rules: [
      { name: 'catalog-read', host: 'catalog', methods: ['GET'], action: 'allow' },
      { name: 'payments-mock', host: 'payments', action: 'mock', mock: { status: 201, body: '{"id":"ch_shadow"}' } },
      { name: 'email-mock', host: 'email', action: 'mock', mock: { status: 202 } },
    ],
  },
  normalize: { redactPaths: ['customer.card_number'], ignorePaths: ['debug'] },
  alerts: { mismatchRate: 10, minPairs: 5 },
  capacity: [
    { host: 'catalog', requestsPerSecond: 0.5 },
    { host: 'payments', requestsPerSecond: 5 },
  ],
};

export interface Plane {
  cp: RunningControlPlane;
  url: string;
  api(p: string, init?: RequestInit & { token?: string }): Promise<Response>;
  filters: { edge: TestFilter; candidate: TestFilter; secondary: TestFilter };
  /** one mirrored request: live + candidate + secondary halves */
  pair(
    method: string,
    urlPath: string,
    bodies: { live: unknown; candidate: unknown; secondary?: unknown },
    over?: Partial<Half>,
  ): void;
  egress(destination: string, method: string, p: string, decision: EgressEvent['decision'], n?: number): void;
  close(): Promise<void>;
}

let seq = 0;
function half(pairId: string, side: Side, method: string, urlPath: string, body: unknown, over: Partial<Half>): Half {
  const text = JSON.stringify(body);
  return {
    pairId,
    side,
    service: 'shop',
    method,
    host: 'shop.local',
    path: urlPath,
    query: '',
    status: 200,
    headers: [
      ['content-type', 'application/json'],
      ['set-cookie', `sid=${crypto.randomBytes(6).toString('hex')}`],
      ['cache-control', 'no-store'],
    ],
    body: Buffer.from(text),
    truncated: false,
    bodySize: text.length,
    startUnixMs: Date.now(),
    latencyUs: side === 'candidate' ? 4200 + (seq % 7) * 300 : 2100 + (seq % 5) * 200,
    requestId: `req-${pairId}`,
    nodeId: side === 'live' ? 'edge-1' : `shop-${side}`,
    ...over,
  };
}

/** A silent loopback control plane with the viewer 'vera' and the editor 'eddie' (ports 0 = ephemeral). */
export function uiConfig(dataDir: string, over: Partial<ControlPlaneConfig> = {}): ControlPlaneConfig {
  return loopbackConfig(dataDir, {
    tokens: [
      { name: 'vera', token: VIEWER, role: 'viewer' },
      { name: 'eddie', token: EDITOR, role: 'editor' },
    ],
    ...over,
  });
}

/** fetch against the REST API, as the editor unless `token` says otherwise. */
export const apiClient =
  (base: string) =>
  (p: string, init: RequestInit & { token?: string } = {}) =>
    fetch(`${base}${p}`, {
      ...init,
      headers: { authorization: `Bearer ${init.token ?? EDITOR}`, 'content-type': 'application/json', ...init.headers },
    });

export async function startPlane(): Promise<Plane> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-ui-'));
  const cp = await start(uiConfig(dataDir), { logger: pino({ level: 'silent' }) });
  const api = apiClient(cp.httpUrl);
  const put = await api('/api/v1/policies/shop', { method: 'PUT', body: JSON.stringify(shopPolicy) });
  if (put.status !== 201) throw new Error(`seeding the policy failed: ${put.status} ${await put.text()}`);
  const filters = {
    edge: new TestFilter(
      cp.grpcPort,
      nodeHello({ nodeId: 'edge-1', workload: 'shop-v1', service: 'shop', role: 'edge' }),
    ),
    candidate: new TestFilter(
      cp.grpcPort,
      nodeHello({
        nodeId: 'shop-candidate',
        workload: 'shop-v2',
        service: 'shop',
        role: 'shadow',
        variant: 'candidate',
      }),
    ),
    secondary: new TestFilter(
      cp.grpcPort,
      nodeHello({
        nodeId: 'shop-secondary',
        workload: 'shop-v1-copy',
        service: 'shop',
        role: 'shadow',
        variant: 'secondary',
      }),
    ),
  };
  return {
    cp,
    url: cp.httpUrl,
    api,
    filters,
    pair(method, urlPath, bodies, over = {}) {
      const id = `p${++seq}-${crypto.randomBytes(3).toString('hex')}`;
      filters.edge.send({ kind: 'half', half: half(id, 'live', method, urlPath, bodies.live, over) });
      filters.candidate.send({ kind: 'half', half: half(id, 'candidate', method, urlPath, bodies.candidate, over) });
      filters.secondary.send({
        kind: 'half',
        half: half(id, 'secondary', method, urlPath, bodies.secondary ?? bodies.live, over),
      });
    },
    egress(destination, method, p, decision, n = 1) {
      for (let i = 0; i < n; i++) {
        filters.candidate.send({
          kind: 'egress',
          event: {
            pairId: `e${i}`,
            service: 'shop',
            variant: 'candidate',
            destination,
            method,
            path: p,
            decision,
            rule: decision === 'denied' ? 'default' : destination,
            unixMs: Date.now(),
            nodeId: 'shop-candidate',
          },
        });
      }
    },
    async close() {
      for (const f of Object.values(filters)) f.close();
      await cp.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const noisy = () => ({
  request_id: crypto.randomUUID(),
  timestamp: new Date(Date.now() - Math.floor(Math.random() * 1e6)).toISOString(),
});

/** Waits until the shop's reports count `pairs` compared pairs (the stream is asynchronous). */
export async function untilCompared(plane: Plane, pairs: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = (await (await plane.api('/api/v1/reports/shop')).json()) as { endpoints: Array<{ pairs: number }> };
    if (r.endpoints.reduce((n, e) => n + e.pairs, 0) >= pairs) break;
    await new Promise((res) => setTimeout(res, 25));
  }
}

/** The state the dashboard tests start from: the shop's traffic played and 48 of its pairs compared. */
export async function playedShop(plane: Plane): Promise<void> {
  playShop(plane);
  await untilCompared(plane, 48);
}

/** The mini demo's traffic: ~60 pairs over four endpoints and the candidate's egress. */
export function playShop(plane: Plane, rounds = 12): void {
  for (let i = 1; i <= rounds; i++) {
    const order = {
      id: 1000 + i,
      items: [{ sku: `SKU-${i}`, qty: 1 + (i % 3), price: 9.5 }],
      total: 9.5 * (1 + (i % 3)),
      state: 'shipped',
    };
    plane.pair('GET', `/orders/${1000 + i}`, {
      live: { ...noisy(), order, served_by: 'shop-v1' },
      candidate: { ...noisy(), order, served_by: 'shop-v2' },
      secondary: { ...noisy(), order, served_by: 'shop-v1' },
    });
    const user = { id: i, name: `User ${i}`, plan: i % 2 ? 'pro' : 'free' };
    plane.pair('GET', `/users/${i}`, {
      live: { ...noisy(), user },
      candidate: { ...noisy(), user },
      secondary: { ...noisy(), user },
    });
    const items = [
      { id: 1, name: 'Espresso beans' },
      { id: 2, name: 'Mug' },
    ];
    plane.pair('GET', '/catalog/items', {
      live: { ...noisy(), items },
      candidate: { ...noisy(), items },
      secondary: { ...noisy(), items },
    });
    const customer = { name: 'Ada Lovelace', card_number: '4111 1111 1111 1111' };
    const refund = (v2: boolean) => ({
      ...noisy(),
      refund: { order: 1000 + i, amount: v2 ? 45 : 50, currency: 'EUR', status: v2 ? 'pending' : 'refunded' },
      customer,
      debug: { worker: `refund-worker-${crypto.randomInt(9)}` }, // ignored by the policy: only the raw view shows it
    });
    plane.pair('POST', `/refunds/r-${i}`, { live: refund(false), candidate: refund(true), secondary: refund(false) });
  }
  plane.egress('payments', 'POST', '/refunds', 'mocked', rounds);
  plane.egress('email', 'POST', '/send', 'mocked', rounds);
  plane.egress('ledger.internal', 'POST', '/entries', 'denied', rounds);
  plane.egress('catalog', 'GET', '/items/7', 'allowed', 45);
}
