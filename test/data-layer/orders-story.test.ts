// The data-layer story end to end: an orders service that, per request, SELECTs a product, INSERTs
// an order row, reads the product from the cache and LPUSHes a job to Redis, and calls a payment
// API over TLS. Each of 200 requests is handled by the live copy (straight to the servers) and by the
// shadow copy (through the shadow's outbound TCP listeners in the sandbox mesh: network wasm filter →
// tcp_proxy), with a real PostgreSQL 15, Redis 7 and the real control plane. Live writes every row
// and job; the shadow writes none, its reads succeed, its clients get clean errors, its TLS
// connection to an unlisted SNI is refused before reaching the server, and the control plane's
// blast-radius map shows each destination with reads allowed and writes blocked.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import pg from 'pg';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { start, type RunningControlPlane } from '../../control-plane/src/main.js';
import type { Mesh } from '../../sandbox/mesh/index.js';
import { apiClient, uiConfig } from '../ui/harness.js';
import { startPostgres, startRedis, type RealServer } from './servers.js';
import { countingServer, guardMesh, shadowConfig, type CountingServer } from './support.js';

const REQUESTS = 200;
let pgServer: RealServer;
let redisServer: RealServer;
let payments: CountingServer;
let cp: RunningControlPlane;
let mesh: Mesh;
let dataDir: string;

// Port rules decide at accept (before tcp_proxy connects); host rules would wait for the first byte.
const storyRules = [
  { name: 'orders-db', port: 15432, action: 'readonly', protocol: 'postgres' },
  { name: 'jobs-cache', port: 16379, action: 'readonly', protocol: 'redis' },
  { name: 'stripe', sni: 'api.stripe.com', port: 10443, action: 'allow' },
];
const policy = { services: ['orders'], connections: { defaultAction: 'deny', rules: storyRules } };

beforeAll(async () => {
  [pgServer, redisServer] = await Promise.all([startPostgres(), startRedis()]);
  payments = await countingServer();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-orders-'));
  cp = await start(uiConfig(dataDir), { logger: pino({ level: 'silent' }) });
  const put = await apiClient(cp.httpUrl)('/api/v1/policies/orders', { method: 'PUT', body: JSON.stringify(policy) });
  expect(put.status).toBe(201);
  mesh = await guardMesh({
    pgPort: pgServer.port,
    redisPort: redisServer.port,
    tlsPort: payments.port,
    controlPlane: cp.grpcPort,
    config: shadowConfig(policy.connections, { controlPlane: { cluster: 'shadowguard_control_plane' } }),
  });
  const admin = new pg.Client({ host: '127.0.0.1', port: pgServer.port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query('CREATE TABLE products (id int PRIMARY KEY, name text, price int)');
  await admin.query("INSERT INTO products SELECT g, 'product ' || g, g * 100 FROM generate_series(1, 50) g");
  await admin.query('CREATE TABLE orders (id serial PRIMARY KEY, product int, amount int, copy text)');
  await admin.end();
  const r = new Redis({ host: '127.0.0.1', port: redisServer.port });
  for (let i = 1; i <= 50; i++) await r.set(`product:${i}`, `product ${i}`);
  r.disconnect();
}, 90_000);

const cleanup: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const c of cleanup.splice(0)) await c();
  await mesh?.close();
  await cp?.close();
  await payments?.close();
  await Promise.all([pgServer?.stop(), redisServer?.stop()]);
  fs.rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

interface Outcome {
  read: boolean;
  cacheRead: boolean;
  inserted: boolean;
  queued: boolean;
  paid: boolean;
  errors: string[];
}

/** The orders service's handler: the same code for live and shadow, only the addresses differ. */
async function placeOrder(
  db: pg.Pool,
  cache: Redis,
  pay: { port: number },
  id: number,
  copy: string,
): Promise<Outcome> {
  const o: Outcome = { read: false, cacheRead: false, inserted: false, queued: false, paid: false, errors: [] };
  const product = (id % 50) + 1;
  const note = (e: unknown): undefined => {
    o.errors.push((e as Error).message);
  };
  const r = await db.query('SELECT id, price FROM products WHERE id = $1', [product]).catch(note);
  o.read = !!r && r.rows.length === 1;
  o.cacheRead = (await cache.get(`product:${product}`).catch(note)) === `product ${product}`;
  o.inserted = !!(await db
    .query('INSERT INTO orders (product, amount, copy) VALUES ($1, $2, $3)', [product, product * 100, copy])
    .catch(note));
  o.queued = typeof (await cache.lpush('jobs', JSON.stringify({ order: id, copy })).catch(note)) === 'number';
  o.paid = await new Promise<boolean>((resolve) => {
    const s = tls.connect({
      host: '127.0.0.1',
      port: pay.port,
      servername: 'api.payments.example',
      rejectUnauthorized: false,
    });
    s.once('secureConnect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', (e) => {
      note(e);
      resolve(false);
    });
    s.once('close', () => resolve(false));
  });
  return o;
}

it(`over ${REQUESTS} mirrored requests the live copy writes everything and the shadow nothing`, async () => {
  const at = (n: string) => mesh.listenerAddress(n).port;
  const live = {
    db: new pg.Pool({ host: '127.0.0.1', port: pgServer.port, user: 'postgres', database: 'postgres', max: 4 }),
    cache: new Redis({ host: '127.0.0.1', port: redisServer.port }),
  };
  const shadow = {
    db: new pg.Pool({ host: '127.0.0.1', port: at('shadow_pg'), user: 'postgres', database: 'postgres', max: 4 }),
    cache: new Redis({ host: '127.0.0.1', port: at('shadow_redis'), maxRetriesPerRequest: 0 }),
  };
  shadow.db.on('error', () => {});
  live.db.on('error', () => {});
  cleanup.push(async () => {
    await Promise.all([live.db.end().catch(() => {}), shadow.db.end().catch(() => {})]);
    live.cache.disconnect();
    shadow.cache.disconnect();
  });
  live.cache.on('error', () => {});
  shadow.cache.on('error', () => {});
  const liveOut: Outcome[] = [];
  const shadowOut: Outcome[] = [];
  for (let i = 0; i < REQUESTS; i += 10) {
    const batch = Array.from({ length: 10 }, (_, k) => i + k);
    const [l, s] = await Promise.all([
      Promise.all(batch.map((id) => placeOrder(live.db, live.cache, { port: payments.port }, id, 'live'))),
      Promise.all(batch.map((id) => placeOrder(shadow.db, shadow.cache, { port: at('shadow_tls') }, id, 'shadow'))),
    ]);
    liveOut.push(...l);
    shadowOut.push(...s);
  }

  // Live: every row and job written.
  const count = await live.db.query('SELECT copy, count(*)::int AS n FROM orders GROUP BY copy');
  expect(count.rows).toEqual([{ copy: 'live', n: REQUESTS }]);
  const jobs = await live.cache.lrange('jobs', 0, -1);
  expect(jobs).toHaveLength(REQUESTS);
  expect(jobs.every((j) => JSON.parse(j).copy === 'live')).toBe(true);
  expect(liveOut.every((o) => o.read && o.cacheRead && o.inserted && o.queued)).toBe(true);

  // Shadow: reads succeed; writes get clean errors naming Shadowguard; TLS to the unlisted SNI refused.
  expect(shadowOut.every((o) => o.read && o.cacheRead)).toBe(true);
  expect(shadowOut.filter((o) => o.inserted || o.queued || o.paid)).toEqual([]);
  expect(shadowOut.every((o) => o.errors.some((e) => /shadowguard: write or escape blocked/.test(e)))).toBe(true);
  expect(shadowOut.every((o) => o.errors.some((e) => /shadowguard-blocked:LPUSH/.test(e)))).toBe(true);
  // Only the live copy's TLS attempts reached the payment server.
  expect(payments.connections()).toBe(REQUESTS);

  // Closing the shadow's connections flushes the guard's statement counts.
  for (const c of cleanup.splice(0)) await c();

  // Blast radius: each destination with reads allowed and writes blocked.
  const api = apiClient(cp.httpUrl);
  type Row = {
    destination: string;
    protocol?: string;
    decisions: Record<string, number>;
    statements?: Record<string, number>;
  };
  let rows: Row[] = [];
  const deadline = Date.now() + 15_000;
  const done = (rs: Row[]) => {
    const db = rs.find((r) => r.destination === 'orders_db');
    const cache = rs.find((r) => r.destination === 'jobs_redis');
    const pay = rs.find((r) => r.destination === 'api.payments.example');
    return (
      !!db &&
      !!cache &&
      !!pay &&
      (db.statements?.read ?? 0) >= REQUESTS &&
      (db.statements?.write ?? 0) >= REQUESTS &&
      (cache.statements?.read ?? 0) >= REQUESTS &&
      (cache.statements?.write ?? 0) >= REQUESTS &&
      pay.decisions.denied >= REQUESTS
    );
  };
  while (Date.now() < deadline) {
    const res = await api('/api/v1/blast-radius/orders');
    const body = (await res.json()) as { map: { services: Array<{ destinations: Row[] }> } };
    rows = body.map.services[0]?.destinations ?? [];
    if (done(rows)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const byName = Object.fromEntries(rows.map((r) => [r.destination, r]));
  expect(byName.orders_db).toMatchObject({
    protocol: 'postgres',
    statements: { read: REQUESTS, write: REQUESTS, blockedEscape: 0 },
  });
  // ioredis adds its own reads (INFO ready check, CLIENT SETINFO) on each connection.
  expect(byName.jobs_redis).toMatchObject({ protocol: 'redis', statements: { write: REQUESTS, blockedEscape: 0 } });
  expect(byName.jobs_redis.statements!.read).toBeGreaterThanOrEqual(REQUESTS);
  expect(byName['api.payments.example']).toMatchObject({
    protocol: 'tcp',
    decisions: { denied: REQUESTS, allowed: 0 },
  });
}, 120_000);
