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

/** First ajv error as one sentence whose subject is the field path: '<context><instancePath> <problem>'. */
export function formatValidation(context: string, errors: FastifySchemaValidationError[]): string {
  const e = errors[0];
  if (!e) return `${context} is invalid`;
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
      const fe = err as FastifyError;
      if (fe.validation) {
        status = 400;
        message = formatValidation(fe.validationContext ?? 'request', fe.validation);
      } else if (err instanceof StoreError || kindOf(err)) {
        status = kindStatus[kindOf(err)!];
        message = err.message;
      } else if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        status = 413;
        message = `request body is larger than the limit of ${opts.bodyLimit} bytes`;
      } else if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
        status = fe.statusCode;
        message = err.message;
      }
      if (status >= 500) request.log.error({ err }, 'request failed');
      else request.log.info({ statusCode: status, message }, 'request rejected');
      void reply
        .code(status)
        .type('application/json')
        .send({ error: STATUS_CODES[status] ?? 'Error', message, statusCode: status });
    });

    app.setNotFoundHandler((request, reply) => {
      void reply.code(404).send({
        error: 'Not Found',
        message: `no route ${request.method} ${request.url.split('?')[0]}`,
        statusCode: 404,
      });
    });
  },
  { name: 'errors', fastify: '5.x' },
);
