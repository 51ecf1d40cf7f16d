// The network-filter role through the sandbox host alone (no sockets): the fail-safe rules — no
// configuration denies every connection before tcp_proxy connects, a live role never touches a
// connection, connection rules decide by port / CIDR / SNI at accept and by cluster at the first
// byte — the `connections` section validated like the schema, and a fuzz run of random and
// truncated PostgreSQL / Redis bytes: every connection ends forwarded or closed, the VM never traps.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { afterEach, describe, expect, it } from 'vitest';
import { Host, type Plugin } from '../../sandbox/host/index.js';
import { shadowConfig, WASM } from './support.js';
import * as w from './pg-wire.js';
import { TestControlPlane } from '../filter/support/control-plane.js';
import { cp, hostWith } from '../filter/support/fixtures.js';

const schema = JSON.parse(readFileSync('schema/filter-config.schema.json', 'utf8'));
const validate = new Ajv({ strict: false }).compile(schema);

let host: Host;
let logs: string[] = [];
afterEach(async () => {
  await host?.close();
});

async function load(configuration: unknown): Promise<Plugin> {
  logs = [];
  host = new Host({ onLog: (e) => logs.push(e.message) });
  return host.loadPlugin({ wasm: WASM, configuration: configuration as object });
}

/** A connection through the filter; records whether tcp_proxy connected and what went where. */
function open(plugin: Plugin, opts: Parameters<Plugin['newConnection']>[0] = {}) {
  const c = plugin.newConnection({ cluster: 'orders_db', ...opts });
  let connected = false;
  c.on('connect', () => {
    connected = true;
    c.upstreamConnected('10.0.0.9:5432');
  });
  const verdict = c.start();
  return { c, verdict, connected: () => connected };
}

describe('fail-safe', () => {
  it('no configuration: every connection is closed before tcp_proxy connects', async () => {
    const plugin = await load('');
    const { c, verdict, connected } = open(plugin);
    expect(verdict).toBe('stop');
    expect(c.closed).toBe(true);
    expect(c.closeDetails).toBe('wasm_downstream_close');
    expect(connected()).toBe(false);
  });

  it('a shadow without connection rules denies every connection', async () => {
    const plugin = await load({ role: 'shadow', variant: 'candidate', service: 'orders' });
    const { c, connected } = open(plugin, { destination: '10.0.0.9:5432' });
    expect(c.closed).toBe(true);
    expect(connected()).toBe(false);
  });

  it('a live workload: connections pass untouched, bytes unchanged', async () => {
    const plugin = await load({ role: 'live', service: 'orders' });
    const { c, verdict, connected } = open(plugin);
    expect(verdict).toBe('continue');
    expect(connected()).toBe(true);
    const q = w.query("INSERT INTO orders VALUES ('live')");
    c.receiveDownstream(w.startup());
    c.receiveDownstream(q);
    expect(Buffer.concat(c.toUpstream)).toEqual(Buffer.concat([w.startup(), q]));
    expect(c.closed).toBe(false);
  });
});

describe('connection rules', () => {
  const rules = {
    rules: [
      { name: 'db-net', cidr: '10.1.0.0/16', port: 5432, action: 'readonly', protocol: 'postgres' },
      { name: 'stripe', sni: '*.stripe.com', action: 'allow' },
      { name: 'cache', host: 'jobs.shop.svc.cluster.local', action: 'readonly', protocol: 'redis' },
      { name: 'broker', port: 9092, action: 'deny' },
    ],
  };

  it('CIDR + port match at accept; other addresses fall to the default deny', async () => {
    const plugin = await load(shadowConfig(rules));
    expect(open(plugin, { destination: '10.1.2.3:5432' }).c.closed).toBe(false);
    const other = open(plugin, { destination: '10.2.0.1:5432', cluster: 'outbound|5432||pg.other.svc.cluster.local' });
    other.c.receiveDownstream(w.startup());
    expect(other.c.closed).toBe(true);
    expect(other.c.toUpstream).toEqual([]);
  });

  it('an exact IPv6 rule matches the bracketed address case-insensitively, with or without a port; a CIDR never matches IPv6', async () => {
    const plugin = await load(
      shadowConfig({
        rules: [
          { name: 'v4-net', cidr: '10.1.0.0/16', action: 'allow' },
          { name: 'v6-db', cidr: 'fd00::5', action: 'allow' },
        ],
      }),
    );
    expect(open(plugin, { destination: '[FD00::5]:5432' }).connected()).toBe(true);
    expect(open(plugin, { destination: '[fd00::5]' }).connected()).toBe(true);
    expect(open(plugin, { destination: '[fd00::6]:5432' }).c.closed).toBe(true);
    expect(open(plugin, { destination: '10.1.7.7' }).connected()).toBe(true);
    expect(open(plugin, { destination: '10.2.7.7:80' }).c.closed).toBe(true);
  });

  it('SNI globs: a listed host is allowed, an unlisted one refused before any upstream connection', async () => {
    const plugin = await load(shadowConfig({ rules: [rules.rules[1]] }));
    expect(open(plugin, { sni: 'api.stripe.com', destination: '1.2.3.4:443' }).connected()).toBe(true);
    const refused = open(plugin, { sni: 'api.payments.example', destination: '1.2.3.4:443' });
    expect(refused.c.closed).toBe(true);
    expect(refused.connected()).toBe(false);
  });

  it('a host rule waits for tcp_proxy to pick the cluster, then decides before the first byte leaves', async () => {
    const plugin = await load(shadowConfig(rules));
    const ok = open(plugin, { destination: '10.9.9.9:6379', cluster: 'outbound|6379||jobs.shop.svc.cluster.local' });
    ok.c.receiveDownstream(Buffer.from('*1\r\n$4\r\nPING\r\n'));
    expect(Buffer.concat(ok.c.toUpstream).toString()).toBe('*1\r\n$4\r\nPING\r\n');
    // The host rule comes before the port rule 'broker': undecidable at accept, so tcp_proxy connects;
    // the first byte brings the cluster, the broker rule denies, and no byte leaves.
    const denied = open(plugin, { destination: '10.9.9.9:9092', cluster: 'outbound|9092||kafka.svc' });
    expect(denied.c.closed).toBe(false);
    expect(denied.connected()).toBe(true);
    denied.c.receiveDownstream(Buffer.from([0, 0, 0, 20, 0, 18]));
    expect(denied.c.closed).toBe(true);
    expect(denied.c.toUpstream).toEqual([]);
  });

  it('the connections section is validated exactly like the schema', async () => {
    const bad: Array<[unknown, string]> = [
      [{ rules: [{ name: 'a', action: 'readonly' }] }, 'readonly needs a protocol guard'],
      [{ rules: [{ name: 'a', action: 'allow', cidr: '10.0.0.0/33' }] }, 'prefix length'],
      [{ rules: [{ name: 'a', action: 'allow', port: 0 }] }, 'port: must be >= 1'],
      [{ rules: [{ name: 'a', action: 'allow', rateLimit: { statementsPerSecond: 5 } }] }, 'needs action readonly'],
      [{ rules: [{ name: 'a', action: 'deny', protocol: 'mysql' }] }, 'protocol: must be one of'],
      [
        { rules: [{ name: 'a', action: 'allow', protocol: 'redis', requireReplica: true }] },
        'only for protocol postgres',
      ],
      [{ defaultAction: 'maybe' }, 'defaultAction: must be one of'],
      [{ rules: [{ name: 'a', action: 'allow', hots: 'x' }] }, 'hots: unknown field'],
    ];
    for (const [connections, message] of bad) {
      const doc = shadowConfig(connections);
      expect(validate(doc), JSON.stringify(connections)).toBe(false);
      await expect(load(doc)).rejects.toThrow(/proxy_on_configure returned false/);
      expect(logs.join('\n')).toContain(message);
      await host.close();
    }
    const good = shadowConfig({
      ...rules,
      rules: [
        ...rules.rules,
        {
          name: 'pg',
          port: 5432,
          action: 'readonly',
          protocol: 'postgres',
          requireReplica: true,
          rateLimit: { connectionsPerSecond: 5, statementsPerSecond: 100, burst: 10 },
        },
      ],
    });
    expect(validate(good)).toBe(true);
    await expect(load(good)).resolves.toBeDefined();
  });
});

describe('fuzz: random and truncated protocol bytes never trap', () => {
  // Deterministic PRNG (mulberry32) so a failure replays.
  const rng = (seed: number) => () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pgSamples = [
    w.startup(),
    w.query("SELECT * FROM orders WHERE id = 1; INSERT INTO orders VALUES ('x')"),
    w.parse("WITH x AS (DELETE FROM t RETURNING *) SELECT $1, 'it''s', $$dollar$$, E'\\\\x'"),
    w.bind(),
    w.execute(),
    w.sync(),
    w.functionCall(1),
    w.sslRequest(),
  ];
  const redisSamples = [
    '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n',
    '*2\r\n$3\r\nGET\r\n$1\r\nk\r\n',
    'PING\r\n',
    '*1\r\n$5\r\nMULTI\r\n',
    '*-1\r\n',
    '$5\r\nhello\r\n',
  ].map((s) => Buffer.from(s));

  it.each([
    ['postgres', pgSamples, { rules: [{ name: 'pg', action: 'readonly', protocol: 'postgres' }] }],
    ['redis', redisSamples, { rules: [{ name: 'r', action: 'readonly', protocol: 'redis' }] }],
  ] as const)(
    '%s: 1500 connections of mutated, truncated and random bytes',
    async (_name, samples, connections) => {
      const plugin = await load(shadowConfig(connections));
      const r = rng(_name === 'postgres' ? 1 : 2);
      let closed = 0;
      let forwarded = 0;
      for (let i = 0; i < 1500; i++) {
        const { c } = open(plugin);
        const parts: Buffer[] = [];
        const n = 1 + Math.floor(r() * 6);
        for (let k = 0; k < n; k++) {
          let b = Buffer.from(samples[Math.floor(r() * samples.length)]);
          const mode = r();
          if (mode < 0.3)
            b = b.subarray(0, Math.floor(r() * b.length)); // truncated
          else if (mode < 0.6)
            for (let m = 0; m < 3; m++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256); // mutated
          else if (mode < 0.75)
            b = Buffer.from(Array.from({ length: Math.floor(r() * 64) }, () => Math.floor(r() * 256))); // random
          parts.push(b);
        }
        const all = Buffer.concat(parts);
        // Random segmentation.
        for (let at = 0; at < all.length && !c.closed; ) {
          const len = 1 + Math.floor(r() * 40);
          c.receiveDownstream(all.subarray(at, at + len));
          at += len;
        }
        // Random server bytes too (the ParameterStatus watch parses them).
        if (!c.closed)
          c.receiveUpstream(Buffer.from(Array.from({ length: Math.floor(r() * 32) }, () => Math.floor(r() * 256))));
        if (c.closed) closed++;
        else forwarded++;
        c.close('remote');
        expect(plugin.failed, `connection ${i}: ${plugin.failures.join('; ')}`).toBe(false);
      }
      expect(closed).toBeGreaterThan(0);
      expect(forwarded).toBeGreaterThan(0);
    },
    60_000,
  );
});

describe('statement samples in connection events', () => {
  const resp = (...args: string[]) =>
    Buffer.from(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);

  it("a blocked Redis command's sample is its name (a container's subcommand too), never its key", async () => {
    const plane = await TestControlPlane.start();
    try {
      host = hostWith(plane.port);
      const plugin = await host.loadPlugin({
        wasm: WASM,
        configuration: {
          ...shadowConfig({ rules: [{ name: 'cache', port: 6379, action: 'readonly', protocol: 'redis' }] }),
          ...cp(plane.port),
        },
      });
      for (const command of [resp('LPUSH', 'session:4711', 'x'), resp('CONFIG', 'SET', 'maxmemory', '1')]) {
        const { c } = open(plugin, { destination: '10.0.0.7:6379' });
        c.receiveDownstream(command);
        c.close('remote'); // closing flushes the guard's statement counts into events
      }
      const events = () =>
        plane.received
          .flatMap((m) => (m.batch ? m.batch.messages : [m]))
          .flatMap((m) => (m.egress?.statementClass ? [m.egress] : []));
      await plugin.waitFor(() => events().length >= 2, 5000);
      expect(events().map((e) => [e.statementClass, e.sample])).toEqual([
        ['write', 'LPUSH'],
        ['blocked-escape', 'CONFIG SET'],
      ]);
      expect(JSON.stringify(events())).not.toMatch(/4711/i);
    } finally {
      await plane.close();
    }
  });
});
