// GET /api/v1/whoami: the caller's name and role (viewer role). The dashboard asks once per token to
// show or hide editing controls; the server still checks the role on every write.

import type { ApiInstance } from '../types.js';
import { authErrors } from '../schemas/common.js';

export async function whoamiRoutes(app: ApiInstance, { authDisabled }: { authDisabled: boolean }): Promise<void> {
  app.get(
    '/whoami',
    {
      schema: {
        tags: ['status'],
        summary: 'Who the bearer token is and what it may do',
        response: {
          200: {
            type: 'object',
            required: ['name', 'role', 'authDisabled'],
            properties: {
              name: { type: 'string' },
              role: { type: 'string', enum: ['viewer', 'editor'] },
              authDisabled: { type: 'boolean' },
            },
          },
          ...authErrors,
        },
      },
    },
    async (request) => ({
      name: request.principal?.name ?? 'unknown',
      role: request.principal?.role ?? 'viewer',
      authDisabled,
    }),
  );
}
