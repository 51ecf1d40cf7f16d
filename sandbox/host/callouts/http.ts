// proxy_http_call's network half: send one request to a cluster over HTTP/1.1 or HTTP/2 and report
// the outcome as Envoy's async client does. Failures before response headers become the local replies
// Envoy's router generates (503 "upstream connect error …", 504 "upstream request timeout"), delivered
// as ordinary responses; only a reset after headers is a failure (Envoy Context::onHttpCallFailure →
// on_http_call_response(0,0,0) with status BrokenConnection) — see reference §5.8, Kong/ngx_wasm_module#622.

import http from 'node:http';
import type { ClientHttp2Stream } from 'node:http2';
import type { Clusters } from '../clusters.js';
import type { HeaderList } from '../headers.js';

export type HttpOutcome =
  | { kind: 'response'; headers: HeaderList; body: Buffer; trailers: HeaderList }
  | { kind: 'reset' };

export interface HttpRequestSpec {
  cluster: string;
  headers: HeaderList;
  body: Buffer;
  trailers: HeaderList;
  timeoutMs: number;
}

/** An Envoy-generated local reply as the async client hands it to the caller. */
export function envoyLocalReply(status: number, text: string): HttpOutcome {
  const body = Buffer.from(text);
  return {
    kind: 'response',
    headers: [
      [':status', String(status)],
      ['content-length', String(body.length)],
      ['content-type', 'text/plain'],
      ['server', 'envoy'],
    ],
    body,
    trailers: [],
  };
}
const CONNECT_FAILURE = 'upstream connect error or disconnect/reset before headers. reset reason: connection failure';
const CONNECT_TERMINATION =
  'upstream connect error or disconnect/reset before headers. reset reason: connection termination';

export function sendHttp(
  clusters: Clusters,
  spec: HttpRequestSpec,
  done: (o: HttpOutcome) => void,
): { cancel(): void } {
  const cluster = clusters.get(spec.cluster)!;
  let finished = false;
  let abort: () => void = () => {};
  let timer: NodeJS.Timeout | undefined;
  const finish = (o: HttpOutcome | undefined): void => {
    if (finished) return;
    finished = true;
    if (timer) clearTimeout(timer);
    if (o) done(o);
  };
  if (spec.timeoutMs > 0) {
    timer = setTimeout(() => {
      abort();
      finish(envoyLocalReply(504, 'upstream request timeout'));
    }, spec.timeoutMs);
  }
  const regular = spec.headers.filter(([k]) => !k.startsWith(':'));
  const pseudo = new Map(spec.headers.filter(([k]) => k.startsWith(':')));
  // Envoy's async client marks the request internal; send_xff is false for Wasm callouts.
  regular.push(['x-envoy-internal', 'true']);
  if (spec.body.length > 0 && !regular.some(([k]) => k === 'content-length'))
    regular.push(['content-length', String(spec.body.length)]);

  if (cluster.http2) {
    let stream: ClientHttp2Stream;
    try {
      const headers: Record<string, string | string[]> = {
        ':method': pseudo.get(':method')!,
        ':path': pseudo.get(':path')!,
        ':authority': pseudo.get(':authority')!,
        ':scheme': pseudo.get(':scheme') ?? 'http',
      };
      for (const [k, v] of regular) headers[k] = k in headers ? ([] as string[]).concat(headers[k], v) : v;
      stream = clusters
        .session(spec.cluster)
        .request(headers, { endStream: false, waitForTrailers: spec.trailers.length > 0 });
    } catch {
      finish(envoyLocalReply(503, CONNECT_FAILURE));
      return {
        cancel: () => {
          finished = true;
        },
      };
    }
    abort = () => stream.close();
    let resHeaders: HeaderList | undefined;
    const chunks: Buffer[] = [];
    let trailers: HeaderList = [];
    stream.on('wantTrailers', () => stream.sendTrailers(Object.fromEntries(spec.trailers)));
    stream.on('response', (h) => {
      resHeaders = flattenH2(h);
    });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('trailers', (t) => {
      trailers = flattenH2(t);
    });
    let ready = false;
    stream.on('ready', () => {
      ready = true;
    });
    stream.on('error', () => {});
    stream.on('close', () => {
      if (resHeaders && stream.rstCode === 0)
        finish({ kind: 'response', headers: resHeaders, body: Buffer.concat(chunks), trailers });
      else if (resHeaders) finish({ kind: 'reset' });
      else finish(envoyLocalReply(503, ready ? CONNECT_TERMINATION : CONNECT_FAILURE));
    });
    stream.end(spec.body);
    return {
      cancel: () => {
        finished = true;
        if (timer) clearTimeout(timer);
        stream.close();
      },
    };
  }

  const rawHeaders: string[] = [];
  for (const [k, v] of regular) rawHeaders.push(k, v);
  rawHeaders.push('host', pseudo.get(':authority')!);
  const req = http.request({
    host: cluster.host,
    port: cluster.port,
    method: pseudo.get(':method'),
    path: pseudo.get(':path'),
    headers: rawHeaders,
    agent: clusters.httpAgent,
  });
  abort = () => req.destroy();
  let connected = false;
  req.on('socket', (sock) =>
    sock.once('connect', () => {
      connected = true;
    }),
  );
  req.on('response', (res) => {
    const headers: HeaderList = [[':status', String(res.statusCode)]];
    for (let i = 0; i < res.rawHeaders.length; i += 2)
      headers.push([res.rawHeaders[i].toLowerCase(), res.rawHeaders[i + 1]]);
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      const trailers: HeaderList = [];
      for (let i = 0; i < res.rawTrailers.length; i += 2)
        trailers.push([res.rawTrailers[i].toLowerCase(), res.rawTrailers[i + 1]]);
      finish({ kind: 'response', headers, body: Buffer.concat(chunks), trailers });
    });
    res.on('error', () => finish({ kind: 'reset' }));
    res.on('aborted', () => finish({ kind: 'reset' }));
  });
  req.on('error', () =>
    finish(envoyLocalReply(503, connected || req.reusedSocket ? CONNECT_TERMINATION : CONNECT_FAILURE)),
  );
  req.end(spec.body);
  return {
    cancel: () => {
      finished = true;
      if (timer) clearTimeout(timer);
      req.destroy();
    },
  };
}

export function flattenH2(h: Record<string, string | string[] | undefined>): HeaderList {
  const out: HeaderList = [];
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [String(v)]) out.push([k, one]);
  }
  // keep pseudo-headers first as Envoy does
  return [...out.filter(([k]) => k.startsWith(':')), ...out.filter(([k]) => !k.startsWith(':'))];
}
