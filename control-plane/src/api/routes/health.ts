// GET /healthz (open, for probes: 200 when the store answers, 503 otherwise) and GET /metrics
// (Prometheus text; registered inside the authenticated scope by app.ts).

import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { ApiDeps } from '../deps.js';

export async function healthRoutes(
  app: FastifyInstance,
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
    async (request, reply) => {
      try {
        await deps.store.ping();
      } catch (err) {
        request.log.error({ err }, 'health check: store unavailable');
        return reply.code(503).send({ error: 'Service Unavailable', message: 'store unavailable', statusCode: 503 });
      }
      return { status: 'ok', version, uptimeSeconds: Math.round((Date.now() - started) / 1000) };
    },
  );
}

export async function metricsRoute(app: FastifyInstance, { registry }: { registry: Registry }): Promise<void> {
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
