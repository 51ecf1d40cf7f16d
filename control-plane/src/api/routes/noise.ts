// POST /api/v1/policies/{name}/noise {path}: "this field is noise" from the dashboard, as an ordinary
// audited policy change. A reported body field ('body.meta.request_id') is added to
// spec.normalize.ignorePaths ('meta.request_id'), a header field ('headers.x-trace') to
// spec.normalize.ignoreHeaders; the store appends a version and an audit entry naming who did it, the
// snapshot cache is told, and the reports read through the new rules at once (ReportBook.configure):
// the field leaves the regression list. Editor role. If-Match is honoured like PUT; without it the
// change applies to the version read here (a concurrent writer makes it 412, never a lost update).

import type { FastifyInstance } from 'fastify';
import type { PolicySpec } from '../../domain/types.js';
import type { ApiDeps } from '../deps.js';
import { authErrors, errors, policyNameParams } from '../schemas/common.js';
import { notifyChange, setEtag, who, writeOptions } from './preconditions.js';
import { NotFound } from '../plugins/errors.js';

const MAX_RULES = 500; // schema/policy.schema.json: normalize.ignorePaths maxItems
// schema/policy.schema.json item maxLength: a longer rule would store a policy the schema refuses
const MAX_RULE_LENGTH = { ignorePaths: 1024, ignoreHeaders: 256 } as const;

class NoiseError extends Error {
  readonly statusCode = 400;
}

/** Where a reported field path goes in the policy: ['ignorePaths', 'a.b'] or ['ignoreHeaders', 'x-y']. */
export function ignoreRuleFor(path: string): ['ignorePaths' | 'ignoreHeaders', string] {
  const p = path.trim();
  if (p.startsWith('headers.') && p.length > 8) return checked('ignoreHeaders', p.slice(8).toLowerCase());
  if (p.startsWith('body.') && p.length > 5) {
    const rule = p.slice(5);
    if (rule.split('.').some((s) => s === '')) throw new NoiseError(`body/path '${path}' has an empty segment`);
    return checked('ignorePaths', rule);
  }
  if (p === 'status') throw new NoiseError('body/path: a status difference cannot be ignored, it is never noise');
  if (p === 'body')
    throw new NoiseError("body/path: the whole body cannot be ignored; ignore a field ('body.<field>')");
  throw new NoiseError(
    `body/path must be a reported field such as 'body.request_id' or 'headers.x-trace-id', got '${path}'`,
  );
}

function checked(list: 'ignorePaths' | 'ignoreHeaders', rule: string): ['ignorePaths' | 'ignoreHeaders', string] {
  const max = MAX_RULE_LENGTH[list];
  if (rule.length > max)
    throw new NoiseError(
      `body/path: a normalize.${list} rule is at most ${max} characters, this one has ${rule.length}`,
    );
  return [list, rule];
}

export async function noiseRoutes(app: FastifyInstance, { deps }: { deps: ApiDeps }): Promise<void> {
  app.post<{ Params: { name: string }; Body: { path: string } }>(
    '/policies/:name/noise',
    {
      schema: {
        tags: ['policies'],
        summary:
          'Mark a reported field as noise (adds it to normalize.ignorePaths / ignoreHeaders: a new, audited version)',
        params: policyNameParams,
        body: {
          type: 'object',
          required: ['path'],
          additionalProperties: false,
          properties: {
            path: {
              type: 'string',
              minLength: 1,
              maxLength: 1029,
              description: "A field path from a report: 'body.request_id', 'headers.x-trace-id'",
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['policy', 'rule', 'list', 'changed'],
            properties: {
              policy: { $ref: 'Policy#' },
              list: { type: 'string', enum: ['ignorePaths', 'ignoreHeaders'] },
              rule: { type: 'string' },
              changed: { type: 'boolean', description: 'false when the rule was already there' },
            },
          },
          ...authErrors,
          ...errors(400, 404, 409, 412),
        },
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      const [list, rule] = ignoreRuleFor(request.body.path);
      const current = await deps.store.getPolicy(name);
      if (!current) throw new NotFound(`policy '${name}' does not exist`);
      const existing = current.spec.normalize?.[list] ?? [];
      if (existing.includes(rule)) {
        setEtag(reply, current);
        return { policy: current, list, rule, changed: false };
      }
      if (existing.length >= MAX_RULES) throw new NoiseError(`normalize.${list} already holds ${MAX_RULES} rules`);
      const spec: PolicySpec = {
        ...current.spec,
        normalize: { ...current.spec.normalize, [list]: [...existing, rule] },
      };
      const opts = writeOptions(request);
      const result = await deps.store.putPolicy(name, spec, who(request), {
        ...opts,
        ifVersion: opts.ifVersion ?? current.version,
      });
      if (result.changed) await notifyChange(deps, request);
      setEtag(reply, result.policy);
      return { policy: result.policy, list, rule, changed: result.changed };
    },
  );
}
