// Bearer-token authentication with two roles: viewer (read) and editor (read and write). A route
// names the role it needs in its config; without one, GET/HEAD need viewer and anything else editor,
// so a new write route is never public by accident. Registered inside the /api scope and around
// /metrics only: /healthz and /docs stay open. Disabled mode (no tokens) is for a loopback-bound
// control plane only; config.ts refuses it elsewhere.

import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Principal, Role } from '../types.js';
import { errorBody } from './errors.js';

export interface ApiToken {
  token: string;
  role: Role;
  name: string;
}
export type AuthOptions = { tokens: readonly ApiToken[] } | { disabled: true };

const DEV_PRINCIPAL: Principal = { name: 'anonymous (auth disabled)', role: 'editor' };

// Tokens are compared by their SHA-256, so a lookup's timing says nothing about a token's prefix.
const digest = (token: string): string => createHash('sha256').update(token).digest('hex');

function deny(reply: FastifyReply, status: 401 | 403, message: string): FastifyReply {
  if (status === 401) void reply.header('www-authenticate', 'Bearer realm="shadowguard"');
  return reply.code(status).send(errorBody(status, message));
}

export const authPlugin = fp<AuthOptions>(
  async (app: FastifyInstance, opts) => {
    const byDigest = new Map<string, Principal>();
    if (!('disabled' in opts)) {
      for (const t of opts.tokens) byDigest.set(digest(t.token), { name: t.name, role: t.role });
    }

    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if ('disabled' in opts) {
        request.principal = DEV_PRINCIPAL;
        return;
      }
      const header = request.headers.authorization;
      if (!header && request.routeOptions.config.tokenInBody) return; // judged in preHandler, with the body
      if (!header) return deny(reply, 401, 'missing bearer token (authorization: Bearer <token>)');
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!m) return deny(reply, 401, "authorization header must be 'Bearer <token>'");
      return admit(request, reply, m[1]);
    });

    // Routes with tokenInBody (the Flagger webhook): the token is body.metadata.token.
    app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
      if ('disabled' in opts || request.principal || !request.routeOptions.config.tokenInBody) return;
      const token = (request.body as { metadata?: { token?: unknown } } | undefined)?.metadata?.token;
      if (typeof token !== 'string' || token === '')
        return deny(reply, 401, 'missing bearer token (authorization: Bearer <token>, or body.metadata.token)');
      return admit(request, reply, token);
    });

    function admit(request: FastifyRequest, reply: FastifyReply, token: string): FastifyReply | undefined {
      const principal = byDigest.get(digest(token));
      if (!principal) return deny(reply, 401, 'unknown bearer token');
      const needed: Role =
        request.routeOptions.config.role ??
        (request.method === 'GET' || request.method === 'HEAD' ? 'viewer' : 'editor');
      if (needed === 'editor' && principal.role !== 'editor') {
        return deny(reply, 403, `this operation needs the editor role; token '${principal.name}' is a viewer`);
      }
      request.principal = principal;
      return undefined;
    }
  },
  { name: 'auth', fastify: '5.x' },
);
