// PATCH /api/v1/policies/{name} (JSON merge patch, RFC 7396) and the warnings a write that drops a
// whole section gets back (a PUT that forgot `egress` used to drop every rule silently).
import { afterEach, expect, it } from 'vitest';
import { startControlPlane, type TestControlPlane } from '../../security/support.js';

let t: TestControlPlane | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const full = {
  services: ['checkout'],
  sampling: { defaultPercent: 5 },
  egress: {
    defaultAction: 'deny',
    rules: [{ name: 'pay', host: 'pay.example', action: 'mock', mock: { status: 200 } }],
  },
  alerts: { mismatchRate: 10, minPairs: 5 },
};
const MERGE = { 'content-type': 'application/merge-patch+json' };

it('merges a patch: objects key by key, null removes, arrays replace; a new version with If-Match honoured', async () => {
  t = await startControlPlane();
  expect((await t.api('PUT', '/api/v1/policies/checkout', { body: full })).status).toBe(201);
  const r = await t.api('PATCH', '/api/v1/policies/checkout', {
    headers: { ...MERGE, 'if-match': '"1"' },
    body: { sampling: { defaultPercent: 20 }, alerts: { minPairs: null } },
  });
  expect(r.status).toBe(200);
  expect(r.headers.get('etag')).toBe('"2"');
  expect(r.body.version).toBe(2);
  expect(r.body.spec).toEqual({ ...full, sampling: { defaultPercent: 20 }, alerts: { mismatchRate: 10 } });
  expect(r.body.warnings).toBeUndefined();

  const stale = await t.api('PATCH', '/api/v1/policies/checkout', {
    headers: { ...MERGE, 'if-match': '"1"' },
    body: { sampling: { defaultPercent: 30 } },
  });
  expect(stale.status).toBe(412);
});

it('validates the merged document like a PUT and refuses a missing policy', async () => {
  t = await startControlPlane();
  await t.api('PUT', '/api/v1/policies/checkout', { body: full });
  const bad = await t.api('PATCH', '/api/v1/policies/checkout', {
    headers: MERGE,
    body: { sampling: { defaultPercent: 500 } },
  });
  expect(bad.status).toBe(400);
  expect(bad.body.message).toMatch(/sampling\/defaultPercent/);
  const missing = await t.api('PATCH', '/api/v1/policies/nope', { headers: MERGE, body: { sampling: null } });
  expect(missing.status).toBe(404);
  const noServices = await t.api('PATCH', '/api/v1/policies/checkout', { headers: MERGE, body: { services: null } });
  expect(noServices.status).toBe(400);
});

it('a PUT or PATCH that drops a whole section says so in warnings', async () => {
  t = await startControlPlane();
  await t.api('PUT', '/api/v1/policies/checkout', { body: full });
  const { egress: _dropped, ...withoutEgress } = full;
  const put = await t.api('PUT', '/api/v1/policies/checkout', { body: withoutEgress });
  expect(put.status).toBe(200);
  expect(put.body.warnings).toEqual([expect.stringMatching(/drops the whole 'egress' section/)]);
  const patch = await t.api('PATCH', '/api/v1/policies/checkout', { headers: MERGE, body: { alerts: null } });
  expect(patch.body.warnings).toEqual([expect.stringMatching(/'alerts'/)]);
});
