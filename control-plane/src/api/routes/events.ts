// GET /api/v1/events: server-sent events for the dashboard (viewer role). Events name what changed
// (event-bus.ts: 'policy', 'alert', and 'update' at most once a second); the client re-reads the API.
//
// Authentication is the ordinary Authorization header. A browser's EventSource cannot send headers,
// so the dashboard reads this stream with fetch() and parses it itself (ui/events.ts) instead of
// taking a token in the query string: a URL ends up in access logs, proxies and browser history, a
// header does not, and the auth plugin stays the one place that reads credentials.
// Any SSE client that can set a header (curl -N -H 'authorization: Bearer …') works as well.

import { alertView } from '../timestamps.js';
import type { ApiInstance } from '../types.js';
import type { ApiDeps } from '../deps.js';
import type { BusEvent } from '../event-bus.js';
import { authErrors } from '../schemas/common.js';
import { Refused } from '../plugins/errors.js';

export const MAX_EVENT_STREAMS = 100;
/** per token (principal), so one viewer cannot take every slot (issue 14 finding 13) */
export const MAX_EVENT_STREAMS_PER_TOKEN = 10;
const KEEPALIVE_MS = 15_000;

export async function eventRoutes(app: ApiInstance, { deps }: { deps: ApiDeps }): Promise<void> {
  const events = deps.events;
  const open = new Set<() => void>();
  const perToken = new Map<unknown, number>();
  // Open streams never finish on their own: end them before the server waits for its connections.
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  app.get(
    '/events',
    {
      schema: {
        tags: ['status'],
        summary: 'Server-sent events: policy changes, new alerts, report/blast-radius/node updates (≤ 1/s)',
        description:
          "text/event-stream. Events: 'hello', 'policy' {policies:[{name,version}]}, 'alert' (a stored alert), " +
          "'update' {reports:[policy], blast:[policy], nodes:boolean}. They say what changed; re-read the API.",
        produces: ['text/event-stream'],
        response: { ...authErrors, 429: { $ref: 'Error#' }, 503: { $ref: 'Error#' } },
      },
    },
    async (request, reply) => {
      if (!events) throw new Refused(503, 'live updates are not available on this server');
      if (open.size >= MAX_EVENT_STREAMS) {
        throw new Refused(503, `too many open event streams (${MAX_EVENT_STREAMS})`);
      }
      const owner: unknown = request.principal ?? null;
      const mine = perToken.get(owner) ?? 0;
      if (mine >= MAX_EVENT_STREAMS_PER_TOKEN) {
        throw new Refused(429, `too many open event streams for this token (${MAX_EVENT_STREAMS_PER_TOKEN})`);
      }
      perToken.set(owner, mine + 1);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no', // nginx: do not buffer the stream
      });
      const send = (e: BusEvent | { type: 'hello'; data: unknown }) => {
        res.write(`event: ${e.type}\ndata: ${JSON.stringify(e.type === 'alert' ? alertView(e.data) : e.data)}\n\n`);
      };
      res.write('retry: 3000\n\n');
      send({ type: 'hello', data: { who: request.principal?.name ?? null } });
      const unsubscribe = events.subscribe(send);
      const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
      keepalive.unref();
      const end = () => {
        if (!open.delete(end)) return;
        const left = (perToken.get(owner) ?? 1) - 1;
        if (left > 0) perToken.set(owner, left);
        else perToken.delete(owner);
        clearInterval(keepalive);
        unsubscribe();
        res.end();
      };
      open.add(end);
      // the response's 'close' (not the request's, which fires once a GET is read) = the client left
      res.on('close', end);
      res.on('error', end);
    },
  );
}
