// A ramp guard breach is an alert like any other (control-plane/src/alerts.ts, the sink ingest uses
// too): stored, on the dashboard's event feed (GET /api/v1/events) and POSTed to the policy's webhook
// — here a real HTTP server on 127.0.0.1 — with the guard named. The ramp runs on the test's clock.
import { afterEach, describe, expect, it } from 'vitest';
import { AckingFilter, boot, Clock, eventFeed, halfMessage, tempDir, until, waitForPairs } from './fixtures.js';
import { webhookServer } from '../../fixtures/http-receiver.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a ramp breach alert', () => {
  it('reaches the policy webhook and the event feed, naming the guard, and is marked delivered', async () => {
    const hook = await webhookServer(cleanups);
    const clock = new Clock();
    const cp = await boot(tempDir(cleanups), clock, cleanups);
    const spec = {
      services: ['checkout'],
      // Mismatch alerts out of reach: the only alert here is the ramp's.
      alerts: { mismatchRate: 100, minPairs: 1000000, webhook: hook.url },
      ramp: {
        stages: [1, 5],
        holdSeconds: 60,
        evaluateEverySeconds: 10,
        onBreach: 'pause',
        guards: { shadowErrorRate: 10, minPairs: 3 },
      },
    };
    expect((await cp.api('/api/v1/policies/checkout', { method: 'PUT', body: JSON.stringify(spec) })).status).toBe(201);
    const feed = await eventFeed(cp, cleanups);
    expect((await cp.json('/api/v1/policies/checkout/ramp/start', { method: 'POST' })).body).toMatchObject({
      status: 'running',
      percent: 1,
    });

    const edge = await AckingFilter.edge(cp.grpcPort, cleanups);
    const shadow = await AckingFilter.candidate(cp.grpcPort, cleanups);
    for (const id of ['e1', 'e2', 'e3', 'e4']) {
      await edge.send(halfMessage(id, 'LIVE', 'GET', '/users/1', { name: 'Ada' }));
      await shadow.send(halfMessage(id, 'CANDIDATE', 'GET', '/users/1', { error: 'boom' }, 503));
    }
    await waitForPairs(cp, 4);
    expect(hook.received).toEqual([]);

    clock.advance(10);
    await cp.ramp.tick();
    expect((await cp.json('/api/v1/policies/checkout/ramp')).body).toMatchObject({ status: 'paused', percent: 1 });

    const message = 'checkout: ramp paused at stage 1 (1%): guard shadowErrorRate: 100% of 4 pairs answered 5xx > 10%';
    await until(async () => hook.received.length > 0, 'the webhook to receive the alert');
    expect(hook.received).toEqual([
      {
        type: 'shadowguard.alert',
        alert: {
          id: expect.any(Number),
          policy: 'checkout',
          endpoint: '(ramp guard shadowErrorRate)',
          rate: 100,
          pairs: 4,
          at: clock.t,
          message,
          source: 'ramp',
          guard: 'shadowErrorRate',
          kind: 'breach',
        },
      },
    ]);
    const id = hook.received[0].alert.id;
    await until(async () => feed.some((e) => e.type === 'alert'), 'the alert event');
    expect(feed.filter((e) => e.type === 'alert').map((e) => e.data)).toEqual([
      expect.objectContaining({ id, policy: 'checkout', guard: 'shadowErrorRate', source: 'ramp', message }),
    ]);
    await until(
      async () => (await cp.json('/api/v1/alerts?policy=checkout')).body.alerts[0]?.delivered === true,
      'the alert to be marked delivered',
    );
    expect((await cp.json('/api/v1/alerts?policy=checkout')).body.alerts).toEqual([
      expect.objectContaining({ id, message, delivered: true }),
    ]);
  });

  it('is stored and on the feed when the webhook is dead, and the ramp does not wait for it', async () => {
    const clock = new Clock();
    const cp = await boot(tempDir(cleanups), clock, cleanups);
    // Port 9 (discard) on loopback: nothing listens, the POST fails fast; the ramp must not care.
    const spec = {
      services: ['checkout'],
      alerts: { mismatchRate: 100, minPairs: 1000000, webhook: 'http://127.0.0.1:9/hook' },
      ramp: {
        stages: [1, 5],
        evaluateEverySeconds: 10,
        onBreach: 'revert',
        guards: { shadowErrorRate: 0, minPairs: 1 },
      },
    };
    await cp.api('/api/v1/policies/checkout', { method: 'PUT', body: JSON.stringify(spec) });
    const feed = await eventFeed(cp, cleanups);
    await cp.api('/api/v1/policies/checkout/ramp/start', { method: 'POST' });
    const edge = await AckingFilter.edge(cp.grpcPort, cleanups);
    const shadow = await AckingFilter.candidate(cp.grpcPort, cleanups);
    await edge.send(halfMessage('x1', 'LIVE', 'GET', '/users/1', {}));
    await shadow.send(halfMessage('x1', 'CANDIDATE', 'GET', '/users/1', {}, 500));
    await waitForPairs(cp, 1);
    clock.advance(10);
    await cp.ramp.tick();
    expect((await cp.json('/api/v1/policies/checkout/ramp')).body).toMatchObject({ status: 'reverted', percent: 0 });
    await until(async () => feed.some((e) => e.type === 'alert'), 'the alert event');
    const { body } = await cp.json('/api/v1/alerts?policy=checkout');
    expect(body.alerts).toEqual([
      expect.objectContaining({ endpoint: '(ramp guard shadowErrorRate)', delivered: false }),
    ]);
  });
});
