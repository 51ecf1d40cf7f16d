// The fake filters of the stream bench, run in a child process (bench/stream.bench.ts forks it) so the
// control plane's thread does only its own work, as it does when real Envoys feed it. It opens
// `streams` edge and `streams` shadow Connect streams (raw grpc-js, production codec, Hello with an
// epoch, so the control plane acknowledges), then on each IPC message { batch: b } sends that batch's
// halves — one FilterMessage per half, or Batch messages of `per` halves as the filter sends a
// backlog — and answers { sent: b }.
// Steady mode ({ flow: { window } } … { pause: true }): it sends continuously, fresh pairs one after
// another, keeping at most `window` halves per stream unacknowledged (the control plane's Delivered
// comes after it handled them: compared in one process, stored in Redis when replicated), as a filter
// with a backlog keeps its bounded queue; it answers { flowing } once every stream's window first
// filled and, on pause, stops making pairs and answers { paused: pairs sent so far, cpuUs, full: the
// share of the time its window was full, i.e. it waited for the control plane }.
// Like the filter, it encodes each corpus half once and appends per-half fields (pair id, request id,
// seq) to those bytes — protobuf fields may come in any order — so the sender's own CPU stays small
// next to the control plane's, as an Envoy's would.
import * as grpc from '@grpc/grpc-js';
import type { FilterMessage } from '../control-plane/src/stream/codec.js';
import { encodeFilterMessage, protoRoot } from '../control-plane/src/stream/codec.js';
import { CONNECT_METHOD } from '../control-plane/src/stream/server.js';
import { corpus, edgeHello, shadowHello } from './stream-corpus.js';

const varint = (n: number): number[] => {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
};
const field = (tag: number, bytes: Buffer): Buffer =>
  Buffer.concat([Buffer.from([tag, ...varint(bytes.length)]), bytes]);
const FilterMessageType = protoRoot().lookupType('shadow.v1.FilterMessage');
const HalfType = protoRoot().lookupType('shadow.v1.Half');
const ControlMessageType = protoRoot().lookupType('shadow.v1.ControlMessage');
/** Each corpus half encoded once (production codec) without its pair id and request id: [live, candidate]. */
const base = corpus.map((p) =>
  [p.live, p.candidate].map((h) => {
    const m = FilterMessageType.decode(
      encodeFilterMessage({ kind: 'half', half: { ...h, pairId: '', requestId: '' } }),
    );
    return Buffer.from(HalfType.encode((m as unknown as { half: object }).half).finish());
  }),
);
/** FilterMessage { half: base ++ pair_id (1) ++ request_id (15), seq (8) } */
function halfMessage(i: number, side: 0 | 1, pairId: string, seq: number): Buffer {
  const id = Buffer.from(pairId);
  const half = Buffer.concat([base[i % base.length][side], field(0x0a, id), field(0x7a, id)]);
  return Buffer.concat([field(0x12, half), Buffer.from([0x40, ...varint(seq)])]);
}

interface Start {
  port: number;
  /** the shadow streams' control plane (another replica), default port */
  shadowPort?: number;
  streams: number;
  /** halves per gRPC message: 1 = single FilterMessages, > 1 = Batch messages */
  per: number;
  size: number;
}

class Stream {
  private readonly call: grpc.ClientDuplexStream<Buffer, Buffer>;
  private readonly client: grpc.Client;
  private seq = 0;
  private pending: Buffer[] = [];
  /** highest seq the control plane acknowledged (Delivered) */
  acked = 0;
  /** called when an acknowledgement arrives (steady mode refills the window) */
  onAck?: () => void;

  constructor(
    port: number,
    hello: FilterMessage,
    readonly per: number,
  ) {
    const Ctor = grpc.makeGenericClientConstructor(CONNECT_METHOD, 'ShadowGuard');
    this.client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    this.call = (this.client as unknown as { Connect(): grpc.ClientDuplexStream<Buffer, Buffer> }).Connect();
    this.call.on('data', (b: Buffer) => {
      const m = ControlMessageType.decode(b) as unknown as { delivered?: { seq: number | { toNumber(): number } } };
      if (!m.delivered) return; // a configuration snapshot
      const s = m.delivered.seq;
      const seq = typeof s === 'number' ? s : s.toNumber();
      if (seq > this.acked) {
        this.acked = seq;
        this.onAck?.();
      }
    });
    this.call.on('error', () => {});
    this.call.write(encodeFilterMessage(hello));
  }

  add(i: number, side: 0 | 1, pairId: string): void {
    this.pending.push(halfMessage(i, side, pairId, ++this.seq));
    if (this.pending.length >= this.per) this.flush();
  }

  /** One FilterMessage, or FilterMessage { batch (7): Batch { messages (1) … } }. */
  flush(): void {
    const p = this.pending;
    this.pending = [];
    if (p.length === 1) this.call.write(p[0]);
    else if (p.length > 1) this.call.write(field(0x3a, Buffer.concat(p.map((m) => field(0x0a, m)))));
  }

  /** halves made and not yet acknowledged (written, or waiting to fill a Batch) */
  get held(): number {
    return this.seq - this.acked;
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}

let edges: Stream[] = [];
let shadows: Stream[] = [];
let size = 0;

/** HTTP/2 bytes leave when the event loop turns: yield every YIELD_EVERY pairs so the first halves are
 *  on the wire while the rest are built (as a filter sends as traffic arrives), not after the whole op. */
const YIELD_EVERY = 32;
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
async function sendBatch(b: number): Promise<void> {
  for (let i = 0; i < size; i++) {
    const pairId = `b${b}-${i}`;
    edges[i % edges.length].add(i, 0, pairId);
    shadows[i % shadows.length].add(i, 1, pairId);
    if ((i + 1) % YIELD_EVERY === 0) await turn();
  }
  for (const s of [...edges, ...shadows]) s.flush();
  process.send?.({ sent: b });
}

/** Steady mode: pairs made so far (ids `f<n>`), the per-stream window, whether it runs. */
const flow = {
  pairs: 0,
  window: 0,
  on: false,
  filled: false,
  cpu0: process.cpuUsage(),
  /** since when every pair made waits for an acknowledgement (0: not waiting), and the total ms waited */
  fullSince: 0,
  fullMs: 0,
  startedAt: 0,
};
function fill(): void {
  const all = [...edges, ...shadows];
  // Pairs round-robin over the streams; each stream sends a Batch message whenever `per` halves wait,
  // so only whole batches leave while the window is the limit (the rest leave on pause).
  if (flow.fullSince) flow.fullMs += performance.now() - flow.fullSince;
  flow.fullSince = 0;
  while (flow.on && all.every((s) => s.held < flow.window)) {
    const i = flow.pairs++;
    const pairId = `f${i}`;
    edges[i % edges.length].add(i % corpus.length, 0, pairId);
    shadows[i % shadows.length].add(i % corpus.length, 1, pairId);
  }
  if (flow.on) flow.fullSince = performance.now();
  if (flow.on && !flow.filled) {
    flow.filled = true;
    process.send?.({ flowing: flow.pairs });
  }
}

process.on('message', (m: { start?: Start; batch?: number; stop?: true; flow?: { window: number }; pause?: true }) => {
  if (m.start) {
    const s = m.start;
    size = s.size;
    const epoch = process.pid;
    edges = Array.from(
      { length: s.streams },
      (_, k) => new Stream(s.port, { kind: 'hello', hello: { ...edgeHello(k), epoch } }, s.per),
    );
    shadows = Array.from(
      { length: s.streams },
      (_, k) => new Stream(s.shadowPort ?? s.port, { kind: 'hello', hello: { ...shadowHello(k), epoch } }, s.per),
    );
    process.send?.({ started: true });
  } else if (m.flow) {
    Object.assign(flow, {
      window: m.flow.window,
      on: true,
      filled: false,
      cpu0: process.cpuUsage(),
      fullMs: 0,
      fullSince: 0,
      startedAt: performance.now(),
    });
    for (const s of [...edges, ...shadows]) s.onAck = fill;
    fill();
  } else if (m.pause) {
    flow.on = false;
    for (const s of [...edges, ...shadows]) s.flush();
    const cpu = process.cpuUsage(flow.cpu0);
    if (flow.fullSince) flow.fullMs += performance.now() - flow.fullSince;
    flow.fullSince = 0;
    const full = flow.fullMs / (performance.now() - flow.startedAt);
    process.send?.({ paused: flow.pairs, cpuUs: cpu.user + cpu.system, full });
  } else if (m.batch !== undefined) {
    void sendBatch(m.batch);
  } else if (m.stop) {
    for (const s of [...edges, ...shadows]) s.close();
    process.disconnect();
  }
});
