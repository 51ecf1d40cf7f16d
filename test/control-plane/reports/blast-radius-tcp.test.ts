// TCP destinations in the blast-radius map (the network-filter role's events): connection decisions
// count as decisions under "<protocol> connection", statement events add `count` statements by class,
// reads count toward the allowed rate (statements/s vs declared capacity), and all of it survives
// toJSON/fromJSON (the control plane's restart).
import { describe, expect, it } from 'vitest';
import { BlastRadius } from '../../../control-plane/src/reports/blast-radius.js';
import { egress, manualClock } from '../../fixtures/halves.js';

type Ev = ReturnType<typeof egress>;
const tcp = (o: Partial<Ev>): Ev => ({
  ...egress({ destination: 'orders-db.shop.svc.cluster.local', method: '', path: '', rule: 'orders-db', ...o }),
  protocol: o.protocol ?? 'postgres',
  ...(o.statementClass ? { statementClass: o.statementClass } : {}),
  count: o.count ?? 1,
  ...(o.sample ? { sample: o.sample } : {}),
});

describe('BlastRadius, TCP destinations', () => {
  it('shows reads allowed and writes blocked per database, with the protocol', () => {
    const clock = manualClock();
    const b = new BlastRadius({ now: clock.now, windowS: 10 });
    b.add(tcp({ decision: 'allowed', count: 1 }));
    b.add(tcp({ decision: 'allowed', statementClass: 'read', count: 120 }));
    b.add(tcp({ decision: 'denied', statementClass: 'write', count: 30, sample: 'INSERT' }));
    b.add(tcp({ decision: 'denied', statementClass: 'blocked-escape', count: 2, sample: 'SET' }));
    b.add(tcp({ destination: 'api.payments.example', protocol: 'tcp', rule: 'default', decision: 'denied', count: 1 }));
    const m = b.map(['orders-v2'], [{ host: 'orders-db.*', requestsPerSecond: 5 }]);
    const rows = Object.fromEntries(m.services[0].destinations.map((d) => [d.destination, d]));
    const db = rows['orders-db.shop.svc.cluster.local'];
    expect(db).toMatchObject({
      protocol: 'postgres',
      statements: { read: 120, write: 30, blockedEscape: 2 },
      decisions: { allowed: 1, mocked: 0, denied: 0, rate_limited: 0 },
      routes: [{ route: 'postgres connection', total: 1 }],
      capacity: 5,
    });
    expect(db.allowedRate).toBeCloseTo(12.1, 5); // 121 allowed (1 connection + 120 reads) over 10 s
    expect(db.flagged).toBe(true);
    expect(rows['api.payments.example']).toMatchObject({ protocol: 'tcp', decisions: { denied: 1 } });
    expect(rows['api.payments.example'].statements).toBeUndefined();

    const back = BlastRadius.fromJSON(JSON.parse(JSON.stringify(b.toJSON())), { now: clock.now });
    expect(back.map(['orders-v2']).services[0].destinations.find((d) => d.protocol === 'postgres')?.statements).toEqual(
      {
        read: 120,
        write: 30,
        blockedEscape: 2,
      },
    );
  });
});
