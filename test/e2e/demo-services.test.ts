// The demo's building blocks on their own, without mesh or filter: the shop's two versions, the
// counting providers, the traffic generator and the seeded policy (valid against the policy schema).
import fs from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { closeServer, jsonOf, listen, send } from '../../sandbox/demo/http.js';
import { demoPolicy } from '../../sandbox/demo/policy.js';
import { main as providerMain, startProvider, type RunningProvider } from '../../sandbox/demo/providers.js';
import { main as shopMain, startShop, type RunningShop } from '../../sandbox/demo/shop.js';
import { plan, runTraffic } from '../../sandbox/demo/traffic.js';

let email: RunningProvider, payments: RunningProvider, catalog: RunningProvider;
let v1: RunningShop, v2: RunningShop;

const deps = () => ({
  catalog: { authority: 'catalog:8080', url: catalog.url },
  payments: { authority: 'payments:8080', url: payments.url },
  email: { authority: 'email:8080', url: email.url },
});
const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  send(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  [email, payments, catalog] = await Promise.all([
    startProvider({ name: 'email' }),
    startProvider({ name: 'payments' }),
    startProvider({ name: 'catalog' }),
  ]);
  [v1, v2] = await Promise.all([
    startShop({ version: 'v1', dependencies: deps() }),
    startShop({ version: 'v2', dependencies: deps() }),
  ]);
});
afterAll(async () => {
  await Promise.all([v1, v2, email, payments, catalog].map((s) => s?.close()));
});
const resetAll = () => [email, payments, catalog].forEach((p) => p.reset());

describe('shop', () => {
  it('answers a user with the volatile request_id, timestamp and session_token fields', async () => {
    const a = jsonOf(await send(`${v1.url}/users/7`)) as Record<string, unknown>;
    const b = jsonOf(await send(`${v1.url}/users/7`)) as Record<string, unknown>;
    expect(a.user).toEqual({ id: 7, name: 'Customer 7', email: 'customer7@example.com', tier: 'standard' });
    expect(a.user).toEqual(b.user);
    expect(a.request_id).not.toEqual(b.request_id);
    expect(a.session_token).not.toEqual(b.session_token);
    expect(Date.parse(String(a.timestamp))).toBeGreaterThan(0);
    expect((await send(`${v1.url}/users/1000`)).status).toBe(404);
  });

  it('places an order: one catalog read, one charge, one e-mail, with the inbound markers propagated', async () => {
    resetAll();
    const headers = {
      'idempotency-key': 'k-1',
      'x-shadow': 'candidate',
      baggage: 'shadow=candidate',
      'x-request-id': 'r-1',
      'x-other': 'no',
    };
    const r = await post(`${v1.url}/orders`, { userId: 3, productId: 12, quantity: 2 }, headers);
    expect(r.status).toBe(201);
    const order = (jsonOf(r) as { order: Record<string, unknown> }).order;
    expect(order).toMatchObject({
      userId: 3,
      productId: 12,
      quantity: 2,
      status: 'confirmed',
      payment: 'succeeded',
      confirmationQueued: true,
    });
    expect(catalog.stats().byRoute).toEqual({ 'GET /items/{id}': 1 });
    expect(payments.stats()).toMatchObject({ total: 1, effects: 1, shadowTagged: 1, byRoute: { 'POST /charges': 1 } });
    expect(email.stats()).toMatchObject({ total: 1, effects: 1, shadowTagged: 1 });
    expect(payments.requests()[0]).toMatchObject({ idempotencyKey: 'k-1', shadow: 'candidate' });
    // v2 with the same idempotency key computes the same order id: ids derived from the key do not diff.
    const r2 = await post(`${v2.url}/orders`, { userId: 3, productId: 12, quantity: 2 }, headers);
    expect((jsonOf(r2) as { order: { id: string } }).order.id).toBe(order.id);
    // ...and payments treated it as a replay: no second charge.
    expect(payments.stats()).toMatchObject({ total: 2, effects: 1 });
  });

  it('v2 carries the deliberate refund regression, and only there', async () => {
    const a = jsonOf(await post(`${v1.url}/refunds/4242`, { amount: 100 })) as { refund: unknown };
    const b = jsonOf(await post(`${v2.url}/refunds/4242`, { amount: 100 })) as { refund: unknown };
    expect(a.refund).toEqual({ orderId: 4242, amount: 100, currency: 'EUR', status: 'refunded' });
    expect(b.refund).toEqual({ orderId: 4242, amount: 90, currency: 'EUR', status: 'pending' });
    const p1 = jsonOf(await send(`${v1.url}/products/5`)) as { product: unknown };
    const p2 = jsonOf(await send(`${v2.url}/products/5`)) as { product: unknown };
    expect(p1.product).toEqual(p2.product);
  });

  it('sends its calls to the egress proxy with the dependency as Host when one is set', async () => {
    const seen: Array<{ host?: string; url?: string; method?: string }> = [];
    const proxy = http.createServer((req, res) => {
      seen.push({ host: req.headers.host, url: req.url, method: req.method });
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ id: 1, price: 2.5, status: 'succeeded', queued: true }));
    });
    const port = await listen(proxy, 0);
    const shadow = await startShop({ version: 'v2', dependencies: deps(), egressProxy: `http://127.0.0.1:${port}` });
    try {
      resetAll();
      const r = await post(`${shadow.url}/orders`, { userId: 1, productId: 1 });
      expect(r.status).toBe(201);
      expect(seen).toEqual([
        { host: 'catalog:8080', url: '/items/1', method: 'GET' },
        { host: 'payments:8080', url: '/charges', method: 'POST' },
        { host: 'email:8080', url: '/send', method: 'POST' },
      ]);
      expect(payments.stats().total + email.stats().total + catalog.stats().total).toBe(0);
    } finally {
      await shadow.close();
      await closeServer(proxy);
    }
  });

  it('answers a denied dependency with 502 and bad input with 400, never crashing', async () => {
    const deny = http.createServer((_req, res) => {
      res.writeHead(403).end('denied');
    });
    const port = await listen(deny, 0);
    const shadow = await startShop({ version: 'v2', dependencies: deps(), egressProxy: `http://127.0.0.1:${port}` });
    try {
      const r = await post(`${shadow.url}/orders`, { userId: 1, productId: 1 });
      expect(r.status).toBe(502);
      expect(jsonOf(r)).toMatchObject({ dependency: 'catalog', status: 403 });
      expect((await send(`${v1.url}/orders`, { method: 'POST', body: '{nope' })).status).toBe(400);
      expect((await post(`${v1.url}/orders`, { userId: 'x' })).status).toBe(400);
      expect((await post(`${v1.url}/refunds/1`, { amount: -1 })).status).toBe(400);
      expect((await send(`${v1.url}/nowhere`)).status).toBe(404);
    } finally {
      await shadow.close();
      await closeServer(deny);
    }
  });

  it('CLIs reject bad flags with a message', async () => {
    await expect(shopMain(['--version', 'v3'], {})).rejects.toThrow(/--version must be v1 or v2/);
    await expect(shopMain(['--port'], {})).rejects.toThrow(/--port needs a value/);
    await expect(providerMain(['--name', 'sms'])).rejects.toThrow(/--name must be one of/);
  });
});

describe('providers', () => {
  it('count requests, shadow tags, effects and the 1-second peak; /stats itself is not counted', async () => {
    resetAll();
    for (let i = 0; i < 3; i++)
      await post(`${email.url}/send`, { to: 'a@b' }, i === 0 ? { baggage: 'foo=1,shadow=secondary' } : {});
    const s = jsonOf(await send(`${email.url}/stats`)) as Record<string, unknown>;
    expect(s).toMatchObject({
      name: 'email',
      total: 3,
      shadowTagged: 1,
      effects: 3,
      peakPerSecond: 3,
      shadowPeakPerSecond: 1,
    });
    expect(jsonOf(await send(`${email.url}/count`))).toEqual({ name: 'email', total: 3 });
    expect((await post(`${email.url}/send`, {})).status).toBe(400);
    expect((await send(`${catalog.url}/items/x`)).status).toBe(404);
  });
});

describe('traffic', () => {
  it('plans a reproducible mix that follows the weights', () => {
    const a = plan(2000, 42);
    expect(plan(2000, 42)).toEqual(a);
    const share = (e: string) => a.filter((p) => p.endpoint === e).length / a.length;
    expect(share('GET /products/{id}')).toBeCloseTo(0.4, 1);
    expect(share('POST /refunds/{id}')).toBeCloseTo(0.1, 1);
    expect(() => plan(1, 1, { 'POST /orders': 0 })).toThrow(/positive weight/);
  });

  it('sends a bounded run and counts statuses per endpoint', async () => {
    const seen: number[] = [];
    const s = await runTraffic({
      target: v1.url,
      requests: 40,
      concurrency: 3,
      seed: 3,
      onResponse: (r) => seen.push(r.status),
    });
    expect(s.sent).toBe(40);
    expect(seen).toHaveLength(40);
    expect(s.failed).toBe(0);
    expect(Object.keys(s.byEndpoint).sort()).toEqual([
      'GET /products/{id}',
      'GET /users/{id}',
      'POST /orders',
      'POST /refunds/{id}',
    ]);
  });
});

describe('seeded policy', () => {
  it('is valid against schema/policy.schema.json and names some volatile fields but not session_token', () => {
    const ajv = new Ajv({ strict: false });
    ajv.addSchema(JSON.parse(fs.readFileSync('schema/filter-config.schema.json', 'utf8')));
    const validate = ajv.compile(JSON.parse(fs.readFileSync('schema/policy.schema.json', 'utf8')));
    const spec = demoPolicy();
    expect(validate(spec), JSON.stringify(validate.errors)).toBe(true);
    expect(spec.normalize?.ignorePaths).toContain('request_id');
    expect(JSON.stringify(spec.normalize)).not.toContain('session_token');
    expect(spec.secondary).toBe(true);
    expect(spec.egress?.rules?.filter((r) => r.action === 'mock').map((r) => r.host)).toEqual([
      'email',
      'payments',
      'payments',
    ]);
  });
});
