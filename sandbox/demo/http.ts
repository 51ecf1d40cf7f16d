// Small node:http helpers the demo services share: read a bounded body, answer JSON, listen on an
// ephemeral loopback port, close a server without waiting for idle keep-alive sockets, and send a
// request with an explicit Host header (fetch cannot: undici treats Host as its own, and the egress
// listener routes on it); and run a service as its own process (runAsScript).

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const MAX_BODY_BYTES = 64 * 1024;

export class BodyTooLarge extends Error {
  override name = 'BodyTooLarge';
}

/** Reads the whole request body; rejects with BodyTooLarge past `limit` bytes. */
export function readBody(req: http.IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new BodyTooLarge(`request body larger than ${limit} bytes`));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Parses a JSON object body; undefined when the body is empty, an Error when it is not an object. */
export function parseJsonObject(body: Buffer): Record<string, unknown> | undefined | Error {
  if (body.length === 0) return undefined;
  try {
    const v: unknown = JSON.parse(body.toString('utf8'));
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return new Error('body must be a JSON object');
    return v as Record<string, unknown>;
  } catch {
    return new Error('body is not valid JSON');
  }
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  value: unknown,
  headers: http.OutgoingHttpHeaders = {},
): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** Listens on host:port (0 = ephemeral) and resolves the bound port. */
export function listen(server: http.Server, port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops accepting, drops idle keep-alive sockets, and resolves when in-flight requests are done. */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeIdleConnections();
    // A client that keeps a request open must not hold the demo's shutdown hostage.
    setTimeout(() => server.closeAllConnections(), 2000).unref();
  });
}

export interface SimpleResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  agent?: http.Agent;
  timeoutMs?: number;
}

/** One HTTP/1.1 request to `url`; headers are sent as given (including host). */
export function send(url: string, opts: SendOptions = {}): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method: opts.method ?? 'GET',
        headers,
        agent: opts.agent,
        timeout: opts.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request to ${url} timed out`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** JSON of a response body, or undefined when it is not JSON. */
export function jsonOf(r: SimpleResponse): unknown {
  try {
    return JSON.parse(r.body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** `--name value` pairs from argv (the demo CLIs' only syntax). */
export function flags(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument '${a}'`);
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
    out[a.slice(2)] = v;
    i++;
  }
  return out;
}

/**
 * When the module at `moduleUrl` is the script node runs (not an import), starts it and closes it on
 * SIGINT/SIGTERM; a start that fails prints `name: message` and exits 2.
 */
export function runAsScript(moduleUrl: string, name: string, start: () => Promise<{ close(): Promise<void> }>): void {
  if (!process.argv[1] || path.resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return;
  start().then(
    (service) => {
      const stop = () => {
        void service.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (err: unknown) => {
      process.stderr.write(`${name}: ${(err as Error).message}\n`);
      process.exit(2);
    },
  );
}
