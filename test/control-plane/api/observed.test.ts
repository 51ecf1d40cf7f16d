import { afterEach, describe, expect, it } from 'vitest';
import { EDITOR, spec, testApp, VIEWER, type TestApp } from './helpers.js';

let t: TestApp;
afterEach(async () => {
  await t?.app.close();
  await t?.store.close();
});

// An endpoint summary as the report book makes it (its response schema is closed: every field documented).
const users = {
  policy: 'checkout',
  endpoint: 'GET /users/{id}',
  pairs: 40,
  matching: 38,
  matchRate: 95,
  mismatchRate: 5,
  statusMismatches: 0,
  regressionFields: 2,
  noiseFields: 0,
  likelyNoiseFields: 0,
  ignoredFields: 0,
  verdict: 'critical',
  hasSecondary: false,
  bodiesNotCompared: 0,
  latency: { live: { p50Us: 1, p99Us: 2 }, shadow: { p50Us: 1, p99Us: 2 }, deltaP50Us: 0, deltaP99Us: 0 },
  latencyVerdict: { verdict: 'pass', ratio: 1, percentile: 'p50', liveMs: 0, shadowMs: 0, detail: 'same' },
  alerting: true,
  firstAt: 1,
  lastAt: 2,
};
const reports = {
  endpoints: (policy: string) => (policy === 'checkout' ? [users] : undefined),
  endpoint: (policy: string, ep: string) =>
    policy === 'checkout' && ep === 'GET /users/{id}'
      ? { fields: [{ path: 'body.name', raw: 2 }], examples: [] }
      : undefined,
};

describe('reports, blast radius, alerts and nodes', () => {
  it('lists the endpoint reports of a policy', async () => {
    t = await testApp({ reports });
    await t.store.putPolicy('checkout', spec(), 'test');
    const r = await t.as(VIEWER, { url: '/api/v1/reports/checkout' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      policy: 'checkout',
      endpoints: [users],
    });
  });

  it('gives an empty list for a known policy without pairs, 404 for a name never seen', async () => {
    t = await testApp({ reports });
    await t.store.putPolicy('quiet', spec({ services: ['quiet'] }), 'test');
    expect((await t.as(VIEWER, { url: '/api/v1/reports/quiet' })).json()).toEqual({ policy: 'quiet', endpoints: [] });
    const missing = await t.as(VIEWER, { url: '/api/v1/reports/ghost' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().message).toBe("policy 'ghost' does not exist");
  });

  it('decodes a URL-encoded endpoint template in the path', async () => {
    t = await testApp({ reports });
    const r = await t.as(VIEWER, {
      url: `/api/v1/reports/checkout/endpoints/${encodeURIComponent('GET /users/{id}')}`,
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      policy: 'checkout',
      endpoint: 'GET /users/{id}',
      report: { fields: [{ path: 'body.name', raw: 2 }], examples: [] },
    });
    const other = await t.as(VIEWER, {
      url: `/api/v1/reports/checkout/endpoints/${encodeURIComponent('POST /refunds')}`,
    });
    expect(other.statusCode).toBe(404);
    expect(other.json().message).toBe("no report for endpoint 'POST /refunds' of policy 'checkout'");
  });

  it('maps the blast radius of a live policy with its services and capacity', async () => {
    const seen: unknown[] = [];
    t = await testApp({
      blastRadius: {
        forPolicy: (p) => {
          seen.push(p.spec.capacity);
          return { destinations: [{ host: 'pay.example', denied: 3 }] };
        },
      },
    });
    await t.store.putPolicy('checkout', spec({ capacity: [{ host: 'pay.example', requestsPerSecond: 5 }] }), 'test');
    const r = await t.as(VIEWER, { url: '/api/v1/blast-radius/checkout' });
    expect(r.json()).toEqual({ policy: 'checkout', map: { destinations: [{ host: 'pay.example', denied: 3 }] } });
    expect(seen).toEqual([[{ host: 'pay.example', requestsPerSecond: 5 }]]);
    expect((await t.as(VIEWER, { url: '/api/v1/blast-radius/ghost' })).statusCode).toBe(404);
  });

  it('lists stored alerts newest first, filtered by policy and limited', async () => {
    t = await testApp();
    for (const [policy, endpoint] of [
      ['a', 'GET /x'],
      ['b', 'GET /y'],
      ['a', 'POST /z'],
    ]) {
      await t.store.addAlert({ at: 1000, policy, endpoint, rate: 12.5, pairs: 40, message: `${endpoint} regressed` });
    }
    const all = (await t.as(VIEWER, { url: '/api/v1/alerts' })).json().alerts;
    expect(all.map((a: { endpoint: string }) => a.endpoint)).toEqual(['POST /z', 'GET /y', 'GET /x']);
    expect(all[0]).toEqual({
      id: 3,
      at: 1000,
      policy: 'a',
      endpoint: 'POST /z',
      rate: 12.5,
      pairs: 40,
      message: 'POST /z regressed',
      delivered: false,
      delivery: 'pending',
      state: 'open',
      stateBy: null,
      stateAt: null,
    });
    const a = (await t.as(VIEWER, { url: '/api/v1/alerts?policy=a&limit=1' })).json().alerts;
    expect(a.map((x: { endpoint: string }) => x.endpoint)).toEqual(['POST /z']);
    expect((await t.as(VIEWER, { url: '/api/v1/alerts?limit=0' })).json().message).toMatch(
      /^querystring\/limit must match pattern/,
    );
  });

  it('lists nodes from the registry as given', async () => {
    const node = { key: 'n1#0', service: 'checkout', role: 'edge', connected: true, config: { acked: 'v1' } };
    t = await testApp({ nodes: { list: () => [node] } });
    expect((await t.as(VIEWER, { url: '/api/v1/nodes' })).json()).toEqual({ nodes: [node] });
  });

  it('exposes request counters per route template and the gauges given in deps', async () => {
    t = await testApp({
      gauges: [
        { name: 'shadowguard_pairs_pending', help: 'pending pairs', read: () => 7 },
        {
          name: 'shadowguard_nodes',
          help: 'nodes',
          labelNames: ['state'],
          read: () => [{ labels: { state: 'connected' }, value: 2 }],
        },
      ],
    });
    await t.as(VIEWER, { url: '/api/v1/policies/one' });
    await t.as(VIEWER, { url: '/api/v1/policies/two' });
    const m = await t.as(VIEWER, { url: '/metrics' });
    expect(m.headers['content-type']).toMatch(/^text\/plain/);
    expect(m.body).toContain(
      'shadowguard_http_requests_total{method="GET",route="/api/v1/policies/:name",status="404"} 2',
    );
    expect(m.body).toContain('shadowguard_pairs_pending 7');
    expect(m.body).toContain('shadowguard_nodes{state="connected"} 2');
  });

  it('serves an OpenAPI document whose PUT body is the policy schema', async () => {
    t = await testApp({}, { docs: true });
    const doc = (await t.as(undefined, { url: '/docs/json' })).json();
    expect(doc.openapi).toBe('3.0.3');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/policies',
        '/api/v1/policies/{name}',
        '/api/v1/policies/{name}/history',
        '/api/v1/policies/{name}/rollback',
        '/api/v1/reports/{policy}',
        '/api/v1/reports/{policy}/endpoints/{endpoint}',
        '/api/v1/blast-radius/{policy}',
        '/api/v1/alerts',
        '/api/v1/nodes',
        '/healthz',
        '/metrics',
      ]),
    );
    const body = doc.paths['/api/v1/policies/{name}'].put.requestBody.content['application/json'].schema;
    const resolved = body.$ref ? doc.components.schemas[body.$ref.split('/').pop()] : body;
    expect(resolved.required).toEqual(['services']);
    expect((await t.as(undefined, { url: '/docs' })).statusCode).toBeLessThan(400);
    expect((await t.as(EDITOR, { url: '/healthz' })).statusCode).toBe(200);
  });
});
