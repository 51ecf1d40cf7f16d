// Fixtures for the stream tests: builders, a running stream server on an ephemeral loopback port,
// and FakeFilter — a real @grpc/grpc-js client that speaks shadow.proto through @grpc/proto-loader
// (an encoder independent of our codec, so the tests also prove the two agree on the wire).
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import pino from 'pino';
import { afterEach } from 'vitest';
import type { EgressEvent, Half, NodeHello, Policy, PolicySpec } from '../../../control-plane/src/domain/types.js';
import { NodeRegistry } from '../../../control-plane/src/nodes/registry.js';
import { SnapshotCache } from '../../../control-plane/src/snapshot/cache.js';
import {
  CONNECT_METHOD,
  createStreamServer,
  type StreamServer,
  type StreamServerOptions,
} from '../../../control-plane/src/stream/server.js';

export function hello(over: Partial<NodeHello> = {}): NodeHello {
  return {
    nodeId: 'node-1',
    plugin: 'shadowguard',
    workload: 'checkout-v1',
    service: 'checkout',
    role: 'edge',
    filterVersion: '0.1.0',
    configVersion: '',
    worker: 0,
    ...over,
  };
}

export function policy(name: string, spec: Partial<PolicySpec> & { services: string[] }, version = 1): Policy {
  return { name, version, spec, updatedAt: '2025-01-01T00:00:00.000Z', updatedBy: 'test' };
}

export async function waitFor(cond: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

export interface Harness {
  port: number;
  server: StreamServer;
  cache: SnapshotCache;
  registry: NodeRegistry;
  hellos: NodeHello[];
  halves: Array<{ half: Half; node: NodeHello }>;
  events: Array<{ event: EgressEvent; node: NodeHello }>;
  logs: LogLine[];
  close(): Promise<void>;
}

export async function startServer({
  policies,
  ...over
}: Partial<Omit<StreamServerOptions, 'cache'>> & {
  cache?: SnapshotCache;
  policies?: Policy[];
} = {}): Promise<Harness> {
  const logs: LogLine[] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write: (line: string) => {
        logs.push(JSON.parse(line) as LogLine);
      },
    },
  );
  const cache = over.cache ?? new SnapshotCache({ logger, policies });
  const registry = over.registry ?? new NodeRegistry();
  const h: Omit<Harness, 'port' | 'server' | 'close'> = { cache, registry, hellos: [], halves: [], events: [], logs };
  const server = createStreamServer({
    logger,
    cache,
    registry,
    handlers: {
      onHello: (n) => {
        h.hellos.push(n);
      },
      onHalf: (half, node) => {
        h.halves.push({ half, node });
      },
      onEgress: (event, node) => {
        h.events.push({ event, node });
      },
    },
    ...over,
  });
  const port = await server.listen(0, '127.0.0.1');
  return { ...h, port, server, close: () => server.close(500) };
}

const PROTO = fileURLToPath(new URL('../../../proto/shadow/v1/shadow.proto', import.meta.url));
const pkg = grpc.loadPackageDefinition(
  protoLoader.loadSync(PROTO, {
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  }),
) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
const ShadowGuard = pkg.shadow.v1.ShadowGuard as typeof grpc.Client;

/** ConfigSnapshot as the filter receives it. */
export interface Received {
  version: string;
  configJson: string;
}

/** proto-loader style FilterMessage for a Hello (enums by name, as a filter author would write). */
export function helloMessage(h: NodeHello) {
  return {
    hello: {
      ...h,
      role: `ROLE_${h.role.toUpperCase()}`,
      variant: h.variant ? `SIDE_${h.variant.toUpperCase()}` : 'SIDE_UNSPECIFIED',
    },
  };
}

/** A filter worker's stream: a real grpc-js client speaking the proto. */
export class FakeFilter {
  readonly snapshots: Received[] = [];
  /** the seq of every Delivered the control plane sent, in order */
  readonly delivered: number[] = [];
  readonly status: Promise<grpc.StatusObject>;
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientDuplexStream<object, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  constructor(port: number, opts: { token?: string } = {}) {
    this.client = new ShadowGuard(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    if (opts.token !== undefined) md.set('authorization', `Bearer ${opts.token}`);
    this.call = (this.client as any).Connect(md); // eslint-disable-line @typescript-eslint/no-explicit-any
    this.call.on(
      'data',
      (m: { snapshot?: Received; delivered?: { seq?: number | string | { toNumber(): number } } }) => {
        if (m.snapshot) this.snapshots.push(m.snapshot);
        if (m.delivered) {
          const seq = m.delivered.seq;
          this.delivered.push(typeof seq === 'object' ? seq.toNumber() : Number(seq ?? 0));
        }
      },
    );
    this.call.on('error', () => {
      /* the status promise carries it */
    });
    this.status = new Promise((resolve) => this.call.on('status', resolve));
  }

  static async connect(port: number, h: NodeHello, opts: { token?: string } = {}): Promise<FakeFilter> {
    const f = new FakeFilter(port, opts);
    await f.send(helloMessage(h));
    return f;
  }

  send(msg: object): Promise<void> {
    return new Promise((resolve, reject) => this.call.write(msg, (err?: Error) => (err ? reject(err) : resolve())));
  }

  /** The n-th snapshot received (1-based), waiting for it. */
  async snapshot(count = 1): Promise<Received> {
    await waitFor(() => this.snapshots.length >= count, 3000, `snapshot #${count}`);
    return this.snapshots[count - 1];
  }

  ack(version: string) {
    return this.send({ ack: { version } });
  }
  nack(version: string, reason: string) {
    return this.send({ nack: { version, reason } });
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}

/** A client that sends raw bytes: the wire as a broken or hostile filter would use it. */
export class RawFilter {
  readonly received: Buffer[] = [];
  readonly status: Promise<grpc.StatusObject>;
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientDuplexStream<Buffer, Buffer>;

  /** paused: read nothing until resume(), so the server's writes back up (HTTP/2 flow control). */
  constructor(port: number, opts: { token?: string; paused?: boolean } = {}) {
    const Ctor = grpc.makeGenericClientConstructor(CONNECT_METHOD, 'ShadowGuard');
    this.client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    if (opts.token !== undefined) md.set('authorization', `Bearer ${opts.token}`);
    this.call = (this.client as any).Connect(md); // eslint-disable-line @typescript-eslint/no-explicit-any
    if (!opts.paused) this.resume();
    this.call.on('error', () => {});
    this.status = new Promise((resolve) => this.call.on('status', resolve));
  }

  resume(): void {
    this.call.on('data', (b: Buffer) => this.received.push(b));
  }

  send(bytes: Buffer): void {
    this.call.write(bytes);
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}

/**
 * Closes what a test opened (servers, fake filters), newest first, after each test of the calling file:
 * `const track = tracker();` at the top of a test file, then `track(await startServer())`.
 */
export function tracker(): <T extends { close(): unknown }>(x: T) => T {
  const open: Array<{ close(): unknown }> = [];
  afterEach(async () => {
    for (const x of open.splice(0).reverse()) await x.close();
  });
  return (x) => {
    open.push(x);
    return x;
  };
}
