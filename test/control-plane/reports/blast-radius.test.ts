import { describe, expect, it } from 'vitest';
import { BlastRadius } from '../../../control-plane/src/reports/blast-radius.js';
import { egress, manualClock } from '../../fixtures/halves.js';

describe('BlastRadius', () => {
  it('maps every destination a shadow service touched with counts per decision and route', () => {
    const b = new BlastRadius();
    b.add(egress({ destination: 'api.stripe.com:443', path: '/v1/charges', decision: 'mocked' }));
    b.add(egress({ destination: 'api.stripe.com:443', path: '/v1/refunds/re_3MqLk2eZvKYlo2C1', decision: 'denied' }));
    b.add(egress({ destination: 'smtp.mail.svc', method: 'POST', path: '/send', decision: 'denied' }));
    b.add(egress({ destination: 'inventory.shop.svc', method: 'GET', path: '/stock/17', decision: 'allowed' }));
    b.add(egress({ destination: 'inventory.shop.svc', method: 'GET', path: '/stock/18', decision: 'rate_limited' }));
    b.add(egress({ service: 'other-svc', destination: 'x' }));
    const m = b.map(['orders-v2']);
    expect(m.services).toHaveLength(1);
    const s = m.services[0];
    expect(s.total).toBe(5);
    const byDest = Object.fromEntries(s.destinations.map((d) => [d.destination, d]));
    expect(byDest['api.stripe.com:443'].decisions).toEqual({ allowed: 0, mocked: 1, denied: 1, rate_limited: 0 });
    expect(byDest['api.stripe.com:443'].routes.map((r) => r.route).sort()).toEqual([
      'POST /v1/charges',
      'POST /v1/refunds/{id}',
    ]);
    expect(byDest['inventory.shop.svc'].routes).toEqual([
      { route: 'GET /stock/{id}', total: 2, decisions: { allowed: 1, mocked: 0, denied: 0, rate_limited: 1 } },
    ]);
  });

  it('flags a destination whose allowed shadow rate passes the declared capacity', () => {
    const clock = manualClock();
    const b = new BlastRadius({ now: clock.now, windowS: 60 });
    for (let s = 0; s < 60; s++) {
      for (let i = 0; i < 30; i++) b.add(egress({ destination: 'inventory.shop.svc:8080', decision: 'allowed' }));
      for (let i = 0; i < 5; i++) b.add(egress({ destination: 'api.stripe.com:443', decision: 'allowed' }));
      for (let i = 0; i < 50; i++) b.add(egress({ destination: 'api.stripe.com:443', decision: 'denied' }));
      clock.advance(1000);
    }
    clock.advance(-1); // stay inside the last second
    const m = b.map(
      ['orders-v2'],
      [
        { host: 'inventory.*', requestsPerSecond: 20 },
        { host: '*.stripe.com', requestsPerSecond: 10 },
      ],
    );
    const [inv, stripe] = m.services[0].destinations;
    expect(inv).toMatchObject({
      destination: 'inventory.shop.svc:8080',
      capacity: 20,
      capacityRule: 'inventory.*',
      flagged: true,
      peakAllowedPerSecond: 30,
    });
    expect(inv.allowedRate).toBeCloseTo(30, 5);
    // denied calls never reached Stripe: 55 events/s seen, 5/s of real load, under its capacity
    expect(stripe).toMatchObject({ capacity: 10, flagged: false });
    expect(stripe.rate).toBeCloseTo(55, 5);
    expect(stripe.allowedRate).toBeCloseTo(5, 5);
    expect(m.flagged).toBe(1);
    // the window slides: two minutes later the load is gone
    clock.advance(120_000);
    expect(
      b
        .map(['orders-v2'], [{ host: 'inventory.*', requestsPerSecond: 20 }])
        .services[0].destinations.find((d) => d.destination.startsWith('inventory')),
    ).toMatchObject({ allowedRate: 0, flagged: false, total: 1800 });
  });

  it('flags a 10-s burst at twice the capacity that the 60-s average hides (issue 10)', () => {
    const clock = manualClock();
    const b = new BlastRadius({ now: clock.now, windowS: 60 });
    clock.advance(30_000); // 30 quiet seconds, then 6 rps for 10 s, then 20 quiet seconds
    for (let s = 0; s < 10; s++) {
      for (let i = 0; i < 6; i++) b.add(egress({ destination: 'ledger.svc', decision: 'allowed' }));
      clock.advance(1000);
    }
    clock.advance(19_999);
    const d = b.map(['orders-v2'], [{ host: 'ledger.svc', requestsPerSecond: 3 }]).services[0].destinations[0];
    expect(d).toMatchObject({
      capacity: 3,
      flagged: true,
      peakAllowedRate: 6,
      peakAllowedPerSecond: 6,
      allowedRate: 1,
    });
    // a steady load at the capacity is not flagged
    const steady = new BlastRadius({ now: clock.now, windowS: 60 });
    for (let s = 0; s < 60; s++) {
      for (let i = 0; i < 3; i++) steady.add(egress({ destination: 'ledger.svc', decision: 'allowed' }));
      clock.advance(1000);
    }
    clock.advance(-1);
    expect(
      steady.map(['orders-v2'], [{ host: 'ledger.svc', requestsPerSecond: 3 }]).services[0].destinations[0],
    ).toMatchObject({
      flagged: false,
      peakAllowedRate: 3,
    });
  });

  it('round-trips through JSON and counts invalid events instead of throwing', () => {
    const clock = manualClock();
    const b = new BlastRadius({ now: clock.now });
    for (let i = 0; i < 10; i++) b.add(egress({ decision: 'allowed' }));
    b.add({ ...egress(), decision: 'exploded' as never });
    const c = BlastRadius.fromJSON(JSON.parse(JSON.stringify(b)), { now: clock.now });
    expect(c.map(['orders-v2'])).toEqual(b.map(['orders-v2']));
    expect(c.stats()).toEqual({ events: 10, invalid: 1, dropped: 0 });
    expect(() => BlastRadius.fromJSON({ version: 9 })).toThrow(/version: 1/);
  });
});
