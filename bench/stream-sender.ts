// The fake filters of the stream bench, run in a child process (bench/stream.bench.ts forks it) so the
// control plane's thread does only its own work, as it does when real Envoys feed it. It opens
// `streams` edge and `streams` shadow Connect streams (raw grpc-js, production codec, Hello with an
// epoch, so the control plane acknowledges), then on each IPC message { batch: b } sends that batch's
// halves — one FilterMessage per half, or Batch messages of `per` halves as the filter sends a
// backlog — and answers { sent: b }. The Delivered messages coming back are read and ignored.
import * as grpc from '@grpc/grpc-js';
import type { FilterMessage, Report } from '../control-plane/src/stream/codec.js';
import { encodeFilterMessage } from '../control-plane/src/stream/codec.js';
import { CONNECT_METHOD } from '../control-plane/src/stream/server.js';
import { edgeHello, pairsOf, shadowHello } from './stream-corpus.js';

interface Start {
  port: number;
  streams: number;
  /** halves per gRPC message: 1 = single FilterMessages, > 1 = Batch messages */
  per: number;
  size: number;
}

class Stream {
  private readonly call: grpc.ClientDuplexStream<Buffer, Buffer>;
  private readonly client: grpc.Client;
  private seq = 0;
  private pending: Report[] = [];

  constructor(
    port: number,
    hello: FilterMessage,
    private readonly per: number,
  ) {
    const Ctor = grpc.makeGenericClientConstructor(CONNECT_METHOD, 'ShadowGuard');
    this.client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    this.call = (this.client as unknown as { Connect(): grpc.ClientDuplexStream<Buffer, Buffer> }).Connect();
    this.call.on('data', () => {});
    this.call.on('error', () => {});
    this.call.write(encodeFilterMessage(hello));
  }

  add(half: Report & { kind: 'half' }): void {
    this.pending.push({ ...half, seq: ++this.seq });
    if (this.pending.length >= this.per) this.flush();
  }

  flush(): void {
    const p = this.pending;
    this.pending = [];
    if (p.length === 1) this.call.write(encodeFilterMessage(p[0]));
    else if (p.length > 1) this.call.write(encodeFilterMessage({ kind: 'batch', messages: p }));
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}

let edges: Stream[] = [];
let shadows: Stream[] = [];
let size = 0;

process.on('message', (m: { start?: Start; batch?: number; stop?: true }) => {
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
      (_, k) => new Stream(s.port, { kind: 'hello', hello: { ...shadowHello(k), epoch } }, s.per),
    );
    process.send?.({ started: true });
  } else if (m.batch !== undefined) {
    for (const [i, p] of pairsOf(m.batch, size).entries()) {
      edges[i % edges.length].add({ kind: 'half', half: p.live });
      shadows[i % shadows.length].add({ kind: 'half', half: p.candidate });
    }
    for (const s of [...edges, ...shadows]) s.flush();
    process.send?.({ sent: m.batch });
  } else if (m.stop) {
    for (const s of [...edges, ...shadows]) s.close();
    process.disconnect();
  }
});
