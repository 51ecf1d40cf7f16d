// One listener's HTTP connection manager: a node:http (HTTP/1.1) server whose every request becomes
// a stream through [wasm filters…, router]. Before any filter runs it mutates the request headers as
// ConnectionManagerUtility::mutateRequestHeaders does (request-headers.ts: use_remote_address, trusted
// XFF hops, internal addresses, internal_only_headers, x-request-id at the edge). Responses get
// Envoy's `server: envoy` and `date`. A connection sticks to one worker VM, as in Envoy.

import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Plugin } from '../host/index.js';
import type { ListenerConfig } from './bootstrap.js';
import { mutateRequestHeaders } from './request-headers.js';
import { RouterFilter, type Encoder, type RouterContext } from './router.js';
import { clearsRouteCacheOnHeaderChange, RouteCache } from './route-cache.js';
import type { HeaderList } from './routing.js';
import type { UpstreamTarget, Upstreams } from './upstream.js';
import { WasmLink, type Decoder } from './wasm-link.js';

export interface ListenerDeps {
  plugins: Plugin[];
  /** Stream properties shared by every stream of this listener (xds.node, xds.listener_direction). */
  xds: Record<string, unknown>;
  resolve(cluster: string): UpstreamTarget | undefined;
  upstreams: Upstreams;
  workers: number;
  onShadow?: RouterContext['onShadow'];
  clearsRouteCache?: (abi: string) => boolean;
}

export class HttpListener {
  readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly workerOf = new WeakMap<Socket, number>();
  private nextWorker = 0;
  /** Set once every plugin of the chain is loaded; until then the listener is still warming. */
  ready = false;

  constructor(
    readonly config: ListenerConfig,
    private readonly deps: ListenerDeps,
  ) {
    this.server = http.createServer((req, res) => this.onRequest(req, res));
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      this.workerOf.set(s, this.nextWorker++ % deps.workers);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async listen(port: number): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The request headers filters see first (HCM mutateRequestHeaders, request-headers.ts). */
  requestHeaders(req: http.IncomingMessage): HeaderList {
    const raw: HeaderList = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      raw.push([req.rawHeaders[i].toLowerCase(), req.rawHeaders[i + 1]]);
    const pseudo: HeaderList = [
      [':authority', req.headers.host ?? ''],
      [':path', req.url ?? '/'],
      [':method', req.method ?? 'GET'],
      [':scheme', 'http'],
    ];
    const { hcm } = this.config;
    return mutateRequestHeaders(
      raw,
      pseudo,
      { remote: req.socket.remoteAddress ?? '', local: req.socket.localAddress ?? '127.0.0.1' },
      {
        ...hcm.edge,
        generateRequestId: hcm.generateRequestId,
        internalOnlyHeaders: hcm.routeConfig.internalOnlyHeaders,
      },
    ).headers;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (!this.ready) {
      res.writeHead(503, { server: 'envoy' }).end();
      return;
    }
    const socket = req.socket;
    const worker = this.workerOf.get(socket) ?? 0;
    let router: RouterFilter | undefined;
    let finished = false;
    const links: WasmLink[] = [];
    const resetDownstream = (): void => {
      if (finished) return;
      finished = true;
      for (const l of links) if (!l.stream.wasReset) l.stream.reset('downstream_reset');
      router?.onDestroy();
      res.destroy();
    };

    const downstream: Encoder = {
      encodeHeaders: (h, end) => {
        if (res.headersSent || res.destroyed) return;
        const status = Number(h.find(([k]) => k === ':status')?.[1] ?? 502);
        const flat: string[] = [];
        for (const [k, v] of h) if (!k.startsWith(':') && k !== 'server' && k !== 'date') flat.push(k, v);
        flat.push('date', new Date().toUTCString(), 'server', 'envoy'); // HCM: server_header_transformation OVERWRITE
        res.writeHead(status, flat);
        if (end) res.end();
      },
      encodeData: (d, end) => {
        if (res.destroyed || res.writableEnded) return;
        if (d.length > 0 && !res.write(d)) {
          router?.pauseResponse();
          res.once('drain', () => router?.resumeResponse());
        }
        if (end) res.end();
      },
      encodeTrailers: () => {
        if (!res.writableEnded) res.end();
      }, // HTTP/1 trailers need enable_trailers (off)
    };

    const ctx: RouterContext = {
      routeConfig: this.config.hcm.routeConfig,
      resolve: this.deps.resolve,
      upstreams: this.deps.upstreams,
      streamId: randomBytes(8).readBigUInt64LE(),
      localAddress: '127.0.0.1',
      pauseDownstream: () => req.pause(),
      resumeDownstream: () => req.resume(),
      resetDownstream,
      onShadow: this.deps.onShadow,
      route: (h) => cache.route(h),
    };
    const cache = new RouteCache(this.config.hcm.routeConfig);
    const route = () => router?.selected ?? cache.route(links[0]?.stream.requestHeaders ?? []);
    const props = {
      ...this.deps.xds,
      'source.address': `${socket.remoteAddress}:${socket.remotePort}`,
      'destination.address': `${socket.localAddress}:${socket.localPort}`,
      // The route as Envoy would report it now: the router's choice once made, before that the match
      // on the request headers as they stand (the route cache is recomputed after a header change).
      'xds.route_name': () => route()?.route.name,
      'xds.cluster_name': () => route()?.route.cluster,
      'xds.virtual_host_name': () => route()?.vhost.name,
    };
    // Chain: downstream → wasm[0] → … → router; responses back in reverse.
    let prev: Encoder = downstream;
    const first: { d: Decoder | undefined } = { d: undefined };
    let last: WasmLink | undefined;
    for (const plugin of this.deps.plugins) {
      const clears = (this.deps.clearsRouteCache ?? clearsRouteCacheOnHeaderChange)(plugin.abiVersion);
      const link = new WasmLink(
        plugin.newStream({ worker, properties: props }),
        () => resetDownstream(),
        () => (clears ? cache.clear() : undefined),
      );
      link.prev = prev;
      if (last) last.next = link;
      else first.d = link;
      links.push(link);
      last = link;
      prev = link;
    }
    router = new RouterFilter(ctx, prev);
    if (last) last.next = router;
    const head: Decoder = first.d ?? router;

    res.on('finish', () => {
      finished = true;
      router?.onComplete();
    });
    res.on('close', () => {
      if (!res.writableFinished) resetDownstream();
    });

    const hasBody =
      (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') ||
      req.headers['transfer-encoding'] !== undefined;
    const headers = this.requestHeaders(req);
    cache.refresh(headers); // ActiveStream::decodeHeaders → refreshCachedRoute, before any filter
    head.decodeHeaders(headers, !hasBody);
    if (hasBody) {
      req.on('data', (chunk: Buffer) => head.decodeData(chunk, false));
      req.on('end', () => head.decodeData(Buffer.alloc(0), true));
    } else {
      req.resume();
    }
  }
}
