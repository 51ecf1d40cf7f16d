// Story 3: v2 regresses only on POST /refunds/{id}. Under a ~99 % aggregate match rate, the
// per-endpoint report isolates it and the control plane raises an alert for that endpoint alone.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDemo, type Demo } from '../../sandbox/demo/index.js';
import { demoPolicy } from '../../sandbox/demo/policy.js';
import { plan } from '../../sandbox/demo/traffic.js';
import { req, reportsWithPairs, sendAll, waitFor } from './support.js';

let demo: Demo;
// Limits high enough for a 300-request burst: here a rate-limited shadow (429 → 502) would be a real,
// but different, mismatch (story 7 covers limits).
beforeAll(async () => {
  const policy = {
    ...demoPolicy({ minPairs: 3, catalogRatePerSecond: 100_000 }),
    inboundRateLimit: { requestsPerSecond: 100_000 },
  };
  // a loaded loopback sandbox is no latency benchmark: the verdict below is about the bodies
  policy.alerts = { ...policy.alerts, latencyRatio: 50 };
  demo = await startDemo({ policy });
});
afterAll(async () => {
  await demo?.close();
});

it('a regression on POST /refunds under a 99 % aggregate match rate alerts for that endpoint only', async () => {
  const verdict = async () =>
    (await (await fetch(`${demo.urls.api}/policies/shop/verdict`)).json()) as {
      verdict: string;
      reasons: Array<{ kind: string; endpoint?: string; fields?: string[] }>;
    };
  expect((await verdict()).verdict).toBe('inconclusive'); // no pairs yet: never a pass
  // 297 healthy requests and 3 refunds, the refunds spread through the run.
  const traffic = plan(297, 11, { 'GET /products/{id}': 45, 'GET /users/{id}': 40, 'POST /orders': 15 });
  for (const [i, at] of [50, 150, 250].entries()) traffic.splice(at, 0, req.refund(4000 + i, 80 + i));
  const results = await sendAll(demo, traffic);
  expect(results.filter((r) => r.status < 200 || r.status >= 300)).toEqual([]);
  // Live answered every refund correctly: the regression is the candidate's alone.
  expect(
    results
      .filter((r) => r.endpoint === 'POST /refunds/{id}')
      .map((r) => (r.body as { refund: { status: string } }).refund.status),
  ).toEqual(['refunded', 'refunded', 'refunded']);

  const reports = await reportsWithPairs(demo, 300, 20_000);
  const all = Object.values(reports);
  const aggregate = (100 * all.reduce((n, r) => n + (r.matching as number), 0)) / all.reduce((n, r) => n + r.pairs, 0);
  expect(aggregate).toBeCloseTo(99, 0);
  expect(reports['POST /refunds/{id}']).toMatchObject({
    pairs: 3,
    mismatchRate: 100,
    verdict: 'critical',
    regressionFields: 2,
  });
  for (const [endpoint, r] of Object.entries(reports))
    if (endpoint !== 'POST /refunds/{id}') expect(r.mismatchRate, endpoint).toBe(0);

  const detail = (await demo.client.endpoint('shop', 'POST /refunds/{id}')) as {
    fields: Array<{ path: string; verdict: string; examples: Array<{ live: unknown; shadow: unknown }> }>;
  };
  const regressions = detail.fields.filter((f) => f.verdict === 'regression');
  expect(regressions.map((f) => f.path).sort()).toEqual(['body.refund.amount', 'body.refund.status']);
  expect(regressions.find((f) => f.path === 'body.refund.status')!.examples[0]).toMatchObject({
    live: 'refunded',
    shadow: 'pending',
  });

  const alerts = await waitFor(
    async () => {
      const a = await demo.client.alerts('shop');
      return a.length > 0 ? a : undefined;
    },
    5000,
    'an alert',
  );
  expect(alerts.map((a) => a.endpoint)).toEqual(['POST /refunds/{id}']);
  expect(alerts[0]).toMatchObject({ policy: 'shop', rate: 100, pairs: 3 });

  // The verdict fails, for that endpoint alone, naming its regression fields.
  const v = await verdict();
  expect(v.verdict).toBe('fail');
  expect(v.reasons.map((r) => [r.kind, r.endpoint, [...(r.fields ?? [])].sort()])).toEqual([
    ['mismatch', 'POST /refunds/{id}', ['body.refund.amount', 'body.refund.status']],
  ]);
});
