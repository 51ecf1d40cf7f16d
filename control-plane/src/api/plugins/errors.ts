// The one error handler of the API (and its not-found handler): every error leaves as
// {error, message, statusCode}. 4xx messages say what was wrong and name the field
// ("body/egress/rules/0/action must be equal to one of the allowed values: allow, mock, deny");
// 5xx details are logged with the request id and never sent. The core never names HTTP codes: its
// errors carry a `kind` (StoreError, the ramp controller's RampError, NotFound here) that this one
// handler maps to a status, so routes throw and never build error bodies inline.

import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifySchemaValidationError } from 'fastify';
import fp from 'fastify-plugin';
import { StoreError, type StoreErrorKind } from '../../store/types.js';

const kindStatus: Record<StoreErrorKind, number> = { not_found: 404, precondition_failed: 412, conflict: 409 };

/** The one error document: {error, message, statusCode} plus any details the refusal carries. */
export function errorBody(status: number, message: string, details?: Record<string, unknown>) {
  return { error: STATUS_CODES[status] ?? 'Error', message, statusCode: status, ...details };
}

/**
 * A route's refusal that is not a store or ramp outcome (too many event streams, a confirmation
 * needed): the handler answers `status` with this message and the details (e.g. the preview the
 * user must confirm) beside it.
 */
export class Refused extends Error {
  constructor(
    readonly status: 409 | 429 | 503,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'Refused';
  }
}

/** A route's "no such thing": the handler answers 404 with this message. */
export class NotFound extends Error {
  readonly kind = 'not_found';
  constructor(message: string) {
    super(message);
    this.name = 'NotFound';
  }
}

function kindOf(err: unknown): StoreErrorKind | undefined {
  const kind = (err as { kind?: unknown }).kind;
  return typeof kind === 'string' && Object.hasOwn(kindStatus, kind) ? (kind as StoreErrorKind) : undefined;
}

/**
 * Every ajv error (ajv runs with allErrors: a user fixes all problems in one round), each one sentence
 * whose subject is the field path ('<context><instancePath> <problem>'), joined by '; '. The branches of
 * a oneOf/anyOf that failed are noise beside the one-line "must match exactly one schema": dropped.
 */
export function formatValidation(context: string, errors: FastifySchemaValidationError[]): string {
  if (errors.length === 0) return `${context} is invalid`;
  const branch = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf').map((e) => e.schemaPath);
  const kept = errors.filter(
    (e) =>
      e.keyword === 'oneOf' ||
      e.keyword === 'anyOf' ||
      !branch.some((b) => e.schemaPath.startsWith(b.replace(/\/(oneOf|anyOf)$/, '/$1/'))),
  );
  const out = [...new Set(kept.map((e) => oneError(context, e)))];
  return out.length > 10 ? `${out.slice(0, 10).join('; ')}; and ${out.length - 10} more` : out.join('; ');
}

function oneError(context: string, e: FastifySchemaValidationError): string {
  const field = `${context}${e.instancePath}`;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return `${field}/${String(p.additionalProperty)} is not an allowed field`;
    case 'enum':
      return `${field} ${e.message}: ${(p.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'required':
      return `${field}/${String(p.missingProperty)} is required`;
    default:
      return `${field} ${e.message ?? 'is invalid'}`;
  }
}

export interface ErrorsOptions {
  bodyLimit: number;
}

export const errorsPlugin = fp<ErrorsOptions>(
  async (app: FastifyInstance, opts) => {
    app.setErrorHandler((err: FastifyError | StoreError | Error, request, reply) => {
      let status = 500;
      let message = `internal error (request ${request.id}); the control-plane log has the details`;
      let details: Record<string, unknown> | undefined;
      const fe = err as FastifyError;
      if (err instanceof Refused) {
        status = err.status;
        message = err.message;
        details = err.details;
      } else if (fe.validation) {
        status = 400;
        message = formatValidation(fe.validationContext ?? 'request', fe.validation);
      } else if (err instanceof StoreError || kindOf(err)) {
        status = kindStatus[kindOf(err)!];
        message = err.message;
      } else if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
        status = 415;
        message = `send the body as JSON with 'content-type: application/json' (got '${request.headers['content-type'] ?? 'none'}')`;
      } else if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        status = 413;
        message = `request body is larger than the limit of ${opts.bodyLimit} bytes`;
      } else if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
        status = fe.statusCode;
        message = err.message;
      }
      if (status >= 500 && !(err instanceof Refused)) request.log.error({ err }, 'request failed');
      else request.log.info({ statusCode: status, message }, 'request rejected');
      void reply
        .code(status)
        .type('application/json')
        .send(errorBody(status, message, details));
    });

    // 405 with Allow: a path that exists with other methods is not "not found".
    const routes: Array<{ method: string; re: RegExp }> = [];
    app.addHook('onRoute', (r) => {
      const methods = Array.isArray(r.method) ? r.method : [r.method];
      const re = new RegExp(
        `^${r.url
          .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
          .replace(/:[^/]+/g, '[^/]+')
          .replace(/\*$/, '.*')}/?$`,
      );
      for (const m of methods) if (m !== 'HEAD' && r.url.startsWith('/api/')) routes.push({ method: m, re });
    });
    app.setNotFoundHandler((request, reply) => {
      const url = request.url.split('?')[0];
      const allow = [...new Set(routes.filter((r) => r.re.test(url)).map((r) => r.method))].sort();
      if (allow.length > 0)
        return reply
          .code(405)
          .header('allow', allow.join(', '))
          .send(errorBody(405, `${request.method} is not allowed on ${url}; allowed: ${allow.join(', ')}`));
      void reply.code(404).send(errorBody(404, `no route ${request.method} ${url}`));
    });
  },
  { name: 'errors', fastify: '5.x' },
);
