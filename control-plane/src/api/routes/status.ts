// What the control plane sees right now: /api/v1/alerts (stored, newest first) and /api/v1/nodes
// (every filter worker that connected, with its config ack state).

import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { authErrors, errors, limitQuery, parseLimit, POLICY_NAME_PATTERN } from '../schemas/common.js';

export async function statusRoutes(app: FastifyInstance, { deps }: { deps: ApiDeps }): Promise<void> {
  app.get<{ Querystring: { policy?: string; limit?: string } }>(
    '/alerts',
    {
      schema: {
        tags: ['status'],
        summary: 'Regression alerts, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { policy: { type: 'string', pattern: POLICY_NAME_PATTERN }, limit: limitQuery },
        },
        response: { 200: { $ref: 'AlertList#' }, ...authErrors, ...errors(400) },
      },
    },
    async (request) => ({
      alerts: await deps.store.listAlerts({ policy: request.query.policy, limit: parseLimit(request.query.limit) }),
    }),
  );

  app.get(
    '/nodes',
    {
      schema: {
        tags: ['status'],
        summary: 'Connected (and recently disconnected) filter workers',
        response: { 200: { $ref: 'NodeList#' }, ...authErrors },
      },
    },
    async () => ({ nodes: deps.nodes.list() }),
  );
}
