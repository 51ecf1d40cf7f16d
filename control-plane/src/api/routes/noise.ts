// POST /api/v1/policies/{name}/noise {path, scope, endpoint?, confirm?, dryRun?}: "this field is
// noise" from the dashboard, as an ordinary audited policy change — made safe:
//   scope 'policy' (default) adds the field to spec.normalize.ignorePaths ('body.a.b' → 'a.b') or
//   ignoreHeaders; scope 'endpoint' adds it to normalize.ignoreByEndpoint[endpoint] only;
//   every answer carries the preview (ReportBook.preview: the endpoints and fields whose reading
//   changes, each field with the verdict it has now, mismatch rate and verdict before and after);
//   a field that has a 'regression' verdict anywhere in the preview is refused with 409 and the
//   preview unless confirm: true (silencing a real regression is the trap noise lists fall into);
//   dryRun: true answers the preview and writes nothing;
//   undo: the answer names the one call that reverts it (POST …/rollback to the version before).
// The store appends a version and an audit entry naming who did it, the snapshot cache is told, and
// reports read through the new rules at once. Editor role. If-Match is honoured like PUT; without it
// the change applies to the version read here (a concurrent writer makes it 412, never a lost update).

import type { ApiInstance } from '../types.js';
import type { PolicySpec } from '../../domain/types.js';
import type { ApiDeps } from '../deps.js';
import { authErrors, errors, policyNameParams } from '../schemas/common.js';
import { notifyChange, setEtag, who, writeOptions } from './preconditions.js';
import { NotFound, Refused } from '../plugins/errors.js';

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

const previewSchema = {
  type: 'array',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['endpoint', 'fields', 'mismatchRateBefore', 'mismatchRateAfter', 'verdictBefore', 'verdictAfter'],
    properties: {
      endpoint: { type: 'string' },
      fields: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['path', 'verdict'],
          properties: { path: { type: 'string' }, verdict: { type: 'string', description: 'the verdict it has now' } },
        },
      },
      mismatchRateBefore: { type: 'number' },
      mismatchRateAfter: { type: 'number' },
      verdictBefore: { type: 'string', enum: ['passing', 'critical', 'inconclusive'] },
      verdictAfter: { type: 'string', enum: ['passing', 'critical', 'inconclusive'] },
    },
  },
} as const;

/** The spec with the rule added at the scope; undefined when it is already there. */
function withRule(spec: PolicySpec, list: 'ignorePaths' | 'ignoreHeaders', rule: string, endpoint?: string) {
  const n = spec.normalize ?? {};
  if (endpoint === undefined) {
    const existing = n[list] ?? [];
    if (existing.includes(rule)) return undefined;
    if (existing.length >= MAX_RULES) throw new NoiseError(`normalize.${list} already holds ${MAX_RULES} rules`);
    return { ...spec, normalize: { ...n, [list]: [...existing, rule] } };
  }
  const scoped = n.ignoreByEndpoint ?? {};
  const own = scoped[endpoint] ?? {};
  const existing = own[list] ?? [];
  if (existing.includes(rule) || (n[list] ?? []).includes(rule)) return undefined;
  if (existing.length >= MAX_RULES) throw new NoiseError(`normalize.ignoreByEndpoint['${endpoint}'].${list} is full`);
  return {
    ...spec,
    normalize: { ...n, ignoreByEndpoint: { ...scoped, [endpoint]: { ...own, [list]: [...existing, rule] } } },
  };
}

export async function noiseRoutes(app: ApiInstance, { deps }: { deps: ApiDeps }): Promise<void> {
  app.post(
    '/policies/:name/noise',
    {
      schema: {
        tags: ['policies'],
        summary:
          'Mark a reported field as noise for one endpoint or the whole policy: preview, confirmation for a regression, undo',
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
            scope: { type: 'string', enum: ['policy', 'endpoint'], description: "default 'policy'" },
            endpoint: {
              type: 'string',
              pattern: '^[A-Z]{1,16} /\\S{0,2047}$',
              description: "with scope 'endpoint': the endpoint as reports name it, 'POST /refunds/{id}'",
            },
            confirm: { type: 'boolean', description: 'required when a field it silences has a regression verdict' },
            dryRun: { type: 'boolean', description: 'answer the preview, write nothing' },
          },
        },
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['policy', 'rule', 'list', 'scope', 'changed', 'preview'],
            properties: {
              policy: { $ref: 'Policy#' },
              list: { type: 'string', enum: ['ignorePaths', 'ignoreHeaders'] },
              rule: { type: 'string' },
              scope: { type: 'string', enum: ['policy', 'endpoint'] },
              endpoint: { type: 'string' },
              changed: { type: 'boolean', description: 'false when the rule was already there, or on dryRun' },
              preview: previewSchema,
              undo: {
                type: 'object',
                additionalProperties: false,
                required: ['method', 'path', 'body'],
                description: 'The one call that reverts this change (a rollback to the version before)',
                properties: {
                  method: { type: 'string', enum: ['POST'] },
                  path: { type: 'string' },
                  body: {
                    type: 'object',
                    additionalProperties: false,
                    required: ['version'],
                    properties: { version: { type: 'integer' } },
                  },
                },
              },
            },
          },
          409: {
            type: 'object',
            additionalProperties: false,
            required: ['error', 'message', 'statusCode', 'preview'],
            properties: {
              error: { type: 'string' },
              message: { type: 'string' },
              statusCode: { type: 'integer' },
              preview: previewSchema,
            },
          },
          ...authErrors,
          ...errors(400, 404, 412),
        },
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      const { scope = 'policy', endpoint, confirm = false, dryRun = false } = request.body;
      if (scope === 'endpoint' && endpoint === undefined)
        throw new NoiseError("body/endpoint is required with scope 'endpoint' ('POST /refunds/{id}')");
      if (scope === 'policy' && endpoint !== undefined)
        throw new NoiseError("body/endpoint is only for scope 'endpoint'; scope 'policy' ignores the field everywhere");
      const [list, rule] = ignoreRuleFor(request.body.path);
      const current = await deps.store.getPolicy(name);
      if (!current) throw new NotFound(`policy '${name}' does not exist`);
      const at = scope === 'endpoint' ? { endpoint } : {};
      const spec = withRule(current.spec, list, rule, endpoint);
      if (!spec) {
        setEtag(reply, current);
        return { policy: current, list, rule, scope, ...at, changed: false, preview: [] };
      }
      const preview = deps.reports.preview?.(name, spec) ?? [];
      const regressions = preview.flatMap((e) =>
        e.fields.filter((f) => f.verdict === 'regression').map(() => e.endpoint),
      );
      if (regressions.length > 0 && !confirm && !dryRun) {
        throw new Refused(
          409,
          `'${request.body.path}' has a regression verdict on ${[...new Set(regressions)].join(', ')}: marking it as noise would hide a regression; check the preview and send confirm: true to mark it anyway`,
          { preview },
        );
      }
      if (dryRun) {
        setEtag(reply, current);
        return { policy: current, list, rule, scope, ...at, changed: false, preview };
      }
      const opts = writeOptions(request);
      const result = await deps.store.putPolicy(name, spec, who(request), {
        ...opts,
        ifVersion: opts.ifVersion ?? current.version,
      });
      if (result.changed) await notifyChange(deps, request);
      setEtag(reply, result.policy);
      return {
        policy: result.policy,
        list,
        rule,
        scope,
        ...at,
        changed: result.changed,
        preview,
        ...(result.changed
          ? { undo: { method: 'POST', path: `/api/v1/policies/${name}/rollback`, body: { version: current.version } } }
          : {}),
      };
    },
  );
}
