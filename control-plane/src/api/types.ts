// The one place that extends fastify's types (see style-anchors §4: no augmentation per plugin).
// role: which role a route needs (routes declare it in `config`); principal: who the request is.

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
