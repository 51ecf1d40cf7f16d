// The network-filter role's speed goals, each beside a no-op network module doing the same work in
// the same host (test/sandbox/probes/noop-network.ts):
//   PostgreSQL readonly guard per ~200 B Query message ≤ 2 µs over no-op · Redis guard per command
//   ≤ 2 µs over no-op · connection decision against 200 rules ≤ 3 µs over no-op.
// Connections are opened in setup (startup packet / first command done) and reused: one op = one
// message through proxy_on_downstream_data. The decision op = accept → on_new_connection → close.
import type { Host, Plugin, TcpConnection } from '../sandbox/host/index.js';
import { probe } from '../test/sandbox/fixtures/probes.js';
import { pluginCase } from './plugin-case.js';
import type { BenchCase, BenchSuite } from './run.js';

const WASM = process.env.SG_FILTER_WASM ?? 'build/shadowguard.wasm';

const msg = (type: string, text: string): Buffer => {
  const body = Buffer.from(`${text}\0`);
  const h = Buffer.alloc(5);
  h.write(type, 0, 'latin1');
  h.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([h, body]);
};
const startup = (() => {
  const body = Buffer.from('user\0app\0database\0orders\0application_name\0bench\0\0');
  const b = Buffer.alloc(8);
  b.writeUInt32BE(8 + body.length, 0);
  b.writeUInt32BE(196608, 4);
  return Buffer.concat([b, body]);
})();
// ~200 bytes: a typical ORM read.
const PG_QUERY = msg(
  'Q',
  "SELECT o.id, o.status, o.total, o.created_at, c.name, c.email FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = 4711 AND o.tenant = 'acme' /* orders.show */",
);
const PG_WRITE = msg('Q', "INSERT INTO orders (customer_id, total, status) VALUES (42, 1999, 'new') RETURNING id");
const resp = (...args: string[]) =>
  Buffer.from(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
const REDIS_GET = resp('GET', 'product:4711');
const REDIS_LPUSH = resp('LPUSH', 'jobs', '{"order":4711,"op":"pay"}');

const shadow = (connections: unknown) => ({ role: 'shadow', variant: 'candidate', service: 'bench', connections });

const loader =
  (wasm: () => Promise<Uint8Array | string>, config: unknown) =>
  async (host: Host): Promise<Plugin> =>
    host.loadPlugin({ wasm: await wasm(), configuration: config as object });

function messageCase(
  name: string,
  wasm: () => Promise<Uint8Array | string>,
  config: unknown,
  first: Buffer | null,
  each: Buffer,
): BenchCase {
  let conn: TcpConnection;
  return pluginCase({
    name,
    load: loader(wasm, config),
    ready(plugin) {
      conn = plugin.newConnection({ cluster: 'db', destination: '10.0.0.9:5432', record: false });
      conn.on('connect', () => conn.upstreamConnected('10.0.0.9:5432'));
      conn.start();
      if (first) conn.receiveDownstream(first);
      if (conn.closed) throw new Error(`${name}: connection closed in setup`);
    },
    run() {
      conn.receiveDownstream(each);
    },
    done() {
      if (conn.closed) throw new Error(`${name}: connection closed during the run`);
    },
  });
}

function decisionCase(name: string, wasm: () => Promise<Uint8Array | string>, config: unknown): BenchCase {
  return pluginCase({
    name,
    load: loader(wasm, config),
    run(plugin) {
      const c = plugin.newConnection({ cluster: 'db', destination: '10.1.199.7:5432', record: false });
      c.start();
      c.close('remote');
    },
  });
}

// 200 rules, the match on the last: each has a CIDR and a port (decided at accept).
const rules200 = Array.from({ length: 200 }, (_, i) => ({
  name: `db-${i}`,
  cidr: `10.1.${i}.0/24`,
  port: 5432,
  action: 'allow',
}));

export default async (): Promise<BenchSuite[]> => {
  const noopBytes = await probe('noop-network');
  const noop = async () => noopBytes;
  const guard = async () => WASM;
  const pgRule = { rules: [{ name: 'db', port: 5432, action: 'readonly', protocol: 'postgres' }] };
  const redisRule = { rules: [{ name: 'cache', port: 5432, action: 'readonly', protocol: 'redis' }] };
  return [
    {
      name: `postgres: one ~${PG_QUERY.length} B Query message on an open connection`,
      baseline: messageCase('no-op network module', noop, {}, startup, PG_QUERY),
      cases: [
        messageCase('readonly guard, read (forwarded)', guard, shadow(pgRule), startup, PG_QUERY),
        messageCase('readonly guard, write (rewritten to an error)', guard, shadow(pgRule), startup, PG_WRITE),
      ],
    },
    {
      name: 'redis: one command on an open connection',
      baseline: messageCase('no-op network module', noop, {}, null, REDIS_GET),
      cases: [
        messageCase('readonly guard, GET (forwarded)', guard, shadow(redisRule), null, REDIS_GET),
        messageCase('readonly guard, LPUSH (rewritten to an error)', guard, shadow(redisRule), null, REDIS_LPUSH),
      ],
    },
    {
      name: 'connection decision, 200 rules (match on the last): accept → on_new_connection → close',
      baseline: decisionCase('no-op network module', noop, {}),
      cases: [
        decisionCase('200 CIDR+port rules → allow', guard, shadow({ rules: rules200 })),
        decisionCase('0 rules → default deny', guard, shadow({})),
      ],
    },
  ];
};
