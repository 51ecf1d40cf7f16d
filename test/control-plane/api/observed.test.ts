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
  firstAt: 1_764_000_000_000,
  lastAt: 1_764_000_060_000,
};
// …and as the API answers it: times in ISO-8601.
const usersAnswer = { ...users, firstAt: '2025-11-24T16:00:00.000Z', lastAt: '2025-11-24T16:01:00.000Z' };
const nameField = {
  path: 'body.name',
  count: 2,
  raw: 2,
  noise: 0,
  verdict: 'regression',
  kinds: [{ kind: 'value', raw: 2, noise: 0, volatile: 0, verdict: 'regression', absolute: 5, relative: 100 }],
  examples: [{ pairId: 'p1', at: 1_764_000_030_000, kind: 'value', live: 'Ann', shadow: 'Anne' }],
};
const detail = { ...users, fields: [nameField], suggestions: [], samples: [] };
const reports = {
  endpoints: (policy: string) => (policy === 'checkout' ? [users] : undefined),
  endpoint: (policy: string, ep: string) => (policy === 'checkout' && ep === 'GET /users/{id}' ? detail : undefined),
};

describe('reports, blast radius, alerts and nodes', () => {
  it('lists the endpoint reports of a policy', async () => {
    t = await testApp({ reports });
    await t.store.putPolicy('checkout', spec(), 'test');
    const r = await t.as(VIEWER, { url: '/api/v1/reports/checkout' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      policy: 'checkout',
      endpoints: [usersAnswer],
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
      report: {
        ...usersAnswer,
        fields: [{ ...nameField, examples: [{ ...nameField.examples[0], at: '2025-11-24T16:00:30.000Z' }] }],
        suggestions: [],
        samples: [],
      },
    });
    const other = await t.as(VIEWER, {
      url: `/api/v1/reports/checkout/endpoints/${encodeURIComponent('POST /refunds')}`,
    });
    expect(other.statusCode).toBe(404);
    expect(other.json().message).toBe("no report for endpoint 'POST /refunds' of policy 'checkout'");
  });

  const decisions = { allowed: 0, mocked: 0, denied: 3, rate_limited: 0 };
  const payments = {
    destination: 'pay.example',
    total: 3,
    decisions,
    variants: { candidate: 3 },
    rate: 0.05,
    allowedRate: 0,
    peakAllowedPerSecond: 0,
    peakAllowedRate: 0,
    capacity: 5,
    flagged: false,
    lastAt: 1_764_000_059_000,
    routes: [{ route: 'POST /charge', total: 3, decisions }],
  };
  const blastMap = {
    windowS: 60,
    at: 1_764_000_060_000,
    flagged: 0,
    services: [{ service: 'checkout', total: 3, destinations: [payments] }],
  };

  it('maps the blast radius of a live policy with its services and capacity', async () => {
    const seen: unknown[] = [];
    t = await testApp({
      blastRadius: {
        forPolicy: (p) => {
          seen.push(p.spec.capacity);
          return blastMap;
        },
      },
    });
    await t.store.putPolicy('checkout', spec({ capacity: [{ host: 'pay.example', requestsPerSecond: 5 }] }), 'test');
    const r = await t.as(VIEWER, { url: '/api/v1/blast-radius/checkout' });
    expect(r.json()).toEqual({
      policy: 'checkout',
      map: {
        ...blastMap,
        at: '2025-11-24T16:01:00.000Z',
        services: [{ ...blastMap.services[0], destinations: [{ ...payments, lastAt: '2025-11-24T16:00:59.000Z' }] }],
      },
    });
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
      at: '1970-01-01T00:00:01.000Z',
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

  it('lists nodes from the registry as given, times in ISO-8601', async () => {
    const node = {
      key: 'n1/edge#0',
      nodeId: 'n1',
      plugin: 'edge',
      workload: 'gateway',
      service: 'checkout',
      role: 'edge',
      worker: 0,
      filterVersion: '0.1.0',
      connected: true,
      connectedAt: 1_764_000_000_000,
      lastSeen: 1_764_000_060_000,
      config: { sent: 'v1', acked: 'v1', respondedAt: 1_764_000_001_000 },
      halvesReceived: 4,
      eventsReceived: 0,
      duplicates: 0,
      malformed: 0,
      malformedReasons: {},
      dropsReported: 0,
    };
    t = await testApp({ nodes: { list: () => [node] } });
    expect((await t.as(VIEWER, { url: '/api/v1/nodes' })).json()).toEqual({
      nodes: [
        {
          ...node,
          connectedAt: '2025-11-24T16:00:00.000Z',
          lastSeen: '2025-11-24T16:01:00.000Z',
          config: { sent: 'v1', acked: 'v1', respondedAt: '2025-11-24T16:00:01.000Z' },
        },
      ],
    });
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
