// The demo's seeded policy "shop" (schema/policy.schema.json): what a newcomer would write for the
// sample service. Sampling mirrors most requests so reports fill within seconds; the allowlist lets
// shadows read the catalog (under a rate limit), mocks the e-mail and payment APIs, and denies the rest;
// normalization names request_id and timestamp but deliberately NOT session_token, which the secondary
// (a second copy of v1) cancels as noise; capacity tells the blast-radius map what each provider takes.

import type { PolicySpec } from '../../control-plane/src/domain/types.js';

export const DEMO_POLICY_NAME = 'shop';
export const DEMO_SERVICE = 'shop';

export interface DemoPolicyOptions {
  /** percent of requests mirrored (default 100: the demo wants pairs quickly) */
  samplePercent?: number;
  /** shadow calls per second allowed to the catalog (default 50) */
  catalogRatePerSecond?: number;
  /** pairs an endpoint needs before it can alert (default 10) */
  minPairs?: number;
}

export function demoPolicy(o: DemoPolicyOptions = {}): PolicySpec {
  const percent = o.samplePercent ?? 100;
  return {
    description: 'Shadowguard demo: shop v2 (candidate) mirrored beside v1 (live) and a v1 secondary',
    services: [DEMO_SERVICE],
    sampling: {
      defaultPercent: percent,
      // Most specific rule wins: writes are the interesting part, mirror every one of them.
      rules: [{ methods: ['POST'], percent: 100 }],
    },
    egress: {
      defaultAction: 'deny',
      rules: [
        {
          name: 'catalog-read',
          host: 'catalog',
          methods: ['GET', 'HEAD'],
          action: 'allow',
          rateLimit: { requestsPerSecond: o.catalogRatePerSecond ?? 50 },
        },
        {
          name: 'email-mock',
          host: 'email',
          methods: ['POST'],
          path: '/send',
          action: 'mock',
          mock: {
            status: 202,
            headers: { 'content-type': 'application/json' },
            body: '{"queued":true,"id":"msg_shadow"}',
          },
        },
        {
          name: 'payments-charge-mock',
          host: 'payments',
          methods: ['POST'],
          path: '/charges',
          action: 'mock',
          mock: {
            status: 201,
            headers: { 'content-type': 'application/json' },
            body: '{"id":"ch_shadow","status":"succeeded"}',
          },
        },
        {
          name: 'payments-refund-mock',
          host: 'payments',
          methods: ['POST'],
          path: '/refunds',
          action: 'mock',
          mock: {
            status: 201,
            headers: { 'content-type': 'application/json' },
            body: '{"id":"re_shadow","status":"refunded"}',
          },
        },
      ],
    },
    inboundRateLimit: { requestsPerSecond: 200 },
    // request: the edge also keeps each sampled request's content-type and body, so examples show it
    capture: { maxBodyBytes: 16384, request: { headers: ['content-type'], maxBodyBytes: 4096 } },
    idempotency: { enabled: true },
    secondary: true,
    endpoints: ['/products/{id}', '/users/{id}', 'POST /orders', 'POST /refunds/{id}'],
    normalize: {
      // Named on purpose: request_id and timestamp. Not named: session_token (the secondary cancels it).
      ignorePaths: ['request_id', '**.timestamp'],
      redactPaths: ['**.email'],
    },
    alerts: { mismatchRate: 5, minPairs: o.minPairs ?? 10 },
    capacity: [
      { host: 'payments', requestsPerSecond: 20 },
      { host: 'email', requestsPerSecond: 10 },
      { host: 'catalog', requestsPerSecond: 100 },
    ],
  };
}

/**
 * What `npm start` seeds: the demo policy plus what the dashboard should show within the first minute —
 * a mirror ramp (started by the demo: 25 % → 50 % → 100 %, 20 s holds, pausing on a breach), a rule that
 * denies v2's new analytics call (showcase shop option), and a tighter catalog rate limit the shadows run
 * into under the default traffic (both shadows alike, so the secondary marks the resulting 502s as noise).
 */
export function showcasePolicy(): PolicySpec {
  const p = demoPolicy({ catalogRatePerSecond: 3 });
  const catalog = p.egress!.rules!.find((r) => r.name === 'catalog-read')!;
  catalog.rateLimit = { requestsPerSecond: 3, burst: 3 };
  p.egress!.rules!.push({ name: 'analytics-deny', host: 'analytics', action: 'deny' });
  p.ramp = { stages: [25, 50, 100], holdSeconds: 20, evaluateEverySeconds: 5, onBreach: 'pause' };
  return p;
}
