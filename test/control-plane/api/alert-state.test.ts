// Alerts that do not flap, with a state an operator moves (open → acknowledged → resolved), through a
// real control plane fed over the gRPC stream.
import { afterEach, describe, expect, it } from 'vitest';
import { AckingFilter, boot, Clock, halfMessage, tempDir, until, VIEWER } from '../ramp/fixtures.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('alerts', () => {
  it('hovering at the threshold is one alert (hysteresis); it resolves below resolveBelow; operators acknowledge and resolve', async () => {
    const cp = await boot(tempDir(cleanups), new Clock(), cleanups);
    await cp.api('/api/v1/policies/checkout', {
      method: 'PUT',
      body: JSON.stringify({ services: ['checkout'], alerts: { mismatchRate: 50, minPairs: 4 } }), // resolveBelow 40
    });
    const edge = await AckingFilter.edge(cp.grpcPort, cleanups);
    const shadow = await AckingFilter.candidate(cp.grpcPort, cleanups);
    let n = 0;
    const pairs = async (pattern: string) => {
      for (const c of pattern) {
        n++;
        await edge.send(halfMessage(`a${n}`, 'LIVE', 'GET', `/orders/${n}`, { total: 10 }));
        await shadow.send(halfMessage(`a${n}`, 'CANDIDATE', 'GET', `/orders/${n}`, { total: c === 'B' ? 11 : 10 }));
      }
      await until(async () => (await cp.json('/api/v1/reports/checkout')).body.endpoints[0]?.pairs === n, `${n} pairs`);
    };
    const alerts = async (q = '') => (await cp.json(`/api/v1/alerts?policy=checkout${q}`)).body.alerts;

    await pairs('BBGG'); // 2/4 = 50 %: alert
    await until(async () => (await alerts()).length === 1, 'the alert');
    const [first] = await alerts();
    expect(first).toMatchObject({
      endpoint: 'GET /orders/{id}',
      rate: 50,
      state: 'open',
      stateBy: null,
      stateAt: null,
    });

    const ack = await cp.json(`/api/v1/alerts/${first.id}/acknowledge`, { method: 'POST' });
    expect(ack).toMatchObject({ status: 200, body: { id: first.id, state: 'acknowledged', stateBy: 'eddie' } });
    expect(ack.body.stateAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((await cp.json(`/api/v1/alerts/${first.id}/resolve`, { method: 'POST', token: VIEWER })).status).toBe(403);
    expect((await cp.json('/api/v1/alerts/999/resolve', { method: 'POST' })).status).toBe(404);

    await pairs('G'); // 2/5 = 40 %: below the threshold, not below resolveBelow (40): still the same alert
    await pairs('B'); // 3/6 = 50 %: the old rule alerted again here; hysteresis does not
    expect(await alerts()).toHaveLength(1);

    await pairs('GG'); // 3/8 = 37.5 % < 40 %: recovered, the alert resolves by itself
    await until(async () => (await alerts())[0].state === 'resolved', 'the alert to resolve');
    expect((await alerts())[0]).toMatchObject({ id: first.id, state: 'resolved', stateBy: 'shadowguard' });
    expect(await alerts('&state=open')).toEqual([]);

    await pairs('BBBB'); // 5/10 = 50 %: a new breach after recovery alerts again
    await until(async () => (await alerts()).length === 2, 'the second alert');
    expect((await alerts('&state=open')).map((a: { rate: number }) => Math.round(a.rate))).toEqual([50]);
  });
});
