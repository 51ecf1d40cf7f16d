// Story: the replicated control plane. Three replicas share a real PostgreSQL 15 (policies, alerts,
// ramp state, the leader lease) and a real Redis 7 (halves meet there; compared pairs fan out to
// every replica through the observation log). The mesh's filters stream to them through one
// Service address that spreads connections like kube-proxy, so the edge and the shadows reach
// different replicas. Mid-traffic one replica is SIGKILLed: live traffic is untouched, its filters
// reconnect to the others and resend what it had not acknowledged, no acknowledged policy write is
// lost, one replica leads before and after, and every surviving replica reports the same pairs.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDemo, type Demo } from '../../sandbox/demo/index.js';
import { runTraffic, type TrafficResult } from '../../sandbox/demo/traffic.js';
import { freePort, startPostgres, startRedis, type RealServer } from '../data-layer/servers.js';
import { startTcpService, type TcpService } from '../fixtures/tcp-service.js';
import { envoyVariant, waitFor } from './support.js';

interface Replica {
  http: string;
  grpcPort: number;
  proc?: ChildProcess;
}

let postgres: RealServer;
let redis: RealServer;
let service: TcpService;
let demo: Demo;
const children: Replica[] = [];
const dirs: string[] = [];

async function childReplica(storeUrl: string, redisUrl: string): Promise<Replica> {
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-replica-'));
  dirs.push(dir);
  const proc = spawn(
    process.execPath,
    [
      'bin/shadow-control-plane.js',
      '--http-port',
      String(httpPort),
      '--grpc-port',
      String(grpcPort),
      '--data-dir',
      dir,
      '--log-level',
      'warn',
    ],
    {
      env: {
        ...process.env,
        SHADOWGUARD_FROM_SOURCE: '1',
        SHADOWGUARD_STORE_URL: storeUrl,
        SHADOWGUARD_REDIS_URL: redisUrl,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const r: Replica = { http: `http://127.0.0.1:${httpPort}`, grpcPort, proc };
  await waitFor(
    async () => ((await fetch(`${r.http}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined),
    30_000,
    `replica on ${httpPort} ready`,
  );
  children.push(r);
  return r;
}

// One Envoy multiplexes all its filters' streams to a cluster over one HTTP/2 connection, so in this
// one-proxy sandbox the shadows get a control-plane cluster of their own (in a mesh they are other
// pods, other proxies): their connection and the edge's reach the replicas through the Service
// separately.
const SHADOW_CLUSTER = 'shadowguard_control_plane_shadows';
const bootstrap = envoyVariant((b) => {
  const cp = b.static_resources.clusters.find((c: { name: string }) => c.name === 'shadowguard_control_plane');
  const copy = JSON.parse(JSON.stringify(cp));
  copy.name = SHADOW_CLUSTER;
  copy.load_assignment.cluster_name = SHADOW_CLUSTER;
  copy.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address = 'control-plane-shadows';
  b.static_resources.clusters.push(copy);
});
const streaming = (shadow: boolean) => (cfg: { controlPlane?: Record<string, unknown> }) => ({
  ...cfg,
  controlPlane: {
    ...cfg.controlPlane,
    reconnectMaxMs: 300,
    ...(shadow ? { cluster: SHADOW_CLUSTER, authority: 'control-plane-shadows:18000' } : {}),
  },
});

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  const admin = new pg.Client({ host: '127.0.0.1', port: postgres.port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query('CREATE DATABASE sg_replicated');
  await admin.end();
  const storeUrl = `postgres://postgres@127.0.0.1:${postgres.port}/sg_replicated`;
  const redisUrl = `redis://127.0.0.1:${redis.port}`;
  // Replica A runs in this process (the demo's control plane); B and C are real processes.
  const grpcA = await freePort();
  const [b, c] = await Promise.all([childReplica(storeUrl, redisUrl), childReplica(storeUrl, redisUrl)]);
  service = await startTcpService([grpcA, b.grpcPort, c.grpcPort]);
  demo = await startDemo({
    grpcPort: grpcA,
    controlPlane: {
      store: { url: storeUrl },
      pairing: { windowMs: 5000, maxPending: 100_000, maxPendingBytes: 2 ** 28, redisUrl },
    },
    envoyYaml: bootstrap,
    hostMap: { 'control-plane:18000': service.port, 'control-plane-shadows:18000': service.port },
    readyTimeoutMs: 30_000,
    pluginConfig: Object.fromEntries(
      ['edge', 'candidate-inbound', 'candidate-egress', 'secondary-inbound', 'secondary-egress'].map((n) => [
        `shadowguard-${n}`,
        streaming(n !== 'edge'),
      ]),
    ),
  });
}, 120_000);

afterAll(async () => {
  await demo?.close();
  for (const r of children) r.proc?.kill('SIGKILL');
  await service?.close();
  await Promise.all([postgres?.stop(), redis?.stop()]);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const json = async (url: string, init?: RequestInit) => {
  const r = await fetch(url, init);
  return { status: r.status, body: (await r.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
};
const pairsOn = async (base: string): Promise<number> =>
  ((await json(`${base}/api/v1/reports/shop`)).body.endpoints as Array<{ pairs: number }>).reduce(
    (n, e) => n + e.pairs,
    0,
  );
const sessionsOn = async (base: string): Promise<number> => {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^shadowguard_stream_sessions (\d+)/m.exec(text)?.[1] ?? 0);
};
const leaders = async (bases: string[]): Promise<number> =>
  (await Promise.all(bases.map((b) => json(`${b}/readyz`)))).filter((r) => r.body.leader === true).length;

it('three replicas: one report of every pair, no acknowledged write lost and one leader across a SIGKILL', async () => {
  const a = demo.controlPlane.httpUrl;
  const [b, c] = children;
  // The filters' streams spread over the replicas: the edge and the shadows reach different ones.
  expect(Object.keys(service.accepted()).length).toBeGreaterThanOrEqual(2);
  expect(await leaders([a, b.http, c.http])).toBe(1);

  const results: TrafficResult[] = [];
  const n = 240;
  const traffic = runTraffic({
    target: demo.urls.edge,
    requests: n,
    ratePerSecond: 60,
    concurrency: 6,
    seed: 13,
    onResponse: (r) => results.push(r),
  });
  await waitFor(() => (results.length >= 80 ? true : undefined), 20_000, 'traffic before the kill');

  // An acknowledged policy write on the replica about to die.
  const victim = (await sessionsOn(b.http)) > 0 ? b : c;
  const survivor = victim === b ? c : b;
  expect(await sessionsOn(victim.http)).toBeGreaterThan(0); // the kill takes filters' streams with it
  const put = await json(`${victim.http}/api/v1/policies/audit-only`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ services: ['audit'], sampling: { defaultPercent: 1 } }),
  });
  expect(put.status).toBe(201);
  victim.proc!.kill('SIGKILL');

  const summary = await traffic;
  expect(summary.sent).toBe(n);
  // Live traffic never noticed: every request answered by v1.
  for (const r of results) expect(r.status, `${r.method} ${r.path} ${r.error ?? ''}`).toBeLessThan(300);

  // Every pair reaches both surviving replicas' reports, once. A pair the killed replica had completed
  // in Redis but not yet committed is taken over by a survivor when its claim expires (10 s).
  await waitFor(
    async () => ((await pairsOn(a)) >= n && (await pairsOn(survivor.http)) === (await pairsOn(a)) ? true : undefined),
    30_000,
    'every pair on both surviving replicas',
  );
  await new Promise((r) => setTimeout(r, 6000)); // past the pairing window: nothing arrives twice
  const [onA, onSurvivor] = [await pairsOn(a), await pairsOn(survivor.http)];
  expect(onA).toBe(onSurvivor);
  if (process.env.SG_REPORT) console.log(`pairs on both survivors: ${onA} of ${n}`);
  expect(onA).toBe(n);
  // The write the dead replica acknowledged is there; one leader among the survivors.
  expect((await json(`${a}/api/v1/policies/audit-only`)).body).toMatchObject({ version: 1 });
  expect(await leaders([a, survivor.http])).toBe(1);
  // The filters found the survivors.
  expect((await sessionsOn(a)) + (await sessionsOn(survivor.http))).toBe(5);
}, 120_000);
