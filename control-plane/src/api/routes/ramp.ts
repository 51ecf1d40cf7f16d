// The mirror ramp of a policy: GET /api/v1/policies/{name}/ramp (viewer) and the commands
// POST …/ramp/start|pause|resume|abort (editor; each is written to the audit trail by the controller).
// 404 when the policy does not exist, 409 when it declares no ramp or the command does not apply to
// the ramp's status (the message says which status it is in).

import type { ApiInstance } from '../types.js';
import { rampApiView } from '../timestamps.js';
import { NotFound } from '../plugins/errors.js';
import type { ApiDeps, RampProvider } from '../deps.js';
import { authErrors, errors, policyNameParams } from '../schemas/common.js';
import { rampViewSchema } from '../schemas/ramp.js';
import { who } from './preconditions.js';

const ACTIONS = ['start', 'pause', 'resume', 'abort'] as const;

export async function rampRoutes(
  app: ApiInstance,
  { deps, ramp }: { deps: ApiDeps; ramp: RampProvider },
): Promise<void> {
  const exists = async (name: string): Promise<void> => {
    if (!(await deps.store.getPolicy(name))) throw new NotFound(`policy '${name}' does not exist`);
  };

  app.get(
    '/policies/:name/ramp',
    {
      schema: {
        tags: ['ramp'],
        summary: 'Mirror ramp state: status, current percent, stage, hold, last evaluation, transitions',
        params: policyNameParams,
        response: { 200: rampViewSchema, ...authErrors, ...errors(400, 404, 409) },
      },
    },
    async (request, _reply) => {
      await exists(request.params.name);
      return rampApiView(ramp.view(request.params.name));
    },
  );

  for (const action of ACTIONS) {
    app.post(
      `/policies/:name/ramp/${action}`,
      {
        config: { role: 'editor' },
        schema: {
          tags: ['ramp'],
          summary: `${action[0].toUpperCase()}${action.slice(1)} the mirror ramp (audited)`,
          params: policyNameParams,
          response: { 200: rampViewSchema, ...authErrors, ...errors(400, 404, 409) },
        },
      },
      async (request, _reply) => {
        await exists(request.params.name);
        return rampApiView(await ramp.command(request.params.name, action, who(request)));
      },
    );
  }
}
