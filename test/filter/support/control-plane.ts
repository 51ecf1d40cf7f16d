// A real gRPC control plane for filter tests: @grpc/grpc-js serving shadow.v1.ShadowGuard/Connect
// from proto/shadow/v1/shadow.proto (via @grpc/proto-loader). Records every FilterMessage the filter
// sends, lets a test push ConfigSnapshots and close streams. Listens on 127.0.0.1:0.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const PROTO = path.join(root, 'proto/shadow/v1/shadow.proto');

/** protobufjs types for raw round-trip checks. */
export const proto = protobuf.loadSync(PROTO);
export const FilterMessageType = proto.lookupType('shadow.v1.FilterMessage');
export const ControlMessageType = proto.lookupType('shadow.v1.ControlMessage');

export interface Received {
  hello?: Record<string, any>;
  half?: Record<string, any>;
  egress?: Record<string, any>;
  ack?: { version: string };
  nack?: { version: string; reason: string };
  stats?: Record<string, any>;
  batch?: { messages: Received[] };
  seq?: string;
  msg?: string;
}

type Call = grpc.ServerDuplexStream<Received, unknown>;

export class TestControlPlane {
  readonly received: Received[] = [];
  readonly metadata: grpc.Metadata[] = [];
  readonly calls: Call[] = [];
  private server = new grpc.Server();
  port = 0;
  /** Send response headers as soon as a stream opens (false: stay silent until the first push). */
  answerHeaders = true;
  /** Streams the filter half-closed (proxy_grpc_close). */
  halfClosed = 0;

  static async start(): Promise<TestControlPlane> {
    return TestControlPlane.startOn(0);
  }

  /** Writes raw bytes as one ControlMessage on the newest open stream. */
  pushRaw(bytes: Buffer): void {
    const target = this.open.at(-1);
    if (!target) throw new Error('no open Connect stream');
    target.write(bytes as any);
  }

  /** Raw writes (call.write(Buffer)) bypass the serializer, for malformed-message tests. */
  static async startOn(port: number): Promise<TestControlPlane> {
    const cp = new TestControlPlane();
    const def = protoLoader.loadSync(PROTO, {
      keepCase: false,
      longs: String,
      enums: String,
      defaults: false,
      oneofs: true,
      bytes: Buffer,
    });
    const pkg = grpc.loadPackageDefinition(def) as any;
    const service = pkg.shadow.v1.ShadowGuard.service as grpc.ServiceDefinition;
    const serialize = service.Connect!.responseSerialize;
    // A Buffer written to the call goes out as is (malformed-message tests); objects are encoded.
    const rawCapable = {
      ...service,
      Connect: { ...service.Connect!, responseSerialize: (v: unknown) => (Buffer.isBuffer(v) ? v : serialize(v)) },
    };
    cp.server.addService(rawCapable, {
      Connect: (call: Call) => {
        // Answer headers at once, as a real control plane that pushes a snapshot on connect does.
        if (cp.answerHeaders) call.sendMetadata(new grpc.Metadata());
        cp.calls.push(call);
        cp.metadata.push(call.metadata);
        call.on('data', (m: Received) => cp.received.push(m));
        call.on('error', () => {});
        call.on('end', () => {
          cp.halfClosed++;
          try {
            call.end();
          } catch {
            /* already closed */
          }
        });
      },
    });
    cp.port = await new Promise<number>((resolve, reject) =>
      cp.server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(err) : resolve(port),
      ),
    );
    return cp;
  }

  of<K extends keyof Received>(kind: K): NonNullable<Received[K]>[] {
    return this.received.filter((m) => m[kind] !== undefined).map((m) => m[kind]!) as NonNullable<Received[K]>[];
  }

  get open(): Call[] {
    return this.calls.filter((c) => !c.cancelled && !c.destroyed && c.writable);
  }

  push(version: string, configJson: string, call?: Call): void {
    const target = call ?? this.open.at(-1);
    if (!target) throw new Error('no open Connect stream');
    target.write({ snapshot: { version, configJson } });
  }

  /** Ends every open stream from the server side (gRPC status OK). */
  closeStreams(): void {
    for (const c of this.open) c.end();
  }

  async close(): Promise<void> {
    this.server.forceShutdown();
  }
}
