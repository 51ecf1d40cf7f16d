// gRPC over node:http2, shaped like Envoy's raw async gRPC client (source/common/grpc/async_client_impl.cc
// AsyncStreamImpl): initial metadata is always reported (empty for a trailers-only answer), then
// messages, then trailing metadata and the remote close with grpc-status/grpc-message. A non-200
// answer without grpc-status ends the stream as Cancelled (1): AsyncStreamImpl::onHeaders calls
// streamError(Canceled) there, as the Google gRPC client does, not httpToGrpcStatus. A reset becomes
// Internal; a failure to connect arrives as the router's local reply, i.e. Unavailable (14)
// "upstream connect error …". The request goes out in the cluster's own protocol: Envoy's gRPC client
// is an HTTP async client on that cluster, so on a cluster without HTTP/2 it speaks HTTP/1.1, which a
// gRPC server refuses (startGrpcOverHttp1).

import http from 'node:http';
import http2 from 'node:http2';
import type { Clusters } from '../clusters.js';
import type { HeaderList } from '../headers.js';
import { flattenH2 } from './http.js';

export interface GrpcHandlers {
  onInitialMetadata(md: HeaderList): void;
  onMessage(message: Buffer): void;
  onTrailingMetadata(md: HeaderList): void;
  onClose(status: number, message: string): void;
}

export interface GrpcTarget {
  cluster: string;
  authority: string;
  service: string;
  method: string;
  metadata: HeaderList;
  timeoutMs: number;
}

export interface GrpcHandle {
  send(message: Buffer, endStream: boolean): void;
  halfClose(): void;
  /** Cancel/reset: no further callbacks. */
  reset(): void;
}

const CONNECT_FAILURE = 'upstream connect error or disconnect/reset before headers. reset reason: connection failure';

/** Envoy Grpc::Utility::httpToGrpcStatus. */
export function httpToGrpcStatus(status: number): number {
  switch (status) {
    case 400:
      return 13;
    case 401:
      return 16;
    case 403:
      return 7;
    case 404:
      return 12;
    case 429:
    case 502:
    case 503:
    case 504:
      return 14;
    default:
      return 2;
  }
}

export function frame(message: Buffer): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

const GRPC_CANCELLED = 1;

export function startGrpc(clusters: Clusters, t: GrpcTarget, h: GrpcHandlers): GrpcHandle {
  const spec = clusters.get(t.cluster);
  if (spec && !spec.http2) return startGrpcOverHttp1(clusters, t, h);
  let closed = false;
  const deliverClose = (trailing: HeaderList, status: number, message: string): void => {
    if (closed) return;
    closed = true;
    h.onTrailingMetadata(trailing);
    h.onClose(status, message);
  };
  const connectFailure = (): void => {
    h.onInitialMetadata([]);
    deliverClose(
      [
        [':status', '200'],
        ['content-type', 'application/grpc'],
        ['grpc-status', '14'],
        ['grpc-message', CONNECT_FAILURE],
      ],
      14,
      CONNECT_FAILURE,
    );
  };

  const headers: Record<string, string | string[]> = {
    ':method': 'POST',
    ':path': `/${t.service}/${t.method}`,
    ':authority': t.authority,
    ':scheme': 'http',
    'content-type': 'application/grpc',
    te: 'trailers',
  };
  if (t.timeoutMs > 0) headers['grpc-timeout'] = `${t.timeoutMs}m`;
  for (const [k, v] of t.metadata) {
    if (k.startsWith(':')) continue;
    headers[k] = k in headers ? ([] as string[]).concat(headers[k], v) : v;
  }

  let stream: http2.ClientHttp2Stream;
  try {
    stream = clusters.session(t.cluster).request(headers, { endStream: false });
  } catch {
    setImmediate(connectFailure);
    return {
      send() {},
      halfClose() {},
      reset() {
        closed = true;
      },
    };
  }

  let timer: NodeJS.Timeout | undefined;
  if (t.timeoutMs > 0) {
    timer = setTimeout(() => {
      // The router's 504 "upstream request timeout" local reply, seen through gRPC (httpToGrpcStatus).
      if (!gotHeaders) h.onInitialMetadata([]);
      deliverClose([], 14, 'upstream request timeout');
      stream.close(http2.constants.NGHTTP2_CANCEL);
    }, t.timeoutMs);
  }

  let ready = false,
    gotHeaders = false,
    trailersOnly = false;
  let pending: Buffer = Buffer.alloc(0);
  let responseHeaders: HeaderList = [];
  let status200 = true;
  stream.on('ready', () => {
    ready = true;
  });
  stream.on('response', (hdrs, flags) => {
    gotHeaders = true;
    responseHeaders = flattenH2(hdrs);
    status200 = String(hdrs[':status']) === '200';
    trailersOnly = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
    h.onInitialMetadata(trailersOnly ? [] : responseHeaders);
    if (!status200 && !(trailersOnly && hdrs['grpc-status'] !== undefined)) {
      deliverClose([], GRPC_CANCELLED, '');
      stream.close(http2.constants.NGHTTP2_CANCEL);
    } else if (trailersOnly) {
      onTrailers(responseHeaders);
    }
  });
  stream.on('data', (chunk: Buffer) => {
    if (closed) return;
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 5) {
      const len = pending.readUInt32BE(1);
      if (pending.length < 5 + len) break;
      if (pending[0] !== 0) {
        // compressed frames are not negotiated by this client
        deliverClose([], 13, 'compressed gRPC frame received');
        stream.close(http2.constants.NGHTTP2_CANCEL);
        return;
      }
      const msg = Buffer.from(pending.subarray(5, 5 + len));
      pending = pending.subarray(5 + len);
      h.onMessage(msg);
    }
  });
  const onTrailers = (trailers: HeaderList): void => {
    const m = new Map(trailers);
    const st = m.get('grpc-status');
    const message = decodeURIComponentSafe(m.get('grpc-message') ?? '');
    deliverClose(trailers, st === undefined ? 2 : Number(st), message);
  };
  stream.on('trailers', (t2) => onTrailers(flattenH2(t2)));
  stream.on('error', () => {});
  stream.on('close', () => {
    if (timer) clearTimeout(timer);
    if (closed) return;
    if (!gotHeaders && !ready) connectFailure();
    else {
      if (!gotHeaders) h.onInitialMetadata([]);
      deliverClose([], 13, ''); // AsyncStreamImpl::onReset → streamError(Internal)
    }
  });

  return {
    send(message, endStream) {
      if (!closed && !stream.closed) {
        stream.write(frame(message));
        if (endStream) stream.end();
      }
    },
    halfClose() {
      if (!stream.closed && !stream.writableEnded) stream.end();
    },
    reset() {
      closed = true;
      if (timer) clearTimeout(timer);
      if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
    },
  };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * gRPC on a cluster without HTTP/2: Envoy sends the request as HTTP/1.1 (its codec follows the cluster's
 * protocol options). A gRPC server does not speak HTTP/1.1, so in practice this ends at once: a reset
 * before headers is the router's connect-failure reply (Unavailable), any HTTP answer without a
 * trailers-only grpc-status is Cancelled, as on HTTP/2. Nothing is ever delivered as a message.
 */
function startGrpcOverHttp1(clusters: Clusters, t: GrpcTarget, h: GrpcHandlers): GrpcHandle {
  const spec = clusters.get(t.cluster)!;
  let closed = false;
  const close = (initial: HeaderList, status: number, message: string, trailing: HeaderList = []): void => {
    if (closed) return;
    closed = true;
    h.onInitialMetadata(initial);
    h.onTrailingMetadata(trailing);
    h.onClose(status, message);
  };
  const headers: Record<string, string | string[]> = {
    'content-type': 'application/grpc',
    te: 'trailers',
    host: t.authority,
  };
  for (const [k, v] of t.metadata) if (!k.startsWith(':')) headers[k] = v;
  const req = http.request({
    host: spec.host,
    port: spec.port,
    method: 'POST',
    path: `/${t.service}/${t.method}`,
    headers,
    agent: clusters.httpAgent,
  });
  req.on('response', (res) => {
    const grpcStatus = res.headers['grpc-status'];
    res.resume();
    if (res.statusCode === 200 || grpcStatus !== undefined) {
      const st = Number(grpcStatus ?? 2);
      close([], st, String(res.headers['grpc-message'] ?? ''), [['grpc-status', String(st)]]);
    } else close([], GRPC_CANCELLED, '');
  });
  req.on('error', () =>
    close([], 14, 'upstream connect error or disconnect/reset before headers. reset reason: remote connection failure'),
  );
  return {
    send(message, endStream) {
      if (!closed && !req.destroyed) {
        req.write(frame(message));
        if (endStream) req.end();
      }
    },
    halfClose() {
      if (!req.writableEnded) req.end();
    },
    reset() {
      closed = true;
      req.destroy();
    },
  };
}
