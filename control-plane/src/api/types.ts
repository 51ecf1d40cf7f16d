// The one place that extends fastify's types (see style-anchors §4: no augmentation per plugin).
// role: which role a route needs (routes declare it in `config`); principal: who the request is.
// ApiInstance: what route plugins receive; its type provider derives each handler's params,
// querystring, body and headers from the route's own schema (json-schema-to-ts), so a route declares
// its request once. Replies stay untyped here: the engine hands the API JSON-shaped values
// (deps.ts) and the response schemas are checked against real answers by the answer-schemas test.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, FastifyTypeProvider, RawServerDefault } from 'fastify';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import type { filterConfigDocument, policyDocument } from '../domain/contract-schemas.gen.js';

/** As domain/config.ts: the contract schemas resolve each other's $refs; defaults stay optional (ajv writes none). */
type RequestSchemaOptions = {
  keepDefaultedPropertiesOptional: true;
  references: [typeof policyDocument, typeof filterConfigDocument];
};

export interface RequestFromSchema extends FastifyTypeProvider {
  validator: this['schema'] extends JSONSchema ? FromSchema<this['schema'], RequestSchemaOptions> : unknown;
  serializer: unknown;
}

export type ApiInstance = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  RequestFromSchema
>;

export type Role = 'viewer' | 'editor';

export interface Principal {
  /** Written to the audit trail as "who". */
  name: string;
  role: Role;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Role the route requires; without it GET/HEAD need viewer and other methods editor. */
    role?: Role;
    /**
     * The route also accepts its token as body.metadata.token when there is no authorization header:
     * Flagger's webhooks send a JSON body with free-form metadata and cannot set headers.
     */
    tokenInBody?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}
