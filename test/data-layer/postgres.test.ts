// The PostgreSQL readonly guard against a real PostgreSQL 15 through the sandbox mesh (TCP listener:
// envoy.filters.network.wasm → tcp_proxy), driven by node-postgres and by a raw wire client where
// segment boundaries and batching matter. Reads pass; writes and escape attempts get a clean
// in-protocol error naming Shadowguard (the connection stays usable and read-only); a session that
// escapes anyway (a function calling set_config) is closed by the ParameterStatus watch; SSLRequest
// fails closed. The live listener (no filter) writes normally, and the row count proves nothing leaked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { Mesh } from '../../sandbox/mesh/index.js';
import { startPostgres, startRedis, type RealServer } from './servers.js';
import { guardMesh } from './support.js';
import * as w from './pg-wire.js';

let pgServer: RealServer;
let redis: RealServer;
let mesh: Mesh;

const client = async (listener: string) => {
  const a = mesh.listenerAddress(listener);
  const c = new pg.Client({ host: a.host, port: a.port, user: 'postgres', database: 'postgres' });
  c.on('error', () => {});
  await c.connect();
  return c;
};
const liveCount = async () => {
  const c = await client('live_pg');
  const r = await c.query('SELECT count(*)::int AS n FROM orders');
  await c.end();
  return r.rows[0].n as number;
};

beforeAll(async () => {
  [pgServer, redis] = await Promise.all([startPostgres(), startRedis()]);
  mesh = await guardMesh({ pgPort: pgServer.port, redisPort: redis.port });
  const live = await client('live_pg');
  await live.query('CREATE TABLE orders (id serial PRIMARY KEY, item text)');
  await live.query("INSERT INTO orders (item) VALUES ('seed')");
  await live.query(
    "CREATE FUNCTION add_order() RETURNS int LANGUAGE sql AS $$ INSERT INTO orders (item) VALUES ('fn') RETURNING id $$",
  );
  await live.query(
    "CREATE FUNCTION sneaky() RETURNS text LANGUAGE sql AS $$ SELECT set_config('default_transaction_' || 'read_only', 'off', false) $$",
  );
  await live.end();
}, 60_000);

afterAll(async () => {
  await mesh?.close();
  await Promise.all([pgServer?.stop(), redis?.stop()]);
}, 30_000);

describe('postgres readonly guard', () => {
  it('reads pass; writes get a clean error naming Shadowguard and the connection stays usable', async () => {
    const c = await client('shadow_pg');
    const r = await c.query('SELECT item FROM orders WHERE id = $1', [1]);
    expect(r.rows).toEqual([{ item: 'seed' }]);
    await expect(c.query("INSERT INTO orders (item) VALUES ('shadow')")).rejects.toThrow(/shadowguard: write blocked/);
    await expect(c.query('INSERT INTO orders (item) VALUES ($1)', ['x'])).rejects.toThrow(/shadowguard/);
    await expect(c.query('UPDATE orders SET item = $1', ['y'])).rejects.toThrow(/shadowguard/);
    const again = await c.query('SELECT count(*)::int AS n FROM orders');
    expect(again.rows[0].n).toBe(1);
    expect((await c.query('SHOW default_transaction_read_only')).rows[0].default_transaction_read_only).toBe('on');
    await c.end();
  });

  const escapes: Array<[string, string]> = [
    ['SET default_transaction_read_only = off', 'SET default_transaction_read_only = off'],
    ['SET SESSION … READ WRITE', 'SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE'],
    ['BEGIN READ WRITE', "BEGIN READ WRITE; INSERT INTO orders (item) VALUES ('rw'); COMMIT"],
    ['START TRANSACTION READ WRITE', 'START TRANSACTION READ WRITE'],
    ['set_config in a SELECT', "SELECT set_config('default_transaction_read_only', 'off', false)"],
    ['RESET ALL', 'RESET ALL'],
    ['DISCARD ALL', 'DISCARD ALL'],
    ['DO block', "DO $$ BEGIN EXECUTE 'SET default_' || 'transaction_read_only = off'; END $$"],
    ['comment-hidden keyword', 'SET /* x */ SESSION CHARACTERISTICS AS TRANSACTION READ /* y */ WRITE'],
    ['multi-statement simple query', "SELECT 1; INSERT INTO orders (item) VALUES ('multi')"],
    ['COPY FROM STDIN', 'COPY orders (item) FROM STDIN'],
    ['a write inside a CTE', "WITH x AS (INSERT INTO orders (item) VALUES ('cte') RETURNING id) SELECT * FROM x"],
    ['pg_notify', "SELECT pg_notify('orders', 'x')"],
    ['advisory lock', 'SELECT pg_advisory_lock(1)'],
  ];
  it.each(escapes)('blocks %s with an in-protocol error', async (_name, sql) => {
    const c = await client('shadow_pg');
    await expect(c.query(sql)).rejects.toThrow(/shadowguard/);
    // Still connected, still read-only, nothing written.
    expect((await c.query('SHOW default_transaction_read_only')).rows[0].default_transaction_read_only).toBe('on');
    await c.end();
    expect(await liveCount()).toBe(1);
  });

  it('a write inside a function is refused by the server (injected read-only default)', async () => {
    const c = await client('shadow_pg');
    await expect(c.query('SELECT add_order()')).rejects.toThrow(/read-only transaction/);
    await c.end();
    expect(await liveCount()).toBe(1);
  });

  it('a session that escapes through a function is closed by the ParameterStatus watch', async () => {
    const c = await client('shadow_pg');
    await expect(c.query('SELECT sneaky()')).rejects.toThrow();
    await expect(c.query('SELECT 1')).rejects.toThrow();
    expect(await liveCount()).toBe(1);
  });

  it('a statement split across TCP segments is screened whole', async () => {
    const raw = await w.RawPg.connect(mesh.listenerAddress('shadow_pg').port);
    raw.write(w.startup());
    await raw.readyCount(1);
    const q = w.query("INSERT INTO orders (item) VALUES ('split')");
    for (const part of [q.subarray(0, 3), q.subarray(3, 17), q.subarray(17)]) {
      raw.write(part);
      await new Promise((r) => setTimeout(r, 30));
    }
    await raw.readyCount(2);
    const errors = raw.messages.filter((m) => m.type === 'E').map(w.errorMessage);
    expect(errors).toEqual(['shadowguard: write blocked (read-only shadow connection)']);
    raw.end();
    expect(await liveCount()).toBe(1);
  });

  it('pipelined extended-protocol batches: the read answers, the write fails at Parse, order kept', async () => {
    const raw = await w.RawPg.connect(mesh.listenerAddress('shadow_pg').port);
    raw.write(w.startup());
    await raw.readyCount(1);
    raw.write(
      Buffer.concat([
        w.parse('SELECT item FROM orders'),
        w.bind(),
        w.execute(),
        w.sync(),
        w.parse("INSERT INTO orders (item) VALUES ('pipe')"),
        w.bind(),
        w.execute(),
        w.sync(),
        w.parse('SELECT 2'),
        w.bind(),
        w.execute(),
        w.sync(),
      ]),
    );
    await raw.readyCount(4);
    const types = raw.messages
      .slice(raw.messages.findIndex((m) => m.type === 'Z') + 1)
      .map((m) => m.type)
      .filter((t) => t !== 'N')
      .join('');
    expect(types).toBe('12DCZEZ12DCZ'); // ParseComplete BindComplete DataRow CommandComplete ReadyForQuery; Error Ready; …
    expect(w.errorMessage(raw.messages.find((m) => m.type === 'E')!)).toMatch(/shadowguard/);
    raw.end();
    expect(await liveCount()).toBe(1);
  });

  it('the legacy FunctionCall message is refused in protocol', async () => {
    const raw = await w.RawPg.connect(mesh.listenerAddress('shadow_pg').port);
    raw.write(w.startup());
    await raw.readyCount(1);
    raw.write(w.functionCall(2559)); // any oid: the guard never forwards F
    await raw.readyCount(2);
    expect(raw.messages.filter((m) => m.type === 'E').map(w.errorMessage)).toEqual([
      'shadowguard: statement blocked (it could leave read-only mode)',
    ]);
    raw.end();
  });

  it('SSLRequest fails closed: the connection is closed, not downgraded', async () => {
    const raw = await w.RawPg.connect(mesh.listenerAddress('shadow_pg').port);
    raw.write(w.sslRequest());
    await raw.waitClosed();
    expect(raw.messages).toEqual([]);
  });

  it('a client-sent default_transaction_read_only=off startup parameter is overridden', async () => {
    const raw = await w.RawPg.connect(mesh.listenerAddress('shadow_pg').port);
    raw.write(
      w.startup('postgres', 'postgres', { default_transaction_read_only: 'off', options: '-c statement_timeout=0' }),
    );
    await raw.readyCount(1);
    const ps = raw.messages.filter((m) => m.type === 'S').map((m) => m.body.toString('latin1').split('\0'));
    expect(ps).toContainEqual(['default_transaction_read_only', 'on', '']);
    raw.end();
  });
});
