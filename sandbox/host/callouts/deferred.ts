// When a callout reaches the network. In Envoy, proxy_http_call / proxy_grpc_call / proxy_grpc_stream
// only create the async request (Context::httpCall → httpAsyncClient().send, grpcStream → startRaw):
// the upstream connection and the bytes on it are produced later by the dispatcher (the connection
// pool queues the stream until a connection is ready). So a root context destroyed within the same
// dispatcher turn — the canary VM, killed right after on_configure (cpp-host src/wasm.cc
// WasmHandleBase::canary → configuration_canary_handle->kill(); Envoy context.cc ~Context cancels
// http_request_/grpc_call_request_ and resets grpc_stream_) — never sends anything. This host starts
// the network half on the next turn of the event loop; a cancel before that means it never starts,
// and what the module did meanwhile (messages sent, half-close) is replayed in order once it does.

import type { GrpcHandle } from './grpc.js';

/** HTTP: `start` runs on the next turn unless cancelled first. */
export function deferHttp(start: () => { cancel(): void }): { cancel(): void } {
  let handle: { cancel(): void } | undefined;
  const pending = setImmediate(() => {
    handle = start();
  });
  return { cancel: () => (handle ? handle.cancel() : clearImmediate(pending)) };
}

/** gRPC: the stream opens on the next turn; send/half-close before that are queued, reset drops it. */
export function deferGrpc(start: () => GrpcHandle): GrpcHandle {
  let handle: GrpcHandle | undefined;
  const queued: Array<(h: GrpcHandle) => void> = [];
  const pending = setImmediate(() => {
    handle = start();
    for (const op of queued.splice(0)) op(handle);
  });
  const run = (op: (h: GrpcHandle) => void): void => {
    if (handle) op(handle);
    else queued.push(op);
  };
  return {
    send: (message, endStream) => run((h) => h.send(message, endStream)),
    halfClose: () => run((h) => h.halfClose()),
    reset: () => {
      if (handle) handle.reset();
      else {
        clearImmediate(pending);
        queued.length = 0;
      }
    },
  };
}
