// The verdict a rollout controller gates on (docs/api.md "Verdict"):
//   GET  /api/v1/policies/{name}/verdict   always 200 with the verdict document (Argo Rollouts' web
//        metric provider reads the body: successCondition result == "pass", failureCondition
//        result == "fail", anything else is inconclusive and pauses the rollout)
//   POST /api/v1/policies/{name}/verdict   a Flagger webhook, judged by status code (Flagger only looks
//        at 2xx or not): 200 when the verdict is the expected one (?expect=pass by default; the
//        rollback hook uses ?expect=fail, since a 200 there rolls back), 412 when the verdict is the
//        other decided one, 503 with Retry-After while inconclusive. The body is the verdict either way.
// Viewer role; the POST also takes its token as body.metadata.token (Flagger cannot set headers).

import type { ApiInstance } from '../types.js';
import type { ApiDeps, VerdictProvider } from '../deps.js';
import { NotFound } from '../plugins/errors.js';
import { authErrors, errors, policyNameParams } from '../schemas/common.js';
import { flaggerPayloadSchema, verdictSchema } from '../schemas/verdict.js';

const RETRY_AFTER_S = 30;

export async function verdictRoutes(
  app: ApiInstance,
  { deps, verdict }: { deps: ApiDeps; verdict: VerdictProvider },
): Promise<void> {
  const judge = async (name: string) => {
    const policy = await deps.store.getPolicy(name);
    if (!policy) throw new NotFound(`policy '${name}' does not exist`);
    return verdict(policy);
  };

  app.get(
    '/policies/:name/verdict',
    {
      schema: {
        tags: ['verdict'],
        summary: 'pass | fail | inconclusive for the current run, with reasons (Argo Rollouts web provider)',
        params: policyNameParams,
        response: { 200: verdictSchema, ...authErrors, ...errors(400, 404) },
      },
    },
    async (request) => judge(request.params.name),
  );

  app.post(
    '/policies/:name/verdict',
    {
      config: { role: 'viewer', tokenInBody: true },
      schema: {
        tags: ['verdict'],
        summary:
          'Flagger webhook: 200 when the verdict is ?expect (default pass), 412 when not, 503 while inconclusive',
        params: policyNameParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { expect: { type: 'string', enum: ['pass', 'fail'] } },
        },
        body: flaggerPayloadSchema,
        response: { 200: verdictSchema, 412: verdictSchema, 503: verdictSchema, ...authErrors, ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      const v = await judge(request.params.name);
      const expect = request.query.expect ?? 'pass';
      if (v.verdict === expect) return reply.code(200).send(v);
      if (v.verdict === 'inconclusive') return reply.code(503).header('retry-after', String(RETRY_AFTER_S)).send(v);
      return reply.code(412).send(v);
    },
  );
}
