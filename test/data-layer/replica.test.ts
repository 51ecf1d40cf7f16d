// requireReplica: PostgreSQL ≥ 14 reports in_hot_standby in ParameterStatus. Against a real hot-standby
// replica (pg_basebackup -R of a real primary) the guarded connection reads; pointed at the primary, a
// rule that requires a replica closes the connection at startup (no evidence is never a pass), and the
// replica itself refuses a write even when the statement is not screened (recovery).
import { afterAll, beforeAll, expect, it } from 'vitest';
import pg from 'pg';
import type { Mesh } from '../../sandbox/mesh/index.js';
import { startPostgres, startRedis, type RealServer } from './servers.js';
import { guardMesh, shadowConfig } from './support.js';

let primary: RealServer;
let replica: RealServer;
let redis: RealServer;
const meshes: Mesh[] = [];

const rule = {
  rules: [{ name: 'replica', port: 15432, action: 'readonly', protocol: 'postgres', requireReplica: true }],
};

beforeAll(async () => {
  [primary, redis] = await Promise.all([startPostgres(), startRedis()]);
  const admin = new pg.Client({ host: '127.0.0.1', port: primary.port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query("CREATE TABLE products (id int PRIMARY KEY, name text); INSERT INTO products VALUES (1, 'widget')");
  await admin.end();
  replica = await startPostgres({ standbyOf: primary.port });
}, 90_000);

afterAll(async () => {
  for (const m of meshes) await m.close();
  await Promise.all([replica?.stop(), primary?.stop(), redis?.stop()]);
}, 30_000);

const connect = async (pgPort: number) => {
  const mesh = await guardMesh({ pgPort, redisPort: redis.port, config: shadowConfig(rule) });
  meshes.push(mesh);
  const c = new pg.Client({ ...mesh.listenerAddress('shadow_pg'), user: 'postgres', database: 'postgres' });
  c.on('error', () => {});
  return c;
};

it('a hot-standby replica: reads pass (in_hot_standby=on reported and checked)', async () => {
  const c = await connect(replica.port);
  await c.connect().catch((e) => {
    throw new Error(`${e.message}: ${meshes.at(-1)!.plugin('shadowguard-tcp').logs().join(' | ')}`);
  });
  // The replica may lag a moment behind the primary's seed row.
  let rows: unknown[] = [];
  for (let i = 0; i < 50 && rows.length === 0; i++) {
    rows = (await c.query('SELECT name FROM products WHERE id = 1')).rows;
    if (rows.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  expect(rows).toEqual([{ name: 'widget' }]);
  expect((await c.query('SHOW in_hot_standby')).rows[0].in_hot_standby).toBe('on');
  // A write hidden from the screen (a function call the guard lets through) is refused by recovery itself.
  await expect(c.query('SELECT pg_catalog.txid_current()')).rejects.toThrow(/recovery/);
  await c.end();
}, 30_000);

it('the primary behind a requireReplica rule: the connection is closed at startup', async () => {
  const c = await connect(primary.port);
  await expect(c.connect()).rejects.toThrow();
}, 30_000);
