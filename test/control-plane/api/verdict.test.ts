// Runs and the verdict through a real control plane (gRPC stream, REST, SQLite in a temp dir): filters
// are real gRPC clients whose Hello carries the candidate's version; pairs arrive over the stream.
import { afterEach, describe, expect, it } from 'vitest';
import { AckingFilter, boot, Clock, halfMessage, tempDir, until, VIEWER, type Booted } from '../ramp/fixtures.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const spec = {
  services: ['checkout'],
  endpoints: ['POST /refunds/{id}', 'GET /users/{id}'],
  alerts: { mismatchRate: 5, minPairs: 5, latencyRatio: 2, latencyMinDeltaMs: 5 },
};

async function setup(version = 'v1') {
  const clock = new Clock();
  const cp = await boot(tempDir(cleanups), clock, cleanups);
  expect((await cp.api('/api/v1/policies/checkout', { method: 'PUT', body: JSON.stringify(spec) })).status).toBe(201);
  const edge = await AckingFilter.edge(cp.grpcPort, cleanups);
  const shadow = await candidate(cp, version);
  return { cp, clock, edge, shadow };
}

const candidate = (cp: Booted, version: string, nodeId = `shadow-${version}`) =>
  AckingFilter.candidate(cp.grpcPort, cleanups, { nodeId, version });

let seq = 0;
/** n pairs on one endpoint; the candidate answers `candidateBody` after `candidateLatencyUs`. */
async function pairs(
  edge: AckingFilter,
  shadow: AckingFilter,
  n: number,
  opts: {
    method?: string;
    path?: string;
    candidateBody?: unknown;
    liveLatencyUs?: number;
    candidateLatencyUs?: number;
  } = {},
) {
  const method = opts.method ?? 'GET';
  const base = opts.path ?? '/users';
  for (let i = 0; i < n; i++) {
    const id = `p${seq++}`;
    const l = halfMessage(id, 'LIVE', method, `${base}/${seq}`, { ok: true });
    if (opts.liveLatencyUs !== undefined) l.half.latencyUs = opts.liveLatencyUs;
    await edge.send(l);
    const c = halfMessage(id, 'CANDIDATE', method, `${base}/${seq}`, opts.candidateBody ?? { ok: true });
    if (opts.candidateLatencyUs !== undefined) c.half.latencyUs = opts.candidateLatencyUs;
    await shadow.send(c);
  }
}

const reportPairs = async (cp: Booted, query = '') =>
  (await cp.json(`/api/v1/reports/checkout${query}`)).body.endpoints.reduce(
    (n: number, e: { pairs: number }) => n + e.pairs,
    0,
  );
const waitPairs = (cp: Booted, n: number) => until(async () => (await reportPairs(cp)) >= n, `${n} pairs`);
const verdict = async (cp: Booted) => (await cp.json('/api/v1/policies/checkout/verdict', { token: VIEWER })).body;

describe('runs', () => {
  it('a new candidate version starts a new run whose report starts empty; the old run stays readable; reset does the same', async () => {
    const { cp, clock, edge, shadow } = await setup('v1');
    await pairs(edge, shadow, 3);
    await waitPairs(cp, 3);
    let runs = (await cp.json('/api/v1/policies/checkout/runs')).body;
    expect(runs.current).toMatchObject({ id: 1, candidateVersion: 'v1', policyVersion: 1, startedBy: 'candidate' });
    expect(runs.current.startedAt).toBe(new Date(clock.t).toISOString());

    clock.advance(60);
    const v2 = await candidate(cp, 'v2');
    await pairs(edge, v2, 2);
    await until(async () => (await cp.json('/api/v1/reports/checkout')).body.run === 2, 'run 2');
    await waitPairs(cp, 2);
    expect(await reportPairs(cp)).toBe(2); // v1's three pairs are not in v2's report
    runs = (await cp.json('/api/v1/policies/checkout/runs')).body;
    expect(
      runs.runs.map((r: { id: number; candidateVersion: string; current: boolean }) => [
        r.id,
        r.candidateVersion,
        r.current,
      ]),
    ).toEqual([
      [2, 'v2', true],
      [1, 'v1', false],
    ]);
    expect(runs.runs[1].endedAt).toBe(new Date(clock.t).toISOString());
    expect(await reportPairs(cp, '?run=1')).toBe(3);
    const ep = await cp.json(`/api/v1/reports/checkout/endpoints/${encodeURIComponent('GET /users/{id}')}?run=1`);
    expect(ep.body).toMatchObject({ run: 1, report: { pairs: 3 } });

    // A late half from a v1 pod (v2 is current) is dropped, never mixed into v2's report.
    await pairs(edge, shadow, 1);
    await pairs(edge, v2, 1); // barrier: a later v2 pair arrives
    await waitPairs(cp, 3);
    expect(await reportPairs(cp)).toBe(3);
    expect((await cp.json('/api/v1/policies/checkout/runs')).body.runs).toHaveLength(2);

    // Manual reset: run 3 for the same version, empty; run 2 readable.
    const reset = await cp.json('/api/v1/policies/checkout/runs/reset', { method: 'POST' });
    expect(reset).toMatchObject({
      status: 200,
      body: { id: 3, candidateVersion: 'v2', startedBy: 'eddie', current: true },
    });
    expect(await reportPairs(cp)).toBe(0);
    expect(await reportPairs(cp, '?run=2')).toBe(3);
    expect((await cp.json('/api/v1/policies/checkout/runs/reset', { method: 'POST', token: VIEWER })).status).toBe(403);
    expect((await cp.json('/api/v1/reports/checkout?run=9')).status).toBe(404);
  });

  it('survives a restart: runs, the current report and archived runs come back from the store', async () => {
    const dataDir = tempDir(cleanups);
    const clock = new Clock();
    const a = await boot(dataDir, clock, cleanups);
    await a.api('/api/v1/policies/checkout', { method: 'PUT', body: JSON.stringify(spec) });
    const edge = await AckingFilter.edge(a.grpcPort, cleanups);
    await pairs(edge, await candidate(a, 'v1'), 2);
    await waitPairs(a, 2);
    await pairs(edge, await candidate(a, 'v2'), 1);
    await until(async () => (await a.json('/api/v1/reports/checkout')).body.run === 2, 'run 2');
    await waitPairs(a, 1);
    edge.close();
    await a.close();
    const b = await boot(dataDir, clock, cleanups);
    expect((await b.json('/api/v1/policies/checkout/runs')).body.current).toMatchObject({
      id: 2,
      candidateVersion: 'v2',
    });
    expect(await reportPairs(b)).toBe(1);
    expect(await reportPairs(b, '?run=1')).toBe(2);
  });
});

describe('the verdict', () => {
  it('is inconclusive without evidence, pass with enough clean pairs, fail on a mismatching endpoint', async () => {
    const { cp, edge, shadow } = await setup();
    let v = await verdict(cp);
    expect(v).toMatchObject({
      policy: 'checkout',
      verdict: 'inconclusive',
      run: null,
      pairs: 0,
      reasons: [{ kind: 'evidence', verdict: 'inconclusive', message: 'no pairs were compared in this run yet' }],
    });
    expect(v.evaluatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    await pairs(edge, shadow, 3);
    await waitPairs(cp, 3);
    v = await verdict(cp);
    expect(v.verdict).toBe('inconclusive');
    expect(v.reasons[0].message).toBe('not enough evidence: GET /users/{id} 3 of 5 compared pairs');
    expect(v.run).toMatchObject({ id: 1, candidateVersion: 'v1' });

    await pairs(edge, shadow, 2);
    await waitPairs(cp, 5);
    expect(await verdict(cp)).toMatchObject({ verdict: 'pass', reasons: [], pairs: 5, endpoints: 1 });

    // POST /refunds/{id}: few pairs, all mismatching: a suspect holds the verdict, then fails it
    await pairs(edge, shadow, 2, { method: 'POST', path: '/refunds', candidateBody: { ok: false } });
    await waitPairs(cp, 7);
    v = await verdict(cp);
    expect(v.verdict).toBe('inconclusive');
    expect(v.reasons.map((r: { message: string }) => r.message)).toEqual([
      'not enough evidence: POST /refunds/{id} 2 of 5 compared pairs',
    ]);
    await pairs(edge, shadow, 3, { method: 'POST', path: '/refunds', candidateBody: { ok: false } });
    await waitPairs(cp, 10);
    v = await verdict(cp);
    expect(v.verdict).toBe('fail');
    expect(v.reasons).toEqual([
      {
        kind: 'mismatch',
        verdict: 'fail',
        endpoint: 'POST /refunds/{id}',
        fields: ['body.ok'],
        message: 'POST /refunds/{id} mismatches on 100% of 5 pairs (threshold 5%): body.ok',
      },
    ]);
  });

  it('fails a candidate 3× slower but logically equal on one endpoint only, and alerts once', async () => {
    const { cp, edge, shadow } = await setup();
    await pairs(edge, shadow, 6, { path: '/users' }); // 1.5 ms both sides
    await pairs(edge, shadow, 6, {
      method: 'POST',
      path: '/refunds',
      liveLatencyUs: 15_000,
      candidateLatencyUs: 45_000,
    });
    await waitPairs(cp, 12);
    const v = await verdict(cp);
    expect(v.verdict).toBe('fail');
    expect(v.reasons).toHaveLength(1);
    expect(v.reasons[0]).toMatchObject({ kind: 'latency', endpoint: 'POST /refunds/{id}' });
    expect(v.reasons[0].message).toMatch(
      /^POST \/refunds\/\{id\} shadow p(50|99) 4\d\.\d+ ms is (2\.9\d|3|3\.0\d)× live 1\d\.\d+ ms \(limit 2×\)$/,
    );
    const { body: reports } = await cp.json('/api/v1/reports/checkout');
    const byEndpoint = Object.fromEntries(
      reports.endpoints.map((e: { endpoint: string; latencyVerdict: { verdict: string } }) => [
        e.endpoint,
        e.latencyVerdict.verdict,
      ]),
    );
    expect(byEndpoint).toEqual({ 'POST /refunds/{id}': 'fail', 'GET /users/{id}': 'pass' });
    await until(
      async () => (await cp.json('/api/v1/alerts?policy=checkout')).body.alerts.length > 0,
      'the latency alert',
    );
    const { body: alerts } = await cp.json('/api/v1/alerts?policy=checkout');
    expect(alerts.alerts).toHaveLength(1);
    expect(alerts.alerts[0]).toMatchObject({ endpoint: 'POST /refunds/{id}', rate: expect.any(Number) });
    expect(alerts.alerts[0].message).toMatch(/is slower in the shadow/);
  });

  it('is 404 for a policy that does not exist', async () => {
    const { cp } = await setup();
    expect(await cp.json('/api/v1/policies/nope/verdict')).toMatchObject({
      status: 404,
      body: { message: "policy 'nope' does not exist" },
    });
  });
});
