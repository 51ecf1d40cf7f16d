// envoy/envoy.yaml's candidate TCP egress listeners run in the sandbox mesh against real servers:
// the shipped static rules make PostgreSQL read-only, Redis read-only and refuse TLS to an unlisted
// SNI — before the control plane ever pushed a snapshot (its cluster is left unmapped here).
import tls from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import pg from 'pg';
import { Redis } from 'ioredis';
import { startMesh, type Mesh } from '../../sandbox/mesh/index.js';
import { startPostgres, startRedis, type RealServer } from './servers.js';
import { countingServer, type CountingServer } from './support.js';

let pgServer: RealServer;
let redis: RealServer;
let payments: CountingServer;
let mesh: Mesh;

beforeAll(async () => {
  [pgServer, redis] = await Promise.all([startPostgres(), startRedis()]);
  payments = await countingServer();
  mesh = await startMesh({
    file: 'envoy/envoy.yaml',
    hostMap: {
      'postgres:5432': pgServer.port,
      'redis:6379': redis.port,
      'payments:8443': payments.port,
    },
  });
}, 60_000);

afterAll(async () => {
  await mesh?.close();
  await payments?.close();
  await Promise.all([pgServer?.stop(), redis?.stop()]);
}, 30_000);

it('the candidate data guard of envoy.yaml: reads pass, writes fail cleanly, unlisted TLS is refused', async () => {
  const c = new pg.Client({
    ...mesh.listenerAddress('candidate_postgres_egress'),
    user: 'postgres',
    database: 'postgres',
  });
  await c.connect();
  expect((await c.query('SELECT 41 + 1 AS n')).rows).toEqual([{ n: 42 }]);
  await expect(c.query('CREATE TABLE t (id int)')).rejects.toThrow(/shadowguard/);
  await c.end();

  const r = new Redis({ ...mesh.listenerAddress('candidate_redis_egress'), maxRetriesPerRequest: 0 });
  r.on('error', () => {});
  expect(await r.ping()).toBe('PONG');
  await expect(r.set('k', 'v')).rejects.toThrow(/shadowguard-blocked:SET/);
  r.disconnect();

  const refused = await new Promise<string>((resolve) => {
    const s = tls.connect({ ...mesh.listenerAddress('candidate_tls_egress'), servername: 'api.payments.example' });
    s.once('secureConnect', () => resolve('connected'));
    s.once('error', (e) => resolve(e.message));
  });
  expect(refused).not.toBe('connected');
  expect(payments.connections()).toBe(0);
}, 30_000);
