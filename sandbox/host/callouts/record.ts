// What tests read back about a callout (plugin.callouts()): what the filter sent, where, and how it
// ended. One record per token; it is updated in place as the exchange progresses.

import type { HeaderList } from '../headers.js';

export type CalloutKind = 'http' | 'grpc_call' | 'grpc_stream';
export type CalloutState = 'open' | 'half_closed' | 'done' | 'cancelled' | 'failed';

export interface CalloutRecord {
  kind: CalloutKind;
  token: number;
  /** Worker index of the VM whose root context owns the call, or 'canary'. */
  worker: number | 'canary' | 'base';
  cluster: string;
  authority: string;
  /** HTTP request headers, or gRPC initial metadata, as the filter gave them. */
  headers: HeaderList;
  /** HTTP request body. */
  body: Buffer;
  trailers: HeaderList;
  timeoutMs: number;
  /** gRPC: service and method; messages sent (unary: the one request). */
  service?: string;
  method?: string;
  messages: Buffer[];
  state: CalloutState;
  /** HTTP: the response delivered to the module (synthesised 503/504 included). */
  response?: { headers: HeaderList; body: Buffer; trailers: HeaderList };
  /** gRPC: messages received, and the final status/message delivered. */
  received: Buffer[];
  grpcStatus?: number;
  grpcMessage?: string;
  /** Set when the exchange failed as a reset (BrokenConnection for HTTP). */
  reset?: boolean;
}

export function newRecord(
  init: Pick<CalloutRecord, 'kind' | 'token' | 'worker' | 'cluster' | 'authority' | 'headers'> & Partial<CalloutRecord>,
): CalloutRecord {
  return { body: Buffer.alloc(0), trailers: [], timeoutMs: 0, messages: [], received: [], state: 'open', ...init };
}
