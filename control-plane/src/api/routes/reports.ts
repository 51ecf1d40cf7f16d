// /api/v1/reports/{policy}: per-endpoint diff reports, and one endpoint's fields and examples. The
// endpoint is one URL-encoded path segment: 'GET /users/{id}' → GET%20%2Fusers%2F%7Bid%7D.
// Reports of a deleted policy stay readable; a name that never existed is a 404.

import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { authErrors, errors, POLICY_NAME_PATTERN } from '../schemas/common.js';
import { NotFound } from '../plugins/errors.js';

const policyParam = { type: 'string', pattern: POLICY_NAME_PATTERN } as const;

export async function reportRoutes(app: FastifyInstance, { deps }: { deps: ApiDeps }): Promise<void> {
  const known = async (policy: string): Promise<boolean> =>
    (deps.reports.endpoints(policy)?.length ?? 0) > 0 || (await deps.store.history(policy)) !== undefined;

  app.get<{ Params: { policy: string } }>(
    '/reports/:policy',
    {
      schema: {
        tags: ['reports'],
        summary: 'Per-endpoint diff reports of a policy',
        params: {
          type: 'object',
          required: ['policy'],
          additionalProperties: false,
          properties: { policy: policyParam },
        },
        response: { 200: { $ref: 'EndpointReportList#' }, ...authErrors, ...errors(400, 404) },
      },
    },
    async (request, _reply) => {
      const { policy } = request.params;
      if (!(await known(policy))) throw new NotFound(`policy '${policy}' does not exist`);
      return { policy, endpoints: deps.reports.endpoints(policy) ?? [] };
    },
  );

  app.get<{ Params: { policy: string; endpoint: string } }>(
    '/reports/:policy/endpoints/:endpoint',
    {
      schema: {
        tags: ['reports'],
        summary: 'Fields, differences and redacted examples of one endpoint',
        params: {
          type: 'object',
          required: ['policy', 'endpoint'],
          additionalProperties: false,
          properties: {
            policy: policyParam,
            endpoint: {
              type: 'string',
              minLength: 1,
              maxLength: 2100,
              description: "URL-encoded, e.g. 'GET%20%2Fusers%2F%7Bid%7D'",
            },
          },
        },
        response: { 200: { $ref: 'EndpointReport#' }, ...authErrors, ...errors(400, 404) },
      },
    },
    async (request, _reply) => {
      const { policy, endpoint } = request.params;
      const report = deps.reports.endpoint(policy, endpoint);
      if (report === undefined) {
        throw new NotFound(`no report for endpoint '${endpoint}' of policy '${policy}'`);
      }
      return { policy, endpoint, report };
    },
  );
}
