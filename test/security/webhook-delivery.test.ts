// Alert delivery: a receiver that fails twice sees the retries, then verifies the Standard Webhooks
// signature of each attempt (same webhook-id throughout); a Slack-format policy gets {text}; an alert
// without a webhook says 'no webhook' on /api/v1/alerts instead of delivered: false.
import crypto from 'node:crypto';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { afterEach, expect, it } from 'vitest';
import { AlertSink } from '../../control-plane/src/alerts.js';
import { SqliteStore } from '../../control-plane/src/store/sqlite.js';
import { receiver, startControlPlane, type TestControlPlane } from './support.js';

const SECRET = `whsec_${Buffer.from('a-test-signing-key-of-32-bytes!!').toString('base64')}`;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Standard Webhooks verification, written from the spec: HMAC-SHA256 over "id.timestamp.body" with the base64-decoded key. */
function verify(headers: Record<string, string | string[] | undefined>, body: string): boolean {
  const id = String(headers['webhook-id']);
  const ts = String(headers['webhook-timestamp']);
  const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
  const expected = crypto.createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
  return String(headers['webhook-signature'])
    .split(' ')
    .some((s) => s === `v1,${expected}`);
}

function sink(store: SqliteStore, formatFor?: () => 'slack' | 'standard') {
  return new AlertSink({
    store,
    logger: pino({ level: 'silent' }),
    webhook: { secret: SECRET, rules: { allowHttp: true, allowLoopback: true }, attempts: 4, backoffMs: 20, formatFor },
  });
}
const alert = {
  at: 1000,
  policy: 'checkout',
  endpoint: 'POST /refunds/{id}',
  rate: 40,
  pairs: 10,
  message: 'refunds regressed',
};

it('retries after failures with backoff, signs every attempt, and ends delivered', async () => {
  const hook = await receiver([503, 500, 204]);
  cleanups.push(() => hook.close());
  const store = new SqliteStore({ dataDir: ':memory:' });
  cleanups.push(() => store.close());
  const s = sink(store);
  await s.raise(alert, `${hook.url}/hook`);
  await s.drain();

  expect(hook.received).toHaveLength(3);
  for (const r of hook.received) expect(verify(r.headers, r.body)).toBe(true);
  // And with the reference implementation (the standardwebhooks package), as a receiver would.
  const wh = new Webhook(SECRET);
  for (const r of hook.received)
    expect(wh.verify(r.body, r.headers as Record<string, string>)).toMatchObject({ type: 'shadowguard.alert' });
  expect(() =>
    wh.verify(hook.received[0].body.replace('40', '41'), hook.received[0].headers as Record<string, string>),
  ).toThrow();
  expect(new Set(hook.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
  expect(JSON.parse(hook.received[2].body)).toMatchObject({
    type: 'shadowguard.alert',
    alert: { message: 'refunds regressed' },
  });
  // A tampered body fails verification (the check above is not vacuous).
  expect(verify(hook.received[0].headers, hook.received[0].body.replace('40', '41'))).toBe(false);
  expect(s.stats()).toMatchObject({ webhookDelivered: 1, webhookFailed: 0, webhookAttempts: 3 });
  expect((await store.listAlerts())[0]).toMatchObject({ delivery: 'delivered', delivered: true });
});

it('stops at the attempt bound and says failed; a 4xx other than 408/429 is not retried', async () => {
  const dead = await receiver([500]);
  const gone = await receiver([410]);
  cleanups.push(
    () => dead.close(),
    () => gone.close(),
  );
  const store = new SqliteStore({ dataDir: ':memory:' });
  cleanups.push(() => store.close());
  const s = sink(store);
  await s.raise(alert, `${dead.url}/hook`);
  await s.raise({ ...alert, at: 2000 }, `${gone.url}/hook`);
  await s.drain();
  expect(dead.received).toHaveLength(4);
  expect(gone.received).toHaveLength(1);
  expect((await store.listAlerts()).map((a) => a.delivery)).toEqual(['failed', 'failed']);
});

it('sends Slack-compatible {text} when the policy asks for it', async () => {
  const hook = await receiver([200]);
  cleanups.push(() => hook.close());
  const store = new SqliteStore({ dataDir: ':memory:' });
  cleanups.push(() => store.close());
  const s = sink(store, () => 'slack');
  await s.raise(alert, `${hook.url}/hook`);
  await s.drain();
  expect(JSON.parse(hook.received[0].body)).toEqual({ text: expect.stringContaining('refunds regressed') });
});

it("an alert without a webhook reads 'no webhook' on /api/v1/alerts", async () => {
  const t: TestControlPlane = await startControlPlane();
  cleanups.push(() => t.close());
  // The running control plane's store and the same sink type main.ts wires in.
  const s = new AlertSink({ store: t.cp.store, logger: pino({ level: 'silent' }) });
  await s.raise(alert, undefined);
  await s.drain();
  const r = await t.api('GET', '/api/v1/alerts');
  expect(r.body.alerts).toEqual([expect.objectContaining({ delivery: 'no webhook', delivered: false })]);
});
