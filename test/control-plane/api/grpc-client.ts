// A minimal filter for the end-to-end API tests: a raw grpc-js stream that sends FilterMessages
// encoded by the production codec.

import * as grpc from '@grpc/grpc-js';
import type { NodeHello } from '../../../control-plane/src/domain/types.js';
import { encodeFilterMessage, type FilterMessage } from '../../../control-plane/src/stream/codec.js';
import { CONNECT_METHOD } from '../../../control-plane/src/stream/server.js';
import { hello } from '../stream/fixtures.js';

export class TestFilter {
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientDuplexStream<Buffer, Buffer>;

  constructor(port: number, node: NodeHello, token?: string) {
    const Ctor = grpc.makeGenericClientConstructor(CONNECT_METHOD, 'ShadowGuard');
    this.client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    if (token) md.set('authorization', `Bearer ${token}`);
    this.call = (
      this.client as unknown as { Connect(md: grpc.Metadata): grpc.ClientDuplexStream<Buffer, Buffer> }
    ).Connect(md);
    this.call.on('data', () => {});
    this.call.on('error', () => {});
    this.send({ kind: 'hello', hello: node });
  }

  send(msg: FilterMessage): void {
    this.call.write(encodeFilterMessage(msg));
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}

/** The stream tests' Hello, from the edge node the API tests pair with shadow-1. */
export const nodeHello = (over: Partial<NodeHello> = {}): NodeHello => hello({ nodeId: 'edge-1', ...over });

export async function waitFor<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
