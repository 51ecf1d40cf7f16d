// The observation log on a real Redis 7: every replica reads every entry in order, and an egress event a
// filter resends after reconnecting to another replica (its acknowledgement was lost with the first) is
// appended once — the sender's high-water mark in Redis drops the copies, and counts them.
import { expect, it } from 'vitest';
import { ObservationLog, type Observation } from '../../../control-plane/src/cluster/observation-log.js';
import { egress } from '../../fixtures/halves.js';
import { throwawayRedis } from '../../fixtures/redis.js';

const redis = throwawayRedis();

it('appends a resent egress event once across replicas, and every replica reads each entry once', async () => {
  const url = redis.url();
  const [a, b] = [new ObservationLog({ url }), new ObservationLog({ url })];
  const seen: Array<Observation[]> = [[], []];
  // both readers know where "now" is in the log before the first append
  await Promise.all([a.start((o) => seen[0].push(o)), b.start((o) => seen[1].push(o))]);
  try {
    const ev = (seq: number) => ({ kind: 'egress' as const, event: egress({ path: `/charge/${seq}` }) });
    const sender = 'shadow-1/plugin#0@9';
    // Replica A got seqs 1..5 and died before acknowledging 3..5; the filter resends 3..8 to replica B.
    for (let seq = 1; seq <= 5; seq++) expect(await a.append(ev(seq), { sender, seq })).toBe(true);
    const resent = [];
    for (let seq = 3; seq <= 8; seq++) resent.push(await b.append(ev(seq), { sender, seq }));
    expect(resent).toEqual([false, false, false, true, true, true]);
    // Another sender's numbers are its own; an unnumbered event (an older filter) is always appended.
    expect(await b.append(ev(1), { sender: 'shadow-2/plugin#0@1', seq: 1 })).toBe(true);
    expect(await b.append(ev(99))).toBe(true);
    expect(b.counters).toMatchObject({ appended: 5, resent: 3 });
    const paths = (os: Observation[]) => os.map((o) => (o.kind === 'egress' ? o.event.path : ''));
    const expected = [1, 2, 3, 4, 5, 6, 7, 8, 1, 99].map((n) => `/charge/${n}`);
    await expect.poll(() => paths(seen[0])).toEqual(expected);
    await expect.poll(() => paths(seen[1])).toEqual(expected);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});
