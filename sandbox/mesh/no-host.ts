// What Envoy answers for a cluster without a healthy host (in the sandbox: a cluster whose endpoint
// the options did not map to a loopback port, like a STRICT_DNS name that does not resolve). The
// router answers 503 "no healthy upstream" itself (router.ts); this responder gives the filter's
// callouts the same outcome through the host's cluster table: the async client's local reply
// (HTTP 503 "no healthy upstream"), or for gRPC a trailers-only UNAVAILABLE (reference §5.8/§5.9).

import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';

const BODY = 'no healthy upstream';

export class NoHealthyUpstream {
  private readonly h1 = http.createServer((_req, res) => {
    res.writeHead(503, { 'content-type': 'text/plain', 'content-length': String(BODY.length) });
    res.end(BODY);
  });
  private readonly h2 = http2.createServer();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  h1Port = 0;
  h2Port = 0;

  async start(): Promise<void> {
    this.h2.on('session', (s) => {
      this.sessions.add(s);
      s.on('close', () => this.sessions.delete(s));
    });
    this.h2.on('stream', (stream, headers) => {
      stream.on('error', () => {});
      if (String(headers['content-type'] ?? '').startsWith('application/grpc')) {
        stream.respond(
          {
            ':status': 200,
            'content-type': 'application/grpc',
            'grpc-status': '14',
            'grpc-message': encodeURIComponent(BODY),
          },
          { endStream: true },
        );
      } else {
        stream.respond({ ':status': 503, 'content-type': 'text/plain' });
        stream.end(BODY);
      }
    });
    this.h1Port = await listen(this.h1);
    this.h2Port = await listen(this.h2);
  }

  async close(): Promise<void> {
    this.h1.closeAllConnections();
    for (const s of this.sessions) s.destroy();
    await Promise.all([
      new Promise<void>((r) => this.h1.close(() => r())),
      new Promise<void>((r) => this.h2.close(() => r())),
    ]);
  }
}

function listen(server: http.Server | http2.Http2Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}
