// /api/v1/reports/{policy}: per-endpoint diff reports, and one endpoint's fields and examples. The
// endpoint is one URL-encoded path segment: 'GET /users/{id}' → GET%20%2Fusers%2F%7Bid%7D.
// Reports of a deleted policy stay readable; a name that never existed is a 404. ?run=N reads the
// report of an earlier run (GET /api/v1/policies/{name}/runs lists them); without it, the current run.

import type { ApiInstance } from '../types.js';
import type { ApiDeps } from '../deps.js';
import { authErrors, errors, POLICY_NAME_PATTERN } from '../schemas/common.js';
import { NotFound } from '../plugins/errors.js';
import { reportView } from '../timestamps.js';

const policyParam = { type: 'string', pattern: POLICY_NAME_PATTERN } as const;
const runQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { run: { type: 'string', pattern: '^[1-9][0-9]{0,8}$', description: 'Run number (default: current)' } },
} as const;

export async function reportRoutes(app: ApiInstance, { deps }: { deps: ApiDeps }): Promise<void> {
  const known = async (policy: string): Promise<boolean> =>
    (deps.reports.endpoints(policy)?.length ?? 0) > 0 || (await deps.store.history(policy)) !== undefined;

  /** The policy of a run-scoped read, or NotFound. */
  const policyForRun = async (policy: string) => {
    const p = await deps.store.getPolicy(policy);
    if (!p || !deps.runs) throw new NotFound(`policy '${policy}' does not exist`);
    return { p, runs: deps.runs };
  };
  const currentRun = (policy: string) => deps.runs?.list(policy).current?.id;

  app.get(
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
        querystring: runQuery,
        response: { 200: { $ref: 'EndpointReportList#' }, ...authErrors, ...errors(400, 404) },
      },
    },
    async (request) => {
      const { policy } = request.params;
      if (request.query.run !== undefined) {
        const { p, runs } = await policyForRun(policy);
        const run = Number(request.query.run);
        const endpoints = await runs.endpoints(p, run);
        if (endpoints === undefined) throw new NotFound(`policy '${policy}' has no run ${run}`);
        return { policy, run, endpoints: endpoints.map(reportView) };
      }
      if (!(await known(policy))) throw new NotFound(`policy '${policy}' does not exist`);
      const run = currentRun(policy);
      return {
        policy,
        ...(run !== undefined ? { run } : {}),
        endpoints: (deps.reports.endpoints(policy) ?? []).map(reportView),
      };
    },
  );

  app.get(
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
        querystring: runQuery,
        response: { 200: { $ref: 'EndpointReport#' }, ...authErrors, ...errors(400, 404) },
      },
    },
    async (request) => {
      const { policy, endpoint } = request.params;
      if (request.query.run !== undefined) {
        const { p, runs } = await policyForRun(policy);
        const run = Number(request.query.run);
        const report = await runs.endpoint(p, run, endpoint);
        if (report === undefined) throw new NotFound(`policy '${policy}' has no run ${run}`);
        if (report === null)
          throw new NotFound(`no report for endpoint '${endpoint}' of policy '${policy}' in run ${run}`);
        return { policy, endpoint, run, report: reportView(report) };
      }
      const report = deps.reports.endpoint(policy, endpoint);
      if (report === undefined) {
        throw new NotFound(`no report for endpoint '${endpoint}' of policy '${policy}'`);
      }
      return { policy, endpoint, report: reportView(report) };
    },
  );
}
