import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Policy, PolicySpec } from '../../../control-plane/src/domain/types.js';
import { AlertSink } from '../../../control-plane/src/alerts.js';
import { Pairer } from '../../../control-plane/src/pairing/pairer.js';
import { ReportBook } from '../../../control-plane/src/reports/aggregate.js';
import { BlastRadius } from '../../../control-plane/src/reports/blast-radius.js';
import { SqliteStore } from '../../../control-plane/src/store/sqlite.js';
import { webhookServer } from '../../fixtures/http-receiver.js';
import { egress, half, ingestFor } from './engine-fixtures.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function policy(spec: Partial<PolicySpec> = {}): Policy {
  return { name: 'checkout', version: 1, spec: { services: ['checkout'], ...spec }, updatedAt: '', updatedBy: 't' };
}

function setup(p: Policy | undefined, webhook?: { timeoutMs?: number; maxInFlight?: number }) {
  const store = new SqliteStore({ dataDir: ':memory:' });
  cleanups.push(() => store.close());
  const reports = new ReportBook();
  const blast = new BlastRadius();
  const ingest = ingestFor(p ? [p] : [], {
    reports,
    blast,
    store,
    // The receivers are http on 127.0.0.1; one attempt each (retries: webhook-delivery.test.ts).
    webhook: { attempts: 1, rules: { allowHttp: true, allowLoopback: true }, ...webhook },
  });
  return { store, reports, blast, ingest };
}

describe('ingest', () => {
  it('pairs a live and a candidate half, compares them and adds the result to the report book', () => {
    const { ingest, reports } = setup(policy());
    ingest.handlers.onHalf(half('p1', 'live', { name: 'Ada', plan: 'pro' }), {} as never);
    expect(reports.endpoints('checkout')).toEqual([]);
    ingest.handlers.onHalf(half('p1', 'candidate', { name: 'Ada', plan: 'free' }), {} as never);
    const eps = reports.endpoints('checkout');
    expect(eps).toHaveLength(1);
    expect(JSON.stringify(reports.endpoint('checkout', eps[0].endpoint))).toContain('plan');
    expect(ingest.stats()).toMatchObject({ halves: 2, pairs: 1, unmatched: 0 });
  });

  it('counts halves of services no policy covers and drops them', () => {
    const { ingest, reports } = setup(undefined);
    ingest.half(half('p1', 'live', {}));
    ingest.half(half('p1', 'candidate', {}));
    expect(ingest.stats()).toMatchObject({ halves: 2, unmatched: 2, pairs: 0 });
    expect(reports.policies()).toEqual([]);
  });

  it("files halves and egress events under the service of the stream's Hello, not the one a message names", () => {
    const { ingest, reports, blast } = setup(policy());
    const intruder = { service: 'other' } as never;
    // A filter of another service claims "checkout" in its messages: nothing reaches checkout's reports.
    ingest.handlers.onHalf(half('x1', 'live', { a: 1 }), intruder);
    ingest.handlers.onHalf(half('x1', 'candidate', { a: 2 }), intruder);
    ingest.handlers.onEgress(egress(), intruder);
    expect(ingest.stats()).toMatchObject({ halves: 2, unmatched: 2, pairs: 0 });
    expect(reports.endpoints('checkout')).toEqual([]);
    expect(JSON.stringify(blast.map(['checkout']))).not.toContain('pay.example');
    // The same messages from checkout's own stream are paired.
    const own = { service: 'checkout' } as never;
    ingest.handlers.onHalf(half('x2', 'live', { a: 1 }), own);
    ingest.handlers.onHalf(half('x2', 'candidate', { a: 2 }), own);
    expect(ingest.stats().pairs).toBe(1);
  });

  it('feeds egress events to the blast-radius map', () => {
    const { ingest, blast } = setup(policy());
    ingest.handlers.onEgress(egress(), {} as never);
    ingest.egress(egress({ decision: 'allowed' }));
    const map = blast.map(['checkout']);
    expect(JSON.stringify(map)).toContain('pay.example');
    expect(ingest.stats().egressEvents).toBe(2);
  });

  it('stores an alert and POSTs it to the policy webhook, marking it delivered', async () => {
    const hook = await webhookServer(cleanups, (_req, res) => {
      res.writeHead(204).end();
    });
    const { ingest, store } = setup(policy({ alerts: { mismatchRate: 10, minPairs: 1, webhook: hook.url } }));
    ingest.half(half('p1', 'live', { total: 10 }));
    ingest.half(half('p1', 'candidate', { total: 11 }));
    await ingest.drain();
    const [alert] = await store.listAlerts();
    expect(alert).toMatchObject({ policy: 'checkout', delivered: true, pairs: 1 });
    expect(hook.received).toEqual([
      {
        type: 'shadowguard.alert',
        alert: expect.objectContaining({ id: alert.id, policy: 'checkout', endpoint: alert.endpoint }),
      },
    ]);
    expect(ingest.stats()).toMatchObject({ alerts: 1, webhookDelivered: 1 });
  });

  it('never waits for a webhook that hangs: ingest returns at once, the delivery times out', async () => {
    const hook = await webhookServer(cleanups, () => {
      /* never answers */
    });
    const { ingest, store } = setup(policy({ alerts: { mismatchRate: 10, minPairs: 1, webhook: hook.url } }), {
      timeoutMs: 200,
    });
    const t0 = performance.now();
    ingest.half(half('p1', 'live', { total: 10 }));
    ingest.half(half('p1', 'candidate', { total: 11 }));
    expect(performance.now() - t0).toBeLessThan(100);
    await ingest.drain();
    expect((await store.listAlerts())[0].delivered).toBe(false);
    expect(ingest.stats()).toMatchObject({ alerts: 1, webhookFailed: 1 });
  });

  it('shares one alert sink with other raisers: one feed, one bound on webhook calls in flight', async () => {
    const hook = await webhookServer(cleanups, () => {
      /* never answers */
    });
    const store = new SqliteStore({ dataDir: ':memory:' });
    cleanups.push(() => store.close());
    const feed: unknown[] = [];
    const alerts = new AlertSink({
      store,
      logger: pino({ level: 'silent' }),
      webhook: { timeoutMs: 300, maxInFlight: 1, attempts: 1, rules: { allowHttp: true, allowLoopback: true } },
      onStored: (a) => feed.push(a),
    });
    const p = policy({ alerts: { mismatchRate: 10, minPairs: 1, webhook: hook.url } });
    const ingest = ingestFor([p], { pairer: new Pairer(), alerts });
    ingest.half(half('p1', 'live', { total: 10 }));
    ingest.half(half('p1', 'candidate', { total: 11 }));
    await new Promise((r) => setTimeout(r, 50)); // ingest's POST is now in flight (the webhook never answers)
    // Another raiser (the ramp controller in main.ts) on the same sink: stored and on the feed, not POSTed.
    const stored = await alerts.raise(
      {
        at: 1,
        policy: 'checkout',
        endpoint: '(ramp guard capacity)',
        rate: 1,
        pairs: 0,
        message: 'ramp paused',
        guard: 'capacity',
      },
      hook.url,
    );
    expect(stored).toMatchObject({ id: expect.any(Number), delivered: false });
    await ingest.drain();
    expect(feed).toEqual([
      expect.objectContaining({ policy: 'checkout', pairs: 1 }),
      expect.objectContaining({ id: stored!.id, guard: 'capacity' }),
    ]);
    expect(hook.received).toHaveLength(1);
    expect(ingest.stats()).toMatchObject({ pairs: 1, alerts: 2, webhookFailed: 1, webhookSkipped: 1 });
    expect(await store.listAlerts()).toHaveLength(2);
  });

  it('keeps going when the engine throws on a pair', () => {
    const { ingest } = setup(policy());
    const broken = ingestFor([policy()], {
      pairer: new Pairer(),
      compare: () => {
        throw new Error('boom');
      },
      store: {
        addAlert: async () => {
          throw new Error();
        },
        markAlertDelivered: async () => {},
      },
    });
    broken.half(half('p1', 'live', {}));
    expect(() => broken.half(half('p1', 'candidate', {}))).not.toThrow();
    expect(broken.stats()).toMatchObject({ compareErrors: 1, pairs: 0 });
    expect(ingest.stats().compareErrors).toBe(0);
  });

  it('compares a pair that only misses its secondary when it expires', async () => {
    let now = 0;
    const reports = new ReportBook();
    const p = policy({ secondary: true });
    const ingest = ingestFor([p], {
      pairer: new Pairer({ windowMs: 1000, now: () => now }),
      reports,
      store: new SqliteStore({ dataDir: ':memory:' }),
    });
    ingest.half(half('p1', 'live', { a: 1 }));
    ingest.half(half('p1', 'candidate', { a: 2 }));
    expect(reports.endpoints('checkout')).toEqual([]);
    now = 5000;
    ingest.tick();
    expect(reports.endpoints('checkout')).toHaveLength(1);
  });

  it('flush (shutdown) compares now the pairs that wait only for a secondary, and counts them', () => {
    const reports = new ReportBook();
    const p = policy({ secondary: true });
    const pairer = new Pairer({ windowMs: 60_000 });
    const store = new SqliteStore({ dataDir: ':memory:' });
    cleanups.push(() => store.close());
    const ingest = ingestFor([p], { pairer, reports, store });
    for (const id of ['p1', 'p2']) {
      ingest.half(half(id, 'live', { a: 1 }));
      ingest.half(half(id, 'candidate', { a: 2 }));
    }
    ingest.half(half('p3', 'live', { a: 1 })); // no candidate: nothing to compare, stays pending
    ingest.tick();
    expect(reports.endpoints('checkout')).toEqual([]);
    expect(ingest.stats().pairs).toBe(0);
    ingest.flush();
    expect(ingest.stats()).toMatchObject({ halves: 5, pairs: 2 });
    expect(reports.endpoints('checkout').map((e) => e.pairs)).toEqual([2]);
    expect(pairer.stats()).toMatchObject({ degraded: 2, pending: 1 });
    // flushed pairs are closed: a secondary arriving now is late, never a second comparison
    ingest.half(half('p1', 'secondary', { a: 1 }));
    ingest.flush();
    expect(ingest.stats().pairs).toBe(2);
    expect(pairer.stats().late).toBe(1);
  });
});
