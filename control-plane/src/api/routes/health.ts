// GET /healthz (open, the liveness probe: 200 when the store answers, 503 otherwise), GET /readyz
// (open, the readiness probe: the store answers AND the filters' gRPC server is listening and not
// draining; deps.ready), and GET /metrics (Prometheus text; inside the authenticated scope, app.ts).

import type { ApiInstance } from '../types.js';
import type { Registry } from 'prom-client';
import type { ApiDeps } from '../deps.js';
import { errorBody, Refused } from '../plugins/errors.js';

export async function healthRoutes(
  app: ApiInstance,
  { deps, version }: { deps: ApiDeps; version: string },
): Promise<void> {
  const started = Date.now();
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['status'],
        summary: 'Liveness and store reachability',
        security: [],
        response: {
          200: {
            type: 'object',
            required: ['status'],
            properties: { status: { type: 'string' }, version: { type: 'string' }, uptimeSeconds: { type: 'number' } },
          },
          503: { $ref: 'Error#' },
        },
      },
    },
    async (request) => {
      try {
        await deps.store.ping();
      } catch (err) {
        request.log.error({ err }, 'health check: store unavailable');
        throw new Refused(503, 'store unavailable');
      }
      return { status: 'ok', version, uptimeSeconds: Math.round((Date.now() - started) / 1000) };
    },
  );
}

export async function readyRoute(app: ApiInstance, { deps }: { deps: ApiDeps }): Promise<void> {
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['status'],
        summary: 'Readiness: the store answers and the gRPC stream server accepts filters',
        security: [],
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['status'],
            properties: {
              status: { type: 'string' },
              leader: {
                type: 'boolean',
                description: 'replicated mode: whether this replica runs the mirror ramps (absent on one process)',
              },
            },
          },
          503: { $ref: 'Error#' },
        },
      },
    },
    async (request, reply) => {
      const unready = (message: string) => reply.code(503).send(errorBody(503, message));
      try {
        await deps.store.ping();
      } catch (err) {
        request.log.error({ err }, 'readiness: store unavailable');
        return unready('store unavailable');
      }
      const grpc = deps.ready?.() ?? { grpc: true };
      if (!grpc.grpc) return unready('the gRPC stream server is not accepting filters');
      return { status: 'ready', ...(grpc.leader !== undefined ? { leader: grpc.leader } : {}) };
    },
  );
}

export async function metricsRoute(app: ApiInstance, { registry }: { registry: Registry }): Promise<void> {
  app.get(
    '/metrics',
    {
      schema: { tags: ['status'], summary: 'Prometheus metrics (viewer role)', produces: ['text/plain'] },
    },
    async (_request, reply) => {
      void reply.type(registry.contentType);
      return registry.metrics();
    },
  );
}
