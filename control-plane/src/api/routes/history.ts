// Versions, audit and rollback: /api/v1/policies/{name}/history, /api/v1/policies/{name}/rollback,
// /api/v1/audit. A rollback appends a new version equal to an old one; nothing is ever rewritten.
// An old version the control plane could not run today (policies.ts checkSpec) is refused with 400.

import type { ApiInstance } from '../types.js';
import { specChanges } from '../../store/spec-diff.js';
import type { ApiDeps } from '../deps.js';
import {
  authErrors,
  errors,
  limitQuery,
  parseLimit,
  policyNameParams,
  POLICY_NAME_PATTERN,
} from '../schemas/common.js';
import { rollbackBodySchema } from '../schemas/policy.js';
import { checkSpec } from './policies.js';
import { notifyChange, setEtag, who, writeOptions } from './preconditions.js';
import { NotFound } from '../plugins/errors.js';

export async function historyRoutes(app: ApiInstance, { deps }: { deps: ApiDeps }): Promise<void> {
  const { store } = deps;

  app.get(
    '/policies/:name/history',
    {
      schema: {
        tags: ['policies'],
        summary: 'Every version (with the paths changed since the previous one) and the audit trail',
        params: policyNameParams,
        response: { 200: { $ref: 'PolicyHistory#' }, ...authErrors, ...errors(400, 404) },
      },
    },
    async (request, _reply) => {
      const h = await store.history(request.params.name);
      if (!h) throw new NotFound(`policy '${request.params.name}' has no history`);
      const versions = h.versions.map((v, i) => ({
        ...v,
        changes: specChanges(i === 0 ? {} : (h.versions[i - 1].spec ?? {}), v.spec ?? {}),
      }));
      return { ...h, versions };
    },
  );

  app.post(
    '/policies/:name/rollback',
    {
      schema: {
        tags: ['policies'],
        summary: 'Make an old version current again (as a new version); restores a deleted policy',
        params: policyNameParams,
        body: rollbackBodySchema,
        response: { 200: { $ref: 'Policy#' }, ...authErrors, ...errors(400, 404, 409, 412) },
      },
    },
    async (request, reply) => {
      // A missing version or a tombstone: the store's own 404/409 below says so.
      const old = (await store.history(request.params.name))?.versions.find((v) => v.version === request.body.version);
      if (old?.spec) checkSpec(old.spec, `version ${request.body.version}: spec`, deps);
      const policy = await store.rollbackPolicy(
        request.params.name,
        request.body.version,
        who(request),
        writeOptions(request),
      );
      await notifyChange(deps, request);
      setEtag(reply, policy);
      return policy;
    },
  );

  app.get(
    '/audit',
    {
      schema: {
        tags: ['policies'],
        summary: 'Latest audit entries, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { policy: { type: 'string', pattern: POLICY_NAME_PATTERN }, limit: limitQuery },
        },
        response: {
          200: {
            type: 'object',
            required: ['audit'],
            properties: { audit: { type: 'array', items: { $ref: 'AuditEntry#' } } },
          },
          ...authErrors,
          ...errors(400),
        },
      },
    },
    async (request) => ({
      audit: await store.listAudit({ policy: request.query.policy, limit: parseLimit(request.query.limit) }),
    }),
  );
}
