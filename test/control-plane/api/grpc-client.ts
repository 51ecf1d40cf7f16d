// A minimal filter for the end-to-end API tests: a raw grpc-js stream that sends FilterMessages
// encoded by the production codec.

import * as grpc from '@grpc/grpc-js';
import type { NodeHello } from '../../../control-plane/src/domain/types.js';
import { encodeFilterMessage, type FilterMessage } from '../../../control-plane/src/stream/codec.js';
import { CONNECT_METHOD } from '../../../control-plane/src/stream/server.js';

export class TestFilter {
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientDuplexStream<Buffer, Buffer>;

  constructor(port: number, hello: NodeHello, token?: string) {
    const Ctor = grpc.makeGenericClientConstructor(CONNECT_METHOD, 'ShadowGuard');
    this.client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    if (token) md.set('authorization', `Bearer ${token}`);
    this.call = (
      this.client as unknown as { Connect(md: grpc.Metadata): grpc.ClientDuplexStream<Buffer, Buffer> }
    ).Connect(md);
    this.call.on('data', () => {});
    this.call.on('error', () => {});
    this.send({ kind: 'hello', hello });
  }

  send(msg: FilterMessage): void {
    this.call.write(encodeFilterMessage(msg));
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}

export function nodeHello(over: Partial<NodeHello> = {}): NodeHello {
  return {
    nodeId: 'edge-1',
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

export async function waitFor<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
