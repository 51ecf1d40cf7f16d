// Stream server: the gRPC listener for shadow.v1.ShadowGuard/Connect and its graceful shutdown.
//
// Transport only (go-control-plane's pkg/server): which configuration a node gets is the
// the snapshot cache's business, what happens to halves and events is the injected handlers' business.
// The service is registered with identity (de)serializers so that grpc-js hands us raw bytes and
// every decoding error is handled per message by the session (a throwing deserializer would become
// an INTERNAL status decided by grpc-js, not by us). Message size is bounded both ways.
import type { EventEmitter } from 'node:events';
import type http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { NodeRegistry } from '../nodes/registry.js';
import type { ConfigWatcher } from '../snapshot/cache.js';
import { SERVICE_PATH } from './codec.js';
import { DeliveryLedger, type DeliveryStats } from './delivery.js';
import type { StreamCredential, WorkloadIdentity } from './identity.js';
import { Session, type RawCall, type StreamHandlers } from './session.js';

export type { StreamHandlers } from './session.js';

export interface StreamServerOptions {
  /** shared token expected as `authorization: Bearer <token>`, covering every service */
  token?: string;
  /** per-service tokens and Istio workload identities (stream/identity.ts) */
  streamCredentials?: StreamCredential[];
  identities?: WorkloadIdentity[];
  logger: Logger;
  handlers: StreamHandlers;
  cache: ConfigWatcher;
  registry: NodeRegistry;
  maxMessageBytes?: number;
  helloTimeoutMs?: number;
  credentials?: grpc.ServerCredentials;
  /** dedup state of numbered reports (stream/delivery.ts); one per server when absent */
  delivery?: DeliveryLedger;
}

export interface StreamServer {
  /** Binds and starts serving; resolves with the bound port (useful with port 0). */
  listen(port: number, host?: string): Promise<number>;
  /**
   * Refuses new streams; reads each open one until it is quiet (≤ graceMs/2) and ends it with
   * UNAVAILABLE; waits for the connections to close until graceMs, then forces them.
   */
  close(graceMs?: number): Promise<void>;
  sessionCount(): number;
  /** delivery counters: accepted, duplicates dropped, unnumbered, senders tracked, senders forgotten */
  deliveryStats(): DeliveryStats;
  /** streams refused by reason: 'unauthenticated', 'permission-denied' */
  refusals(): Record<string, number>;
}

const identity = (b: Buffer): Buffer => b;

/**
 * HTTP/2 receive windows. nghttp2's default (64 KiB per stream and per connection) holds fewer
 * halves than one Batch message (32 × ~2.3 KiB), so a filter with a backlog waited for a
 * WINDOW_UPDATE round trip every ~28 halves: the stream bench's control plane sat idle a third of
 * the time. The stream window bounds what one stream may have in flight unread; the connection
 * window what all streams of one connection (an Envoy shares one among its workers) may.
 */
export const STREAM_WINDOW_BYTES = 1024 * 1024;
export const CONNECTION_WINDOW_BYTES = 4 * 1024 * 1024;

/**
 * grpc-js has no server option for the windows (its 'grpc-node.flow_control_window' is client-only),
 * so each HTTP/2 session it accepts is widened as it opens. Reaching its listeners needs grpc-js's
 * private `http2Servers` map; if a grpc-js upgrade renames it, this says so (the stream works, slower).
 */
function widenWindows(server: grpc.Server, log: Logger): void {
  const listeners = (server as unknown as { http2Servers?: Map<EventEmitter, unknown> }).http2Servers;
  if (!(listeners instanceof Map)) {
    log.warn('grpc-js internals changed: the HTTP/2 receive windows stay at 64 KiB (slower ingest)');
    return;
  }
  for (const h2 of listeners.keys()) {
    if (widened.has(h2)) continue;
    widened.add(h2);
    h2.on('session', (session: http2.ServerHttp2Session) => {
      session.settings({ initialWindowSize: STREAM_WINDOW_BYTES });
      session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
    });
  }
}
const widened = new WeakSet<EventEmitter>();

const HARD_LIMIT_FACTOR = 4;

export const CONNECT_METHOD: grpc.ServiceDefinition = {
  Connect: {
    path: SERVICE_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

export function createStreamServer(opts: StreamServerOptions): StreamServer {
  const maxBytes = opts.maxMessageBytes ?? 4 * 1024 * 1024;
  const log = opts.logger.child({ component: 'stream' });
  // gRPC ends the whole stream with RESOURCE_EXHAUSTED at its receive limit, losing every half behind
  // the message until the filter reconnects (issue 14 finding 14). So gRPC's limit is a hard ceiling
  // above maxBytes, and a message between the two is skipped and counted by the session ('oversized')
  // while the stream goes on; the filter caps its own messages below 4 MiB (filter/stream/queue.ts).
  const server = new grpc.Server({
    'grpc.max_receive_message_length': maxBytes * HARD_LIMIT_FACTOR,
    'grpc.max_send_message_length': maxBytes,
  });
  const sessions = new Set<Session>();
  const delivery = opts.delivery ?? new DeliveryLedger();
  const refused: Record<string, number> = {};
  const counters = { count: (reason: string) => void (refused[reason] = (refused[reason] ?? 0) + 1) };
  let closing: Promise<void> | undefined;

  const connect = (call: RawCall) => {
    if (closing) {
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'control plane shutting down' });
      return;
    }
    const session = new Session(call, {
      logger: log,
      handlers: opts.handlers,
      cache: opts.cache,
      registry: opts.registry,
      delivery,
      token: opts.token,
      credentials: opts.streamCredentials,
      identities: opts.identities,
      counters,
      helloTimeoutMs: opts.helloTimeoutMs ?? 10_000,
      maxMessageBytes: maxBytes,
    });
    sessions.add(session);
    void session.done.then(() => sessions.delete(session));
  };
  server.addService(CONNECT_METHOD, { Connect: connect });

  return {
    listen(port, host = '0.0.0.0') {
      const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      return new Promise((resolve, reject) => {
        server.bindAsync(address, opts.credentials ?? grpc.ServerCredentials.createInsecure(), (err, bound) => {
          if (err) return reject(err);
          widenWindows(server, log);
          log.info({ address, port: bound, auth: opts.token !== undefined }, 'stream server listening');
          resolve(bound);
        });
      });
    },

    close(graceMs = 5000) {
      closing ??= new Promise<void>((resolve) => {
        let done = false;
        const force = (why: string): void => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          log.info({ open: sessions.size, why }, 'forcing stream shutdown');
          server.forceShutdown();
          resolve();
        };
        const timer = setTimeout(() => {
          log.warn({ open: sessions.size, graceMs }, 'grace period over; forcing stream shutdown');
          force('grace period over');
        }, graceMs);
        timer.unref();
        // tryShutdown stops the listeners and sends GOAWAY; its callback fires once every HTTP/2
        // session is closed, which needs every stream ended: that is the drain.
        server.tryShutdown(() => {
          done = true;
          clearTimeout(timer);
          resolve();
        });
        // Each stream keeps being read until its filter goes quiet (messages sent before the GOAWAY
        // arrived are still in flight), within half the grace; the other half is for the transport.
        const quietMs = Math.min(100, graceMs / 4);
        for (const s of sessions) s.shutdown(quietMs, graceMs / 2);
        // Once every stream has ended nothing more can arrive, but a peer may keep its idle HTTP/2
        // connection open (Envoy pools them): after a moment for the final statuses to be written,
        // close it rather than wait out the whole grace period.
        void Promise.all([...sessions].map((s) => s.done)).then(() => {
          setTimeout(() => force('every stream ended'), quietMs).unref();
        });
      }).then(() => log.info('stream server closed'));
      return closing;
    },

    sessionCount: () => sessions.size,
    deliveryStats: () => delivery.stats(),
    refusals: () => ({ ...refused }),
  };
}
