// The Redis readonly guard against a real Redis 7 through the sandbox mesh, driven by ioredis and
// by raw RESP where the protocol version or inline commands matter: reads pass; writes, scripts and
// admin commands get an error reply naming Shadowguard in their slot — in pipelines, inside
// MULTI (the server aborts the transaction: EXECABORT), and after HELLO 3 (RESP3). The live
// listener (no filter) writes; the key space proves the shadow wrote nothing.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { Mesh } from '../../sandbox/mesh/index.js';
import { startPostgres, startRedis, type RealServer } from './servers.js';
import { guardMesh } from './support.js';

let pgServer: RealServer;
let redis: RealServer;
let mesh: Mesh;
const clients: Redis[] = [];

const connect = (listener: string) => {
  const a = mesh.listenerAddress(listener);
  const c = new Redis({
    host: a.host,
    port: a.port,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: true,
    lazyConnect: false,
  });
  c.on('error', () => {});
  clients.push(c);
  return c;
};

/** Sends raw bytes, collects the reply until `until` matches the text so far. */
async function raw(listener: string, bytes: string, until: RegExp): Promise<string> {
  const s = net.connect(mesh.listenerAddress(listener).port, '127.0.0.1');
  let text = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout; got ${JSON.stringify(text)}`)), 5000);
    s.on('data', (d) => {
      text += d.toString('latin1');
      if (until.test(text)) {
        clearTimeout(t);
        s.destroy();
        resolve(text);
      }
    });
    s.on('connect', () => s.write(bytes));
  });
}
const resp = (...args: string[]) =>
  `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

beforeAll(async () => {
  [pgServer, redis] = await Promise.all([startPostgres(), startRedis()]);
  mesh = await guardMesh({ pgPort: pgServer.port, redisPort: redis.port });
  const live = connect('live_redis');
  await live.set('product:1', 'widget');
  await live.lpush('jobs', 'seed');
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await mesh?.close();
  await Promise.all([pgServer?.stop(), redis?.stop()]);
}, 30_000);

const keys = async () => (await connect('live_redis').keys('*')).sort();

describe('redis readonly guard', () => {
  it('reads pass; writes, scripts and admin commands get an error naming Shadowguard', async () => {
    const c = connect('shadow_redis');
    expect(await c.get('product:1')).toBe('widget');
    expect(await c.lrange('jobs', 0, -1)).toEqual(['seed']);
    await expect(c.set('x', '1')).rejects.toThrow(/shadowguard-blocked:SET/);
    await expect(c.lpush('jobs', 'shadow')).rejects.toThrow(/shadowguard-blocked:LPUSH/);
    await expect(c.xadd('stream', '*', 'a', '1')).rejects.toThrow(/shadowguard-blocked:XADD/);
    await expect(c.publish('orders', 'x')).rejects.toThrow(/shadowguard-blocked:PUBLISH/);
    await expect(c.eval("return redis.call('SET', 'e', '1')", 0)).rejects.toThrow(/shadowguard-blocked:EVAL/);
    await expect(c.call('FUNCTION', 'FLUSH')).rejects.toThrow(/shadowguard-blocked:FUNCTION/);
    await expect(c.flushall()).rejects.toThrow(/shadowguard-blocked:FLUSHALL/);
    await expect(c.call('CONFIG', 'SET', 'maxmemory', '1')).rejects.toThrow(/shadowguard-blocked:CONFIG/);
    expect(await c.call('CONFIG', 'GET', 'maxmemory')).toHaveLength(2);
    expect(await c.get('product:1')).toBe('widget'); // the connection is still usable
    expect(await keys()).toEqual(['jobs', 'product:1']);
    expect(await connect('live_redis').lrange('jobs', 0, -1)).toEqual(['seed']);
  });

  it('pipelines: each reply lands in its slot', async () => {
    const c = connect('shadow_redis');
    const r = await c.pipeline().get('product:1').set('p', '1').lpush('jobs', 'p').llen('jobs').exec();
    expect(r![0]).toEqual([null, 'widget']);
    expect(String(r![1][0])).toMatch(/shadowguard-blocked:SET/);
    expect(String(r![2][0])).toMatch(/shadowguard-blocked:LPUSH/);
    expect(r![3]).toEqual([null, 1]);
    expect(await keys()).toEqual(['jobs', 'product:1']);
  });

  it('MULTI/EXEC with a write inside: the server aborts the whole transaction', async () => {
    const c = connect('shadow_redis');
    await expect(c.multi().get('product:1').lpush('jobs', 'tx').exec()).rejects.toThrow(/EXECABORT/);
    expect(await connect('live_redis').llen('jobs')).toBe(1);
  });

  it('RESP3 after HELLO 3: the blocked write still gets an error reply in order', async () => {
    const text = await raw(
      'shadow_redis',
      resp('HELLO', '3') + resp('SET', 'h', '1') + resp('GET', 'product:1'),
      /widget\r\n$/,
    );
    expect(text).toMatch(/^%/); // HELLO 3 answered with a RESP3 map
    expect(text).toMatch(/-ERR unknown command 'shadowguard-blocked:SET'/);
    expect(await keys()).toEqual(['jobs', 'product:1']);
  });

  it('inline commands are screened too, across TCP segments', async () => {
    const s = net.connect(mesh.listenerAddress('shadow_redis').port, '127.0.0.1');
    let text = '';
    s.on('data', (d) => {
      text += d.toString();
    });
    await new Promise((r) => s.once('connect', r));
    s.write('SE');
    await new Promise((r) => setTimeout(r, 30));
    s.write('T inline 1\r\nGET product:1\r\n');
    const end = Date.now() + 5000;
    while (!text.includes('widget') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    s.destroy();
    expect(text).toMatch(/^-ERR unknown command 'shadowguard-blocked:SET'.*\r\n\$6\r\nwidget\r\n$/s);
    expect(await keys()).toEqual(['jobs', 'product:1']);
  });

  it('a malformed RESP frame closes the connection (denied, never a trap)', async () => {
    const s = net.connect(mesh.listenerAddress('shadow_redis').port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    const closed = new Promise((r) => s.once('close', r));
    s.write('*2\r\n$x\r\n');
    await closed;
    expect(mesh.plugin('shadowguard-tcp').failed).toBe(false);
  });
});
