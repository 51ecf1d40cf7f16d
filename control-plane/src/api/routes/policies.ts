// /api/v1/policies: list, read, create-or-update (PUT), change (PATCH, JSON merge patch, RFC 7396),
// delete. A write that drops a whole section the previous version had says so (`warnings`). The body of
// PUT is a policy spec validated by schema/policy.schema.json (every error reported), then by checkSpec
// for what a schema cannot say (api/spec-checks.ts: endpoint templates, JSON paths, a ramp's stage
// order; compare/policy-globs.ts: glob limits; webhook/target.ts: a webhook URL the control plane would
// refuse to call), every problem at once; the name is in the path. A rollback (history.ts) checks the
// version it restores too.

import type { FastifySchemaValidationError } from 'fastify';
import type { ApiInstance } from '../types.js';
import { policyGlobProblem } from '../../compare/policy-globs.js';
import type { PolicySpec } from '../../domain/types.js';
import { specProblems, type SpecProblem } from '../spec-checks.js';
import type { ApiDeps } from '../deps.js';
import { authErrors, errors, policyNameParams } from '../schemas/common.js';
import { POLICY_SPEC_REF } from '../schemas/contract.js';
import { parseJsonBody } from '../plugins/json-body.js';
import { droppedSections, mergePatch } from './merge-patch.js';
import { notifyChange, setEtag, who, writeOptions } from './preconditions.js';
import { NotFound } from '../plugins/errors.js';

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
export function checkSpec(spec: PolicySpec, context: string, deps?: Pick<ApiDeps, 'webhookProblem'>): void {
  const problems: SpecProblem[] = specProblems(spec);
  const hook = spec.alerts?.webhook;
  const webhook = hook === undefined ? undefined : deps?.webhookProblem?.(hook);
  if (webhook) problems.push({ field: '/alerts/webhook', message: webhook });
  const glob = policyGlobProblem(spec);
  if (glob) problems.push(glob);
  if (problems.length > 0) throw new SpecError(context, problems);
}

const MERGE_PATCH = 'application/merge-patch+json';

export async function policyRoutes(app: ApiInstance, { deps }: { deps: ApiDeps }): Promise<void> {
  const { store } = deps;
  app.addContentTypeParser(MERGE_PATCH, { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

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

  app.get(
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

  app.put(
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
      checkSpec(request.body, 'body', deps);
      const before = await store.getPolicy(name);
      const result = await store.putPolicy(name, request.body, who(request), writeOptions(request));
      if (result.changed) await notifyChange(deps, request);
      setEtag(reply, result.policy);
      if (result.created) void reply.code(201).header('location', `/api/v1/policies/${name}`);
      const warnings = result.changed && before ? droppedSections(before.spec, request.body) : [];
      return warnings.length > 0 ? { ...result.policy, warnings } : result.policy;
    },
  );

  app.patch(
    '/policies/:name',
    {
      schema: {
        tags: ['policies'],
        summary: 'Change part of a policy: JSON merge patch (RFC 7396; null removes a field), a new version',
        description:
          'Content-Type application/merge-patch+json (application/json accepted). The merged document is ' +
          'validated like a PUT body. Optional If-Match: "<version>"; without it the patch applies to the ' +
          'version read, atomically (412 if another write lands in between).',
        params: policyNameParams,
        body: { type: 'object' },
        response: { 200: { $ref: 'Policy#' }, ...authErrors, ...errors(400, 404, 412, 413, 415) },
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      const current = await store.getPolicy(name);
      if (!current) throw new NotFound(`policy '${name}' does not exist`);
      const spec = mergePatch(current.spec, request.body) as PolicySpec;
      const validate = request.compileValidationSchema({ $ref: POLICY_SPEC_REF });
      if (!validate(spec)) {
        throw new SpecError(
          'body',
          (validate.errors ?? []).map((e) => ({
            field: e.instancePath ?? '',
            message: `${e.message ?? 'is invalid'} (after the merge patch)`,
          })),
        );
      }
      checkSpec(spec, 'body', deps);
      const opts = writeOptions(request);
      const result = await store.putPolicy(name, spec, who(request), {
        ...opts,
        ifVersion: opts.ifVersion ?? current.version,
      });
      if (result.changed) await notifyChange(deps, request);
      setEtag(reply, result.policy);
      const warnings = result.changed ? droppedSections(current.spec, spec) : [];
      return warnings.length > 0 ? { ...result.policy, warnings } : result.policy;
    },
  );

  app.delete(
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
