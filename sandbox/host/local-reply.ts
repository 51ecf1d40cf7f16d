// The response Envoy builds for sendLocalReply (source/common/http/utility.cc Utility::prepareLocalReply):
// `:status`, then the headers the filter added (modify_headers, addCopy); for a non-empty body
// `content-length`, and `content-type: text/plain` only when the filter set no content-type; for an
// empty body content-length and content-type are removed. A gRPC request gets a trailers-only gRPC answer instead: `:status 200`,
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
  for (const [k, v] of lr.headers) h.add(k, v);
  h.remove('content-length');
  if (lr.body.length > 0) {
    h.add('content-length', String(lr.body.length));
    if (h.get('content-type') === undefined) h.add('content-type', 'text/plain');
  } else {
    h.remove('content-type');
  }
  return { headers: h, body: lr.body };
}
