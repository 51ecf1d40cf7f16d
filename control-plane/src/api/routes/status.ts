// What the control plane sees right now: /api/v1/alerts (stored, newest first; POST …/{id}/acknowledge
// and …/resolve move an alert's state, editor) and /api/v1/nodes
// (every filter worker that connected, with its config ack state).

import type { ApiInstance } from '../types.js';
import type { ApiDeps } from '../deps.js';
import { alertView, nodeView } from '../timestamps.js';
import { authErrors, errors, limitQuery, parseLimit, POLICY_NAME_PATTERN } from '../schemas/common.js';
import { who } from './preconditions.js';

export async function statusRoutes(app: ApiInstance, { deps }: { deps: ApiDeps }): Promise<void> {
  app.get(
    '/alerts',
    {
      schema: {
        tags: ['status'],
        summary: 'Regression alerts, newest first (?state=open for what needs attention)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            policy: { type: 'string', pattern: POLICY_NAME_PATTERN },
            limit: limitQuery,
            state: { type: 'string', enum: ['open', 'acknowledged', 'resolved'] },
          },
        },
        response: { 200: { $ref: 'AlertList#' }, ...authErrors, ...errors(400) },
      },
    },
    async (request) => ({
      alerts: (
        await deps.store.listAlerts({
          policy: request.query.policy,
          limit: parseLimit(request.query.limit),
          state: request.query.state,
        })
      ).map(alertView),
    }),
  );

  for (const [action, state] of [
    ['acknowledge', 'acknowledged'],
    ['resolve', 'resolved'],
  ] as const) {
    app.post(
      `/alerts/:id/${action}`,
      {
        config: { role: 'editor' },
        schema: {
          tags: ['status'],
          summary: `Mark an alert ${state} (who and when are kept)`,
          params: {
            type: 'object',
            required: ['id'],
            additionalProperties: false,
            properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,14}$' } },
          },
          response: { 200: { $ref: 'AlertList#/properties/alerts/items' }, ...authErrors, ...errors(400, 404) },
        },
      },
      async (request) =>
        alertView(await deps.store.setAlertState(Number(request.params.id), state, who(request), Date.now())),
    );
  }

  app.get(
    '/nodes',
    {
      schema: {
        tags: ['status'],
        summary: 'Connected (and recently disconnected) filter workers',
        response: { 200: { $ref: 'NodeList#' }, ...authErrors },
      },
    },
    async () => ({ nodes: deps.nodes.list().map(nodeView) }),
  );
}
