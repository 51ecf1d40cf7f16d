// Story 2: every shop response carries request_id, timestamp and session_token. The policy names the
// first two; the secondary (a second copy of v1) cancels the third, which the policy did not name:
// zero false mismatches. Without a secondary the same field is no longer cancelled as noise.
import { afterEach, expect, it } from 'vitest';
import { startDemo, type Demo } from '../../sandbox/demo/index.js';
import { demoPolicy } from '../../sandbox/demo/policy.js';
import { plan } from '../../sandbox/demo/traffic.js';
import { envoyVariant, hcmOf, reportsWithPairs, sendAll } from './support.js';

const READS_AND_ORDERS = { 'GET /products/{id}': 40, 'GET /users/{id}': 40, 'POST /orders': 20 };
let demo: Demo | undefined;
afterEach(async () => {
  await demo?.close();
  demo = undefined;
});

it('named fields are ignored, the unnamed session_token is cancelled by the secondary: zero false mismatches', async () => {
  // Latency is not this story (a loaded loopback sandbox is no latency benchmark): a wide ratio keeps
  // the verdict below about the bodies.
  const base = demoPolicy();
  demo = await startDemo({ policy: { ...base, alerts: { ...base.alerts, latencyRatio: 50 } } });
  const results = await sendAll(demo, plan(40, 7, READS_AND_ORDERS));
  expect(results.every((r) => r.status >= 200 && r.status < 300)).toBe(true);
  // The live responses really do carry the volatile fields.
  expect(results[0].body).toMatchObject({
    request_id: expect.any(String),
    timestamp: expect.any(String),
    session_token: expect.any(String),
  });

  const reports = await reportsWithPairs(demo, 40);
  expect(Object.keys(reports).sort()).toEqual(['GET /products/{id}', 'GET /users/{id}', 'POST /orders']);
  for (const r of Object.values(reports)) {
    expect(r, r.endpoint).toMatchObject({
      matchRate: 100,
      mismatchRate: 0,
      regressionFields: 0,
      statusMismatches: 0,
      hasSecondary: true,
    });
  }
  for (const endpoint of Object.keys(reports)) {
    const detail = (await demo.client.endpoint('shop', endpoint)) as {
      fields: Array<{ path: string; verdict: string; raw: number; noise: number }>;
    };
    // request_id and timestamp never reach the diff (normalize.ignorePaths); session_token differs on
    // every pair, and just as often between live and the secondary: noise, not a regression.
    expect(
      detail.fields.map((f) => f.path),
      endpoint,
    ).toEqual(['body.session_token']);
    expect(detail.fields[0], endpoint).toMatchObject({
      verdict: 'noise',
      raw: reports[endpoint].pairs,
      noise: reports[endpoint].pairs,
    });
  }
  expect(await demo.client.alerts('shop')).toEqual([]);
  // …so the verdict a rollout controller reads is pass: every busy endpoint has its pairs, none regressed
  const verdict = (await (await fetch(`${demo.urls.api}/policies/shop/verdict`)).json()) as Record<string, unknown>;
  expect(verdict).toMatchObject({ policy: 'shop', verdict: 'pass', reasons: [], pairs: 40 });
});

it('without a secondary the unnamed field is only suggested as likely noise, not cancelled', async () => {
  // Test-local bootstrap: the edge mirrors to the candidate only.
  const envoyYaml = envoyVariant((b) => {
    const route = hcmOf(b, 'edge_ingress').route_config.virtual_hosts[0].routes.find(
      (r: { name?: string }) => r.name === 'shadow_mirror',
    );
    route.route.request_mirror_policies = route.route.request_mirror_policies.filter(
      (m: { cluster: string }) => m.cluster !== 'secondary',
    );
  });
  demo = await startDemo({ envoyYaml, policy: { ...demoPolicy(), secondary: false } });
  await sendAll(demo, plan(20, 7, READS_AND_ORDERS));
  const reports = await reportsWithPairs(demo, 20);
  const [endpoint] = Object.keys(reports);
  const detail = (await demo.client.endpoint('shop', endpoint)) as {
    hasSecondary: boolean;
    fields: Array<{ path: string; verdict: string; noise: number }>;
  };
  expect(detail.hasSecondary).toBe(false);
  const token = detail.fields.find((f) => f.path === 'body.session_token');
  // Only a heuristic guess is left ("likely noise", a suggestion to name it), not Diffy's measured noise.
  expect(token).toMatchObject({ noise: 0, verdict: 'likely-noise' });
});
