// Runs of a policy's report (reports/runs.ts): GET /api/v1/policies/{name}/runs lists them (newest
// first, the current one marked); POST …/runs/reset (editor) ends the current run and starts a new
// one for the same candidate, whose report starts empty; the ended run stays readable through
// GET /api/v1/reports/{policy}?run=N.

import type { ApiInstance } from '../types.js';
import type { ApiDeps, RunsProvider } from '../deps.js';
import { NotFound } from '../plugins/errors.js';
import { authErrors, errors, policyNameParams } from '../schemas/common.js';
import { runListSchema, runSchema } from '../schemas/verdict.js';
import { who } from './preconditions.js';

export async function runRoutes(app: ApiInstance, { deps, runs }: { deps: ApiDeps; runs: RunsProvider }) {
  const policyOf = async (name: string) => {
    const policy = await deps.store.getPolicy(name);
    if (!policy) throw new NotFound(`policy '${name}' does not exist`);
    return policy;
  };

  app.get(
    '/policies/:name/runs',
    {
      schema: {
        tags: ['runs'],
        summary: "Runs of the policy's report: one per candidate version (or reset), newest first",
        params: policyNameParams,
        response: { 200: runListSchema, ...authErrors, ...errors(400, 404) },
      },
    },
    async (request) => {
      const policy = await policyOf(request.params.name);
      return { policy: policy.name, ...runs.list(policy.name) };
    },
  );

  app.post(
    '/policies/:name/runs/reset',
    {
      config: { role: 'editor' },
      schema: {
        tags: ['runs'],
        summary: 'End the current run and start a new one: the report starts empty, the old run stays readable',
        params: policyNameParams,
        response: { 200: runSchema, ...authErrors, ...errors(400, 404) },
      },
    },
    async (request) => runs.reset(await policyOf(request.params.name), who(request)),
  );
}
