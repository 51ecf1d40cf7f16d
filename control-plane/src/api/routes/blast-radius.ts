// /api/v1/blast-radius/{policy}: where the shadow traffic of a policy's services went (egress
// decisions per destination) against the capacity the policy declares.

import type { ApiInstance } from '../types.js';
import { blastView } from '../timestamps.js';
import type { ApiDeps } from '../deps.js';
import { authErrors, errors, POLICY_NAME_PATTERN } from '../schemas/common.js';
import { NotFound } from '../plugins/errors.js';

export async function blastRadiusRoutes(app: ApiInstance, { deps }: { deps: ApiDeps }): Promise<void> {
  app.get(
    '/blast-radius/:policy',
    {
      schema: {
        tags: ['reports'],
        summary: 'Blast-radius map of a policy',
        params: {
          type: 'object',
          required: ['policy'],
          additionalProperties: false,
          properties: { policy: { type: 'string', pattern: POLICY_NAME_PATTERN } },
        },
        response: { 200: { $ref: 'BlastRadius#' }, ...authErrors, ...errors(400, 404) },
      },
    },
    async (request, _reply) => {
      const policy = await deps.store.getPolicy(request.params.policy);
      if (!policy) throw new NotFound(`policy '${request.params.policy}' does not exist`);
      return { policy: policy.name, map: blastView(deps.blastRadius.forPolicy(policy)) };
    },
  );
}
