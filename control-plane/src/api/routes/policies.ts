// /api/v1/policies: list, read, create-or-update (PUT), delete. The body of PUT is a policy spec
// validated by schema/policy.schema.json (every error reported), then by checkSpec for what a schema
// cannot say (api/spec-checks.ts: endpoint templates, JSON paths, a ramp's stage order); the name is in the path. A rollback (history.ts) checks the version it restores too.

import type { FastifyInstance, FastifySchemaValidationError } from 'fastify';
import type { PolicySpec } from '../../domain/types.js';
import { specProblems, type SpecProblem } from '../spec-checks.js';
import type { ApiDeps } from '../deps.js';
import { authErrors, errors, policyNameParams } from '../schemas/common.js';
import { POLICY_SPEC_REF } from '../schemas/contract.js';
import { notifyChange, setEtag, who, writeOptions } from './preconditions.js';
import { NotFound } from '../plugins/errors.js';

interface NameParams {
  name: string;
}

/** A spec the schema accepts but the control plane could not run, as validation errors (plugins/errors.ts: 400, every field named). */
class SpecError extends Error {
  readonly statusCode = 400;
  readonly validation: FastifySchemaValidationError[];
  constructor(
    readonly validationContext: string,
    problems: SpecProblem[],
  ) {
    super(problems.map((p) => `${validationContext}${p.field} ${p.message}`).join('; '));
    this.validation = problems.map((p) => ({
      keyword: 'shadowguard',
      instancePath: p.field,
      schemaPath: '',
      params: {},
      message: p.message,
    }));
  }
}

/** Throws a 400 naming every problem ("body/ramp/stages must be strictly increasing: 5 follows 10"); context as in formatValidation. */
export function checkSpec(spec: PolicySpec, context: string): void {
  const problems = specProblems(spec);
  if (problems.length > 0) throw new SpecError(context, problems);
}

export async function policyRoutes(app: FastifyInstance, { deps }: { deps: ApiDeps }): Promise<void> {
  const { store } = deps;

  app.get(
    '/policies',
    {
      schema: {
        tags: ['policies'],
        summary: 'Current policies',
        response: { 200: { $ref: 'PolicyList#' }, ...authErrors },
      },
    },
    async () => ({ policies: await store.listPolicies() }),
  );

  app.get<{ Params: NameParams }>(
    '/policies/:name',
    {
      schema: {
        tags: ['policies'],
        summary: 'Current version of a policy (ETag = version)',
        params: policyNameParams,
        response: { 200: { $ref: 'Policy#' }, ...authErrors, ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      const policy = await store.getPolicy(request.params.name);
      if (!policy) throw new NotFound(`policy '${request.params.name}' does not exist`);
      setEtag(reply, policy);
      return policy;
    },
  );

  app.put<{ Params: NameParams; Body: PolicySpec }>(
    '/policies/:name',
    {
      schema: {
        tags: ['policies'],
        summary: 'Create or update a policy (a new version; an identical spec changes nothing)',
        description: 'Optional If-Match: "<version>" (412 when the policy moved on) or If-None-Match: * (create only).',
        params: policyNameParams,
        body: { $ref: POLICY_SPEC_REF },
        response: {
          200: { $ref: 'Policy#' },
          201: { $ref: 'Policy#' },
          ...authErrors,
          ...errors(400, 409, 412, 413, 415),
        },
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      checkSpec(request.body, 'body');
      const result = await store.putPolicy(name, request.body, who(request), writeOptions(request));
      if (result.changed) await notifyChange(deps, request);
      setEtag(reply, result.policy);
      if (result.created) void reply.code(201).header('location', `/api/v1/policies/${name}`);
      return result.policy;
    },
  );

  app.delete<{ Params: NameParams }>(
    '/policies/:name',
    {
      schema: {
        tags: ['policies'],
        summary: 'Delete a policy (a tombstone version; history is kept)',
        params: policyNameParams,
        response: { 204: { type: 'null' }, ...authErrors, ...errors(400, 404, 412) },
      },
    },
    async (request, reply) => {
      const { version } = await store.deletePolicy(request.params.name, who(request), writeOptions(request));
      await notifyChange(deps, request);
      setEtag(reply, { version });
      return reply.code(204).send();
    },
  );
}
