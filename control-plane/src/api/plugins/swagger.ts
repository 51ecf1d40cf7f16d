// OpenAPI document and UI at /docs, generated from the route schemas (the single source of the
// request and response shapes). Shared schemas become components named by their $id.

import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

export const swaggerPlugin = fp<{ version: string }>(
  async (app: FastifyInstance, opts) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'Shadowguard control plane',
          version: opts.version,
          description: 'Policies, diff reports, blast radius, alerts and nodes.',
        },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
      refResolver: {
        buildLocalReference(json, _baseUri, _fragment, i) {
          const id = typeof json.$id === 'string' ? json.$id : `def-${i}`;
          // 'https://shadowguard.dev/schema/policy.json' → 'policy'
          return id.replace(/^.*\/([^/]+?)(\.json)?$/, '$1');
        },
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'swagger', fastify: '5.x' },
);
