// Builds the REST API (never listens: main.ts does, and tests use app.inject()). The plugin tree,
// in load order: ecosystem (swagger) → infrastructure (errors, JSON body, metrics hooks, shared
// schemas) → open routes (/healthz, /docs) → the authenticated scope (auth hook, /metrics, /api/v1/*)
// → the dashboard (plugins/ui.ts: static files at '/', SPA fallback outside the server's prefixes).

import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import { Registry } from 'prom-client';
import type { ApiDeps } from './deps.js';
import { authPlugin, type AuthOptions } from './plugins/auth.js';
import { errorBody, errorsPlugin } from './plugins/errors.js';
import { jsonBodyPlugin } from './plugins/json-body.js';
import { metricsPlugin } from './plugins/metrics.js';
import { swaggerPlugin } from './plugins/swagger.js';
import { uiPlugin, type UiOptions } from './plugins/ui.js';
import { webhookRedactionPlugin } from './plugins/webhook-redaction.js';
import { blastRadiusRoutes } from './routes/blast-radius.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes, metricsRoute, readyRoute } from './routes/health.js';
import { historyRoutes } from './routes/history.js';
import { noiseRoutes } from './routes/noise.js';
import { policyRoutes } from './routes/policies.js';
import { rampRoutes } from './routes/ramp.js';
import { runRoutes } from './routes/runs.js';
import { verdictRoutes } from './routes/verdict.js';
import { reportRoutes } from './routes/reports.js';
import { statusRoutes } from './routes/status.js';
import { whoamiRoutes } from './routes/whoami.js';
import { errorSchema } from './schemas/common.js';
import { filterConfigSchema, policySchema as policySpecSchema } from './schemas/contract.js';
import { sharedSchemas } from './schemas/observed.js';
import { auditEntrySchema, historySchema, policyListSchema, policySchema } from './schemas/policy.js';
import './types.js';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export interface AppOptions {
  auth: AuthOptions;
  /** Largest accepted request body in bytes (413 above it). Default 1 MiB. */
  bodyLimit?: number;
  /** A pino logger instance, or false (default) for none. */
  logger?: FastifyServerOptions['loggerInstance'] | false;
  /** Served at /docs. Default true. */
  docs?: boolean;
  /** Node process metrics on /metrics. Default false. */
  processMetrics?: boolean;
  version?: string;
  /** The registry /metrics serves (main.ts passes the one its domain metrics live on). Default: a new one. */
  registry?: Registry;
  /** The dashboard at '/' (plugins/ui.ts); false for none. Default: build/ui. */
  ui?: UiOptions | false;
}

export async function buildApp(deps: ApiDeps, opts: AppOptions): Promise<FastifyInstance> {
  const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const version = opts.version ?? '0.0.0';
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    bodyLimit,
    // Requests are validated exactly as written: no defaults inserted into stored policies, no
    // silently dropped unknown fields, no "5" accepted for 5.
    ajv: { customOptions: { removeAdditional: false, useDefaults: false, coerceTypes: false, allErrors: true } },
    return503OnClosing: true,
    // Errors raised before routing (a malformed percent-encoding) get the same document as the rest.
    frameworkErrors: (err, _request, reply) => {
      void (reply as FastifyReply).code(400).send(errorBody(400, err.message));
    },
  }) as unknown as FastifyInstance;

  app.decorateRequest('principal', null);
  if (opts.docs !== false) await app.register(swaggerPlugin, { version });
  await app.register(errorsPlugin, { bodyLimit });
  await app.register(jsonBodyPlugin);
  const registry = opts.registry ?? new Registry();
  await app.register(metricsPlugin, { registry, gauges: deps.gauges, processMetrics: opts.processMetrics });

  for (const s of [
    filterConfigSchema,
    policySpecSchema,
    errorSchema,
    policySchema,
    policyListSchema,
    auditEntrySchema,
    historySchema,
    ...sharedSchemas,
  ]) {
    app.addSchema(s);
  }

  await app.register(healthRoutes, { deps, version });
  await app.register(readyRoute, { deps });
  await app.register(async (scope) => {
    await scope.register(authPlugin, opts.auth);
    await scope.register(metricsRoute, { registry });
    await scope.register(
      async (api) => {
        await api.register(webhookRedactionPlugin);
        await api.register(policyRoutes, { deps });
        await api.register(historyRoutes, { deps });
        await api.register(reportRoutes, { deps });
        await api.register(blastRadiusRoutes, { deps });
        await api.register(statusRoutes, { deps });
        if (deps.ramp) await api.register(rampRoutes, { deps, ramp: deps.ramp });
        if (deps.runs) await api.register(runRoutes, { deps, runs: deps.runs });
        if (deps.verdict) await api.register(verdictRoutes, { deps, verdict: deps.verdict });
        await api.register(noiseRoutes, { deps });
        await api.register(eventRoutes, { deps });
        await api.register(whoamiRoutes, { authDisabled: 'disabled' in opts.auth });
      },
      { prefix: '/api/v1' },
    );
  });
  if (opts.ui !== false) await app.register(uiPlugin, opts.ui ?? {});
  return app;
}
