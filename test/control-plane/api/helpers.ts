// Fixture builders for the API tests: an app over an in-memory SQLite store, fake engine and
// stream providers, and tokens for both roles.

import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp, type AppOptions } from '../../../control-plane/src/api/app.js';
import type { ApiDeps } from '../../../control-plane/src/api/deps.js';
import type { PolicySpec } from '../../../control-plane/src/domain/types.js';
import { SqliteStore } from '../../../control-plane/src/store/sqlite.js';

export const VIEWER = 'viewer-token-0123456789';
export const EDITOR = 'editor-token-0123456789';
export const tokens: AppOptions['auth'] = {
  tokens: [
    { token: VIEWER, role: 'viewer', name: 'vera' },
    { token: EDITOR, role: 'editor', name: 'eddie' },
  ],
};

export const spec = (over: Partial<PolicySpec> = {}): PolicySpec => ({
  services: ['checkout'],
  sampling: { defaultPercent: 5 },
  egress: {
    defaultAction: 'deny',
    rules: [{ name: 'payments-mock', host: 'pay.example', action: 'mock', mock: { status: 200, body: '{}' } }],
  },
  ...over,
});

export interface TestApp {
  app: FastifyInstance;
  store: SqliteStore;
  policyChanges: () => number;
  /** inject with an editor token unless headers.authorization is given */
  as(token: string | undefined, opts: InjectOptions): Promise<LightMyRequestResponse>;
}

export async function testApp(over: Partial<ApiDeps> = {}, opts: Partial<AppOptions> = {}): Promise<TestApp> {
  const store = (over.store as SqliteStore | undefined) ?? new SqliteStore({ dataDir: ':memory:' });
  let changes = 0;
  const deps: ApiDeps = {
    store,
    reports: { endpoints: () => undefined, endpoint: () => undefined },
    blastRadius: { forPolicy: (p) => ({ services: p.spec.services, destinations: [] }) },
    nodes: { list: () => [] },
    onPolicyChange: () => {
      changes++;
    },
    ...over,
  };
  const app = await buildApp(deps, { auth: tokens, docs: false, ...opts });
  await app.ready();
  return {
    app,
    store,
    policyChanges: () => changes,
    as: (token, o) =>
      app.inject({ ...o, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...o.headers } }),
  };
}
