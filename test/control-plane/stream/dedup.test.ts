// The control plane's side of delivery over the real stream, with a raw grpc-js client speaking the
// production codec: Delivered right after Hello and after numbered reports, copies dropped per sender
// (node + plugin + worker + epoch) across reconnects and counted, a new epoch is a new sender,
// unnumbered reports (older filters) pass untouched, and the dedup state is bounded.
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeHello } from '../../../control-plane/src/domain/types.js';
import { decodeControlMessage, encodeFilterMessage, protoRoot } from '../../../control-plane/src/stream/codec.js';
import { DeliveryLedger } from '../../../control-plane/src/stream/delivery.js';
import { hello, policy, RawFilter, startServer, waitFor, type Harness } from './fixtures.js';

const open: Array<{ close(): void }> = [];
const servers: Harness[] = [];
afterEach(async () => {
  for (const f of open.splice(0)) f.close();
  for (const s of servers.splice(0)) await s.close();
});

async function server(opts: { delivery?: DeliveryLedger } = {}): Promise<Harness> {
  const h = await startServer({ policies: [policy('p', { services: ['checkout'] })], ...opts });
  servers.push(h);
  return h;
}

const ControlMessage = () => protoRoot().lookupType('shadow.v1.ControlMessage');
/** seq of every Delivered the client received, in order. */
function delivered(f: RawFilter): number[] {
  return f.received
    .map((b) => ControlMessage().toObject(ControlMessage().decode(b), { longs: Number, oneofs: true }))
    .filter((o) => o.msg === 'delivered')
    .map((o) => o.delivered.seq as number);
}

function connect(h: Harness, who: NodeHello): RawFilter {
  const f = new RawFilter(h.port);
  open.push(f);
  f.send(encodeFilterMessage({ kind: 'hello', hello: who }));
  return f;
}

const half = (pairId: string) => ({
  pairId,
  side: 'live' as const,
  service: 'checkout',
  method: 'GET',
  host: 'h',
  path: '/',
  query: '',
  status: 200,
  headers: [],
  body: Buffer.from('{}'),
  truncated: false,
  bodySize: 2,
  startUnixMs: 1,
  latencyUs: 1,
  requestId: pairId,
  nodeId: 'node-1',
});
const numbered = (seq: number) => ({ kind: 'half' as const, half: half(`p${seq}`), seq });
const pairIds = (h: Harness) => h.halves.map((x) => x.half.pairId);

describe('delivery dedup', () => {
  it('acknowledges after Hello and after reports; a reconnect of the same sender resumes, copies dropped and counted', async () => {
    const h = await server();
    const me = hello({ epoch: 77 });
    const a = connect(h, me);
    await waitFor(() => delivered(a).length === 1, 3000, 'Delivered after Hello');
    expect(delivered(a)).toEqual([0]);
    // The Delivered comes before the snapshot: that is how the filter tells this control plane acknowledges.
    expect(decodeControlMessage(a.received[0]!).ok).toBe(false);
    a.send(encodeFilterMessage({ kind: 'batch', messages: [1, 2, 3].map(numbered) }));
    a.send(encodeFilterMessage(numbered(4)));
    await waitFor(() => delivered(a).at(-1) === 4, 3000, 'Delivered 4');
    a.close();

    const b = connect(h, me);
    await waitFor(() => delivered(b).length === 1, 3000, 'Delivered after the second Hello');
    expect(delivered(b)).toEqual([4]);
    b.send(encodeFilterMessage({ kind: 'batch', messages: [3, 4, 5].map(numbered) }));
    await waitFor(() => delivered(b).at(-1) === 5, 3000, 'Delivered 5');
    expect(pairIds(h)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
    expect(h.server.deliveryStats()).toMatchObject({ accepted: 5, duplicates: 2, senders: 1 });
    expect(h.registry.list().find((n) => n.connected)?.duplicates).toBe(2);
  });

  it('a new epoch (a restarted filter VM) is a new sender; unnumbered reports from older filters always pass', async () => {
    const h = await server();
    const first = connect(h, hello({ epoch: 1 }));
    first.send(encodeFilterMessage(numbered(1)));
    await waitFor(() => delivered(first).at(-1) === 1, 3000, 'first sender');
    const restarted = connect(h, hello({ epoch: 2 }));
    await waitFor(() => delivered(restarted).length === 1, 3000, 'restarted sender');
    expect(delivered(restarted)).toEqual([0]);
    restarted.send(encodeFilterMessage(numbered(1)));
    await waitFor(() => delivered(restarted).at(-1) === 1, 3000, 'restarted seq 1');

    const old = connect(h, hello({ worker: 9 })); // no epoch: a filter older than delivery numbering
    old.send(encodeFilterMessage({ kind: 'half', half: half('old') }));
    old.send(encodeFilterMessage({ kind: 'half', half: half('old') }));
    await waitFor(() => pairIds(h).filter((id) => id === 'old').length === 2, 3000, 'unnumbered halves');
    expect(pairIds(h).filter((id) => id === 'p1')).toHaveLength(2);
    expect(delivered(old)).toEqual([]); // never told about Delivered: it would not understand it
    expect(h.server.deliveryStats()).toMatchObject({ accepted: 2, duplicates: 0, unnumbered: 2 });
  });

  it('keeps at most maxSenders marks, forgetting the least recently connected first (counted)', async () => {
    const h = await server({ delivery: new DeliveryLedger({ maxSenders: 2 }) });
    for (const worker of [1, 2, 3]) {
      const f = connect(h, hello({ worker, epoch: 5 }));
      f.send(encodeFilterMessage(numbered(1)));
      await waitFor(() => delivered(f).at(-1) === 1, 3000, `sender ${worker}`);
    }
    expect(h.server.deliveryStats()).toMatchObject({ senders: 2, forgotten: 1, accepted: 3 });
    // Worker 1 was forgotten: its mark starts over; worker 3's is still known.
    const again = connect(h, hello({ worker: 1, epoch: 5 }));
    const known = connect(h, hello({ worker: 3, epoch: 5 }));
    await waitFor(() => delivered(again).length === 1 && delivered(known).length === 1, 3000, 'marks');
    expect([delivered(again)[0], delivered(known)[0]]).toEqual([0, 1]);
  });
});
