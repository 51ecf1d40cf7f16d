// Upstream connections of the sandbox's clusters: one request/response stream to a cluster's single
// endpoint over HTTP/1.1 (keep-alive agent per cluster) or HTTP/2 (prior knowledge, one session per
// cluster, when the cluster has http2_protocol_options), with Envoy's connect timeout and its reset
// reasons (Http::Utility::resetReasonToString) so the router can build Envoy's 503 bodies.
// Streams in both directions: request data is written as it arrives, response data is handed on
// chunk by chunk with pause/resume for back-pressure.

import http from 'node:http';
import http2 from 'node:http2';
import type { HeaderList } from './routing.js';

export interface Endpoint {
  host: string;
  port: number;
}

export type ResetReason =
  | 'remote connection failure'
  | 'connection timeout'
  | 'connection termination'
  | 'remote reset';

export interface UpstreamHandlers {
  onHeaders(headers: HeaderList, endStream: boolean): void;
  onData(data: Buffer, endStream: boolean): void;
  onTrailers(trailers: HeaderList): void;
  onReset(reason: ResetReason, transportFailure: string): void;
}

export interface UpstreamStream {
  /** false when the upstream is congested; `onDrain` then fires once it can take more. */
  sendData(data: Buffer, endStream: boolean): boolean;
  sendTrailers(trailers: HeaderList): void;
  onDrain(cb: () => void): void;
  pauseResponse(): void;
  resumeResponse(): void;
  /** Local reset: no handler fires afterwards. */
  reset(): void;
}

export interface UpstreamTarget {
  name: string;
  endpoint: Endpoint;
  http2: boolean;
  connectTimeoutMs: number;
}

// Connection-specific headers: never forwarded (Envoy's codecs own them; HTTP/2 forbids them).
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'host',
]);

export class Upstreams {
  private readonly agents = new Map<string, http.Agent>();
  private readonly sessions = new Map<string, http2.ClientHttp2Session>();

  open(t: UpstreamTarget, headers: HeaderList, endStream: boolean, h: UpstreamHandlers): UpstreamStream {
    return t.http2 ? this.openH2(t, headers, endStream, h) : this.openH1(t, headers, endStream, h);
  }

  close(): void {
    for (const a of this.agents.values()) a.destroy();
    for (const s of this.sessions.values()) s.destroy();
    this.agents.clear();
    this.sessions.clear();
  }

  private openH1(t: UpstreamTarget, headers: HeaderList, endStream: boolean, h: UpstreamHandlers): UpstreamStream {
    let agent = this.agents.get(t.name);
    if (!agent) this.agents.set(t.name, (agent = new http.Agent({ keepAlive: true })));
    const pseudo = (n: string): string => headers.find(([k]) => k === n)?.[1] ?? '';
    const wire: Array<[string, string]> = [['host', pseudo(':authority')]];
    for (const [k, v] of headers) if (!k.startsWith(':') && !HOP_BY_HOP.has(k)) wire.push([k, v]);
    const req = http.request({
      host: t.endpoint.host,
      port: t.endpoint.port,
      method: pseudo(':method'),
      path: pseudo(':path'),
      headers: wire as unknown as http.OutgoingHttpHeaders,
      setHost: false,
      agent,
    });
    let done = false;
    let res: http.IncomingMessage | undefined;
    const fail = (reason: ResetReason, transport = ''): void => {
      if (done) return;
      done = true;
      req.destroy();
      h.onReset(reason, transport);
    };
    const timer = connectTimer(t, () => fail('connection timeout'));
    req.on('socket', (s) => {
      if (!s.connecting) clearTimeout(timer);
      else s.once('connect', () => clearTimeout(timer));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      fail(...classify(err, res !== undefined));
    });
    req.on('response', (r) => {
      res = r;
      const list: HeaderList = [[':status', String(r.statusCode ?? 502)]];
      for (let i = 0; i < r.rawHeaders.length; i += 2) {
        const k = r.rawHeaders[i].toLowerCase();
        if (!HOP_BY_HOP.has(k)) list.push([k, r.rawHeaders[i + 1]]);
      }
      h.onHeaders(list, false);
      r.on('data', (chunk: Buffer) => {
        if (!done) h.onData(chunk, false);
      });
      r.on('end', () => {
        if (done) return;
        done = true;
        // HTTP/1 trailers reach Envoy only with http_protocol_options.enable_trailers (default off).
        h.onData(Buffer.alloc(0), true);
      });
      r.on('aborted', () => fail('connection termination'));
      r.on('error', () => fail('connection termination'));
    });
    if (endStream) req.end();
    else req.flushHeaders();
    return {
      sendData: (data, end) => {
        if (done) return true;
        const ok = data.length > 0 ? req.write(data) : true;
        if (end) req.end();
        return ok;
      },
      sendTrailers: () => {
        if (!done) req.end();
      }, // dropped on HTTP/1, as Envoy without enable_trailers
      onDrain: (cb) => req.once('drain', cb),
      pauseResponse: () => res?.pause(),
      resumeResponse: () => res?.resume(),
      reset: () => {
        done = true;
        clearTimeout(timer);
        req.destroy();
      },
    };
  }

  private session(t: UpstreamTarget): http2.ClientHttp2Session {
    let s = this.sessions.get(t.name);
    if (s && !s.closed && !s.destroyed) return s;
    s = http2.connect(`http://${t.endpoint.host}:${t.endpoint.port}`);
    const session = s;
    session.on('error', () => {
      /* surfaced on each stream */
    });
    session.on('close', () => {
      if (this.sessions.get(t.name) === session) this.sessions.delete(t.name);
    });
    this.sessions.set(t.name, session);
    return session;
  }

  private openH2(t: UpstreamTarget, headers: HeaderList, endStream: boolean, h: UpstreamHandlers): UpstreamStream {
    const session = this.session(t);
    const out: http2.OutgoingHttpHeaders = {};
    for (const [k, v] of headers) {
      if (HOP_BY_HOP.has(k) && !(k === 'te' && v === 'trailers')) continue;
      const prev = out[k];
      out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [String(prev), v];
    }
    out[':scheme'] ??= 'http';
    let done = false;
    let gotTrailers = false;
    const stream = session.request(out, { endStream });
    const fail = (reason: ResetReason, transport = ''): void => {
      if (done) return;
      done = true;
      stream.close(http2.constants.NGHTTP2_CANCEL);
      h.onReset(reason, transport);
    };
    const timer = session.connecting
      ? connectTimer(t, () => {
          fail('connection timeout');
        })
      : undefined;
    if (timer) session.once('connect', () => clearTimeout(timer));
    let started = false;
    stream.on('response', (hs) => {
      started = true;
      const list: HeaderList = [];
      for (const [k, v] of Object.entries(hs)) {
        if (v === undefined) continue;
        for (const one of Array.isArray(v) ? v : [v]) list.push([k, String(one)]);
      }
      list.sort((a, b) => Number(b[0] === ':status') - Number(a[0] === ':status'));
      h.onHeaders(list, false);
    });
    stream.on('data', (chunk: Buffer) => {
      if (!done) h.onData(chunk, false);
    });
    stream.on('trailers', (tr) => {
      if (done) return;
      gotTrailers = true;
      h.onTrailers(
        Object.entries(tr).flatMap(([k, v]) =>
          (Array.isArray(v) ? v : [v]).map((x) => [k, String(x)] as [string, string]),
        ),
      );
    });
    stream.on('end', () => {
      if (done) return;
      done = true;
      if (!gotTrailers) h.onData(Buffer.alloc(0), true);
    });
    stream.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      fail(...classify(err, started));
    });
    stream.on('close', () => {
      if (!done) fail(started ? 'remote reset' : 'connection termination');
    });
    return {
      sendData: (data, end) => {
        if (done) return true;
        if (end) {
          stream.end(data);
          return true;
        }
        return stream.write(data);
      },
      sendTrailers: (tr) => {
        if (done) return;
        const obj: http2.OutgoingHttpHeaders = {};
        for (const [k, v] of tr) obj[k] = v;
        stream.sendTrailers(obj);
      },
      onDrain: (cb) => stream.once('drain', cb),
      pauseResponse: () => stream.pause(),
      resumeResponse: () => stream.resume(),
      reset: () => {
        done = true;
        clearTimeout(timer);
        stream.close(http2.constants.NGHTTP2_CANCEL);
      },
    };
  }
}

function connectTimer(t: UpstreamTarget, onTimeout: () => void): NodeJS.Timeout {
  const timer = setTimeout(onTimeout, t.connectTimeoutMs);
  timer.unref();
  return timer;
}

/** Node socket errors → Envoy reset reason + transport failure reason (ConnectionImpl "delayed connect error: <errno>"). */
function classify(err: NodeJS.ErrnoException, responseStarted: boolean): [ResetReason, string] {
  if (
    !responseStarted &&
    (err.code === 'ECONNREFUSED' ||
      err.code === 'EHOSTUNREACH' ||
      err.code === 'ENETUNREACH' ||
      err.code === 'EADDRNOTAVAIL')
  ) {
    const errno = { ECONNREFUSED: 111, EHOSTUNREACH: 113, ENETUNREACH: 101, EADDRNOTAVAIL: 99 }[err.code];
    return ['remote connection failure', `delayed connect error: ${errno}`];
  }
  return [responseStarted ? 'remote reset' : 'connection termination', ''];
}
