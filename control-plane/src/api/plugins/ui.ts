// The dashboard: the files Vite built from control-plane/src/ui into build/ui, served at '/' by
// @fastify/static (no CDN, nothing fetched at runtime). Client routes (/policies/shop/reports, …) get
// index.html (SPA fallback); the server's own prefixes (/api, /docs, /metrics, /healthz) never do:
// an unknown /api/... stays a JSON 404. The shell is public, like /docs; every data call it makes
// carries the user's bearer token. Without a build the plugin serves a page saying how to build it
// rather than failing the control plane.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export const DEFAULT_UI_ROOT = fileURLToPath(new URL('../../../../build/ui/', import.meta.url));
const SERVER_PREFIXES = ['/api', '/docs', '/metrics', '/healthz'];

export interface UiOptions {
  /** Directory holding index.html and assets/ (default build/ui). */
  root?: string;
}

const isServerPath = (url: string): boolean =>
  SERVER_PREFIXES.some((p) => url === p || url.startsWith(p + '/') || url.startsWith(p + '?'));

export async function uiPlugin(app: FastifyInstance, opts: UiOptions): Promise<void> {
  const root = path.resolve(opts.root ?? DEFAULT_UI_ROOT);
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    app.log.warn({ root }, 'dashboard not built: / explains how to build it');
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><title>Shadowguard</title><p>The dashboard is not built. Run <code>npm run build:ui</code> ' +
            'and restart the control plane. The REST API is at <a href="/docs">/docs</a>.</p>',
        ),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false, // one route per built file, so the fallback below sees everything else
    index: ['index.html'],
    // Vite fingerprints assets/: cache them for good; index.html must be revalidated to pick up a build.
    setHeaders: (reply, file) => {
      void reply.header(
        'cache-control',
        file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    const url = request.url;
    // A missing file (an extension, outside the client routes) is a real 404, not the app shell;
    // client routes may end in one ('/policies/x/reports/GET%20%2Ffeed.json').
    const file = !url.startsWith('/policies/') && /\.[a-z0-9]+$/i.test(url.split('?')[0].split('/').pop() ?? '');
    if (isServerPath(url) || file) return reply.callNotFound();
    void reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html');
  });
}
