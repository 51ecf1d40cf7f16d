// The mirror ramp end to end: a real control plane (gRPC, REST, SQLite in a temp dir) whose ramp runs
// on a clock the test moves; the edge filter is a real gRPC client that receives the pushed snapshots
// and acks them. Hold times pass on the injected clock, guards are fed by pairs sent over the stream.
import { afterEach, describe, expect, it } from 'vitest';
import {
  AckingFilter,
  boot,
  Clock,
  fourStageRamp,
  halfMessage,
  tempDir,
  until,
  VIEWER,
  waitForPairs,
  type Booted,
} from './fixtures.js';

/** The API's timestamps are ISO-8601 (api/timestamps.ts). */
const iso = (ms: number) => new Date(ms).toISOString();

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const rampSpec = (over: Record<string, unknown> = {}) => ({
  services: ['checkout'],
  sampling: { defaultPercent: 100, rules: [{ pathPrefix: '/refunds', percent: 50 }] },
  endpoints: ['POST /refunds/{id}', 'GET /users/{id}'],
  ramp: fourStageRamp({ mismatchRate: 5, minPairs: 5 }),
  ...over,
});

describe('a mirror ramp pushed to a real edge filter', () => {
  it('advances the acked sampling 1 → 5 → 10 % as holds pass, and reverts to 0 % within one period of a mismatch breach', async () => {
    const clock = new Clock();
    const cp = await boot(tempDir(cleanups), clock, cleanups);
    expect(
      (await cp.api('/api/v1/policies/checkout', { method: 'PUT', body: JSON.stringify(rampSpec()) })).status,
    ).toBe(201);
    const edge = await AckingFilter.edge(cp.grpcPort, cleanups);
    const shadow = await AckingFilter.candidate(cp.grpcPort, cleanups);

    // Declared but not started: the edge mirrors nothing; the shadow's document is the policy's own.
    expect(await edge.sampling(1)).toEqual({ defaultPercent: 0, rules: [{ pathPrefix: '/refunds', percent: 0 }] });
    expect(await shadow.sampling(1)).toEqual({ defaultPercent: 100, rules: [{ pathPrefix: '/refunds', percent: 50 }] });

    const ackedVia = async (n: number) => {
      await edge.f.snapshot(n);
      await waitAcked(cp, 'edge-1/shadowguard#0', edge.version(n));
    };
    let sent = 0;
    /** Evidence for a stage: n clean pairs on GET /users/{id} (a stage never advances without it). */
    const cleanPairs = async (n: number) => {
      for (let i = 0; i < n; i++, sent++) {
        await edge.send(halfMessage(`c${sent}`, 'LIVE', 'GET', `/users/${sent}`, { name: 'Ada' }));
        await shadow.send(halfMessage(`c${sent}`, 'CANDIDATE', 'GET', `/users/${sent}`, { name: 'Ada' }));
      }
      await waitForPairs(cp, sent);
    };

    const started = await cp.json('/api/v1/policies/checkout/ramp/start', { method: 'POST' });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({
      status: 'running',
      percent: 1,
      stage: 1,
      stageStartedAt: iso(clock.t),
      nextAdvanceAt: iso(clock.t + 60_000),
    });
    expect(await edge.sampling(2)).toEqual({ defaultPercent: 1, rules: [{ pathPrefix: '/refunds', percent: 1 }] });
    await ackedVia(2);

    clock.advance(30);
    await cp.ramp.tick();
    expect((await cp.json('/api/v1/policies/checkout/ramp')).body).toMatchObject({ status: 'running', percent: 1 });
    expect(edge.count).toBe(2); // nothing changed, nothing pushed

    await cleanPairs(5);
    clock.advance(30);
    await cp.ramp.tick();
    expect(await edge.sampling(3)).toEqual({ defaultPercent: 5, rules: [{ pathPrefix: '/refunds', percent: 5 }] });
    await ackedVia(3);
    await cleanPairs(5);
    clock.advance(60);
    await cp.ramp.tick();
    expect(await edge.sampling(4)).toEqual({ defaultPercent: 10, rules: [{ pathPrefix: '/refunds', percent: 10 }] });
    await ackedVia(4);
    expect(shadow.count).toBe(1); // a ramp never touches the shadow's document

    // Stage 3 sees a regression concentrated on one endpoint; the other endpoint is clean.
    for (let i = 0; i < 6; i++) {
      await edge.send(halfMessage(`r${i}`, 'LIVE', 'POST', `/refunds/${i}`, { refunded: true, amount: 10 }));
      await shadow.send(halfMessage(`r${i}`, 'CANDIDATE', 'POST', `/refunds/${i}`, { refunded: false, amount: 10 }));
      await edge.send(halfMessage(`u${i}`, 'LIVE', 'GET', `/users/${i}`, { name: 'Ada' }));
      await shadow.send(halfMessage(`u${i}`, 'CANDIDATE', 'GET', `/users/${i}`, { name: 'Ada' }));
    }
    await waitForPairs(cp, sent + 12);

    clock.advance(10); // one evaluation period
    await cp.ramp.tick();
    expect(await edge.sampling(5)).toEqual({ defaultPercent: 0, rules: [{ pathPrefix: '/refunds', percent: 0 }] });
    await ackedVia(5);

    const reason = 'guard mismatchRate: POST /refunds/{id} 100% > 5%';
    const { body: view } = await cp.json('/api/v1/policies/checkout/ramp', { token: VIEWER });
    expect(view).toMatchObject({ status: 'reverted', percent: 0, stage: 3, nextAdvanceAt: null });
    expect(view.transitions[0]).toMatchObject({
      from: 'running',
      to: 'reverted',
      percent: 0,
      reason,
      by: 'ramp',
      at: iso(clock.t),
    });
    expect(view.transitions.map((t: { to: string; percent: number }) => `${t.to}@${t.percent}`)).toEqual([
      'reverted@0',
      'running@10',
      'running@5',
      'running@1',
    ]);
    expect(view.lastEvaluation.guards).toContainEqual({
      guard: 'mismatchRate',
      value: 100,
      limit: 5,
      status: 'fail',
      ok: false,
      detail: 'POST /refunds/{id} 100% > 5%',
    });
    const { body: alerts } = await cp.json('/api/v1/alerts?policy=checkout');
    expect(alerts.alerts[0]).toMatchObject({ policy: 'checkout', endpoint: 'POST /refunds/{id}', rate: 100, pairs: 6 });
    expect(alerts.alerts[0].message).toBe(`checkout: ramp reverted to 0% at stage 3 (10%): ${reason}`);
  });
});

describe('ramp commands over REST', () => {
  it('pauses, resumes and aborts, each audited with who did it, and refuses what the status does not allow', async () => {
    const clock = new Clock();
    const cp = await boot(tempDir(cleanups), clock, cleanups);
    await cp.api('/api/v1/policies/checkout', {
      method: 'PUT',
      body: JSON.stringify(rampSpec({ ramp: { stages: [1, 5], holdSeconds: [60, 60] } })),
    });
    await cp.api('/api/v1/policies/plain', { method: 'PUT', body: JSON.stringify({ services: ['search'] }) });
    const edge = await AckingFilter.edge(cp.grpcPort, cleanups);
    const post = (action: string, token?: string) =>
      cp.json(`/api/v1/policies/checkout/ramp/${action}`, { method: 'POST', token });

    expect(await post('start', VIEWER)).toMatchObject({ status: 403 });
    expect(await post('pause')).toEqual({
      status: 409,
      body: {
        error: 'Conflict',
        statusCode: 409,
        message: "the ramp of policy 'checkout' is idle; only a running ramp can be paused",
      },
    });
    expect((await post('start')).body).toMatchObject({ status: 'running', percent: 1 });
    expect(await edge.sampling(2)).toMatchObject({ defaultPercent: 1 });
    expect((await post('start')).status).toBe(409);

    clock.advance(20);
    expect((await post('pause')).body).toMatchObject({ status: 'paused', percent: 1, nextAdvanceAt: null });
    clock.advance(300);
    await cp.ramp.tick(); // paused: the hold does not run out
    expect((await cp.json('/api/v1/policies/checkout/ramp')).body).toMatchObject({ status: 'paused', stage: 1 });
    const resumed = await post('resume');
    expect(resumed.body).toMatchObject({
      status: 'running',
      percent: 1,
      stageStartedAt: iso(clock.t),
      nextAdvanceAt: iso(clock.t + 60_000),
    });
    expect((await post('abort')).body).toMatchObject({ status: 'aborted', percent: 0 });
    expect(await edge.sampling(3)).toMatchObject({ defaultPercent: 0 });
    expect((await post('resume')).status).toBe(409);

    const { body: audit } = await cp.json('/api/v1/audit?policy=checkout');
    expect(audit.audit.slice(0, 4).map((a: { action: string; who: string }) => `${a.action} by ${a.who}`)).toEqual([
      'ramp-abort by eddie',
      'ramp-resume by eddie',
      'ramp-pause by eddie',
      'ramp-start by eddie',
    ]);
    expect(audit.audit[0]).toMatchObject({
      fromVersion: 1,
      toVersion: 1,
      changes: [{ path: 'ramp.status', op: 'changed' }],
    });

    expect(await cp.json('/api/v1/policies/plain/ramp')).toMatchObject({
      status: 409,
      body: { message: expect.stringContaining("policy 'plain' declares no ramp") },
    });
    expect(await cp.json('/api/v1/policies/plain/ramp/start', { method: 'POST' })).toMatchObject({ status: 409 });
    expect(await cp.json('/api/v1/policies/nope/ramp')).toMatchObject({
      status: 404,
      body: { message: "policy 'nope' does not exist" },
    });

    // A ramp stored before the policy routes checked stage order (written to the store directly):
    // it is never run, and starting it says why.
    await cp.store.putPolicy('backwards', { services: ['cart'], ramp: { stages: [10, 5] } }, 'legacy');
    await cp.api('/api/v1/policies/plain', {
      method: 'PUT',
      body: JSON.stringify({ services: ['search'], description: 'reload' }),
    }); // reload the controller
    expect(await cp.json('/api/v1/policies/backwards/ramp/start', { method: 'POST' })).toMatchObject({
      status: 409,
      body: {
        message:
          "the ramp of policy 'backwards' is invalid: ramp.stages must be strictly increasing: 5 follows 10; fix the policy first",
      },
    });
    expect((await cp.json('/api/v1/policies/backwards/ramp')).body).toMatchObject({
      status: 'idle',
      percent: 0,
      problem: expect.stringContaining('strictly increasing'),
    });
  });

  it('rejects a ramp the schema forbids when the policy is written', async () => {
    const cp = await boot(tempDir(cleanups), new Clock(), cleanups);
    const put = (ramp: unknown) =>
      cp.json('/api/v1/policies/checkout', { method: 'PUT', body: JSON.stringify({ services: ['checkout'], ramp }) });
    expect((await put({ stages: [0, 5] })).status).toBe(400);
    expect((await put({ stages: [1, 101] })).status).toBe(400);
    expect((await put({ stages: [1], onBreach: 'explode' })).body.message).toMatch(
      /body\/ramp\/onBreach must be equal to one of the allowed values: pause, revert/,
    );
    expect((await put({ stages: [1], guards: { mismatchRate: 5, typo: 1 } })).body.message).toBe(
      'body/ramp/guards/typo is not an allowed field',
    );
    // What the schema cannot say, the ramp's own check says at the write, not at the start.
    expect(await put({ stages: [10, 5] })).toEqual({
      status: 400,
      body: {
        error: 'Bad Request',
        statusCode: 400,
        message: 'body/ramp/stages must be strictly increasing: 5 follows 10',
      },
    });
    expect((await put({ stages: [1, 5], holdSeconds: [60] })).body.message).toBe(
      'body/ramp/holdSeconds must have one entry per stage (2), got 1',
    );
    expect((await cp.json('/api/v1/policies/checkout')).status).toBe(404);
  });
});

describe('a ramp across a control-plane restart', () => {
  it('keeps its stage, stage timer and guard window in the SQLite file, and goes on from them', async () => {
    const dataDir = tempDir(cleanups);
    const clock = new Clock();
    const a = await boot(dataDir, clock, cleanups);
    const ramp = {
      stages: [1, 5, 10],
      holdSeconds: 60,
      evaluateEverySeconds: 10,
      guards: { shadowErrorRate: 10, minPairs: 4 },
    };
    await a.api('/api/v1/policies/checkout', { method: 'PUT', body: JSON.stringify(rampSpec({ ramp })) });
    await a.api('/api/v1/policies/checkout/ramp/start', { method: 'POST' });
    const liveA = await AckingFilter.edge(a.grpcPort, cleanups);
    const shadowA = await AckingFilter.candidate(a.grpcPort, cleanups);
    for (const id of ['c1', 'c2', 'c3', 'c4']) {
      await liveA.send(halfMessage(id, 'LIVE', 'GET', '/users/1', { ok: true }));
      await shadowA.send(halfMessage(id, 'CANDIDATE', 'GET', '/users/1', { ok: true }));
    }
    await waitForPairs(a, 4); // the first stage's evidence
    clock.advance(60);
    await a.ramp.tick();
    const before = (await a.json('/api/v1/policies/checkout/ramp')).body;
    expect(before).toMatchObject({ status: 'running', percent: 5, stage: 2, stageStartedAt: iso(clock.t) });
    // Two pairs whose candidate failed, in this stage's window, before the restart.
    for (const id of ['f1', 'f2']) {
      await liveA.send(halfMessage(id, 'LIVE', 'GET', '/users/1', { ok: true }));
      await shadowA.send(halfMessage(id, 'CANDIDATE', 'GET', '/users/1', { error: 'boom' }, 503));
    }
    await waitForPairs(a, 6);
    liveA.close();
    shadowA.close();
    await a.close();

    clock.advance(30);
    const b = await boot(dataDir, clock, cleanups);
    const after = (await b.json('/api/v1/policies/checkout/ramp')).body;
    expect(after).toMatchObject({
      status: 'running',
      percent: 5,
      stage: 2,
      stageStartedAt: before.stageStartedAt,
      nextAdvanceAt: before.nextAdvanceAt,
    });
    expect(after.transitions).toEqual(before.transitions);
    const edge = await AckingFilter.edge(b.grpcPort, cleanups);
    expect(await edge.sampling(1)).toMatchObject({ defaultPercent: 5 });

    await b.ramp.tick(); // 30 s into the 60-s hold: stays
    expect(edge.count).toBe(1);
    // The stage's window came back with it: 2 pairs seen before the restart, still short of minPairs.
    expect((await b.json('/api/v1/policies/checkout/ramp')).body.lastEvaluation.guards[0]).toEqual({
      guard: 'shadowErrorRate',
      value: null,
      limit: 10,
      status: 'inconclusive',
      ok: false,
      detail: '2 of 4 pairs needed in this stage',
    });
    clock.advance(30); // the hold, counted from the persisted stage start, has passed: still no evidence
    await b.ramp.tick();
    expect((await b.json('/api/v1/policies/checkout/ramp')).body).toMatchObject({ status: 'running', stage: 2 });
    // two more pairs: with the two 5xx kept across the restart, 2 of 4 failed
    const shadowB = await AckingFilter.candidate(b.grpcPort, cleanups);
    for (const id of ['g1', 'g2']) {
      await edge.send(halfMessage(id, 'LIVE', 'GET', '/users/1', { ok: true }));
      await shadowB.send(halfMessage(id, 'CANDIDATE', 'GET', '/users/1', { ok: true }));
    }
    await waitForPairs(b, 8);
    clock.advance(10);
    await b.ramp.tick();
    expect((await b.json('/api/v1/policies/checkout/ramp')).body).toMatchObject({
      status: 'paused',
      percent: 5,
      transitions: [{ reason: 'guard shadowErrorRate: 50% of 4 pairs answered 5xx > 10%' }, {}, {}],
    });
  });
});

/** The node registry (GET /api/v1/nodes) shows the node's Ack of this version. */
function waitAcked(cp: Booted, key: string, version: string): Promise<void> {
  return until(async () => {
    const { body } = await cp.json<{ nodes: Array<{ key: string; config: { acked?: string } }> }>('/api/v1/nodes');
    return body.nodes.some((n) => n.key === key && n.config.acked === version);
  }, `${key} to ack ${version}`);
}
