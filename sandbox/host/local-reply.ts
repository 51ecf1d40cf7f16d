// The response Envoy builds for sendLocalReply (source/common/http/utility.cc Utility::sendLocalReply):
// `:status`, and for a non-empty body `content-length` + `content-type: text/plain`, then the headers
// the filter added (addCopy). A gRPC request gets a trailers-only gRPC answer instead: `:status 200`,
// `content-type: application/grpc`, `grpc-status` (given, or mapped from the HTTP code) and the body as
// `grpc-message`.

import { httpToGrpcStatus } from './callouts/grpc.js';
import { HeaderMap } from './headers.js';

export interface LocalResponse {
  status: number;
  /** Headers the filter asked for (additional headers). */
  headers: Array<[string, string]>;
  body: Buffer;
  details: string;
  grpcStatus: number | undefined;
}

export function buildLocalReply(lr: LocalResponse, grpcRequest: boolean): { headers: HeaderMap; body: Buffer } {
  const h = new HeaderMap();
  if (grpcRequest) {
    h.add(':status', '200');
    h.add('content-type', 'application/grpc');
    h.add('grpc-status', String(lr.grpcStatus ?? httpToGrpcStatus(lr.status)));
    if (lr.body.length > 0) h.add('grpc-message', encodeURIComponent(lr.body.toString('utf8')));
    for (const [k, v] of lr.headers) h.add(k, v);
    return { headers: h, body: Buffer.alloc(0) };
  }
  h.add(':status', String(lr.status));
  if (lr.body.length > 0) {
    h.add('content-length', String(lr.body.length));
    h.add('content-type', 'text/plain');
  }
  for (const [k, v] of lr.headers) h.add(k, v);
  return { headers: h, body: lr.body };
}
