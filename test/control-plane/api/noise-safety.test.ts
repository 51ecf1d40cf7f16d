// Safe noise marking through a real control plane: a scope (one endpoint or the policy), a preview of
// what it would silence, a refusal without confirmation when a silenced field is a regression, and an
// undo in one call.
import { afterEach, describe, expect, it } from 'vitest';
import { AckingFilter, boot, Clock, halfMessage, tempDir, until } from '../ramp/fixtures.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const REFUNDS = 'POST /refunds/{id}';
const USERS = 'GET /users/{id}';

describe('marking a field as noise', () => {
  it('refuses a regression field without confirmation (with the preview), applies it at the chosen scope, and undoes it in one call', async () => {
    const cp = await boot(tempDir(cleanups), new Clock(), cleanups);
    await cp.api('/api/v1/policies/checkout', {
      method: 'PUT',
      body: JSON.stringify({ services: ['checkout'], endpoints: [REFUNDS, 'GET /users/{id}'] }),
    });
    const edge = await AckingFilter.edge(cp.grpcPort, cleanups);
    const shadow = await AckingFilter.candidate(cp.grpcPort, cleanups);
    for (let i = 0; i < 4; i++) {
      for (const [m, p] of [
        ['POST', `/refunds/${i}`],
        ['GET', `/users/${i}`],
      ]) {
        await edge.send(halfMessage(`${m}${i}`, 'LIVE', m, p, { ok: true, name: 'Ada' }));
        await shadow.send(halfMessage(`${m}${i}`, 'CANDIDATE', m, p, { ok: false, name: 'Ada' }));
      }
    }
    const rate = async (endpoint: string) =>
      (await cp.json('/api/v1/reports/checkout')).body.endpoints.find(
        (e: { endpoint: string }) => e.endpoint === endpoint,
      )?.mismatchRate;
    await until(async () => (await rate(USERS)) === 100 && (await rate(REFUNDS)) === 100, 'both endpoints regressing');
    const mark = (body: object) =>
      cp.json('/api/v1/policies/checkout/noise', { method: 'POST', body: JSON.stringify(body) });
    const preview = [
      {
        endpoint: REFUNDS,
        fields: [{ path: 'body.ok', verdict: 'regression' }],
        mismatchRateBefore: 100,
        mismatchRateAfter: 0,
        verdictBefore: 'critical',
        verdictAfter: 'passing',
      },
    ];

    const refused = await mark({ path: 'body.ok', scope: 'endpoint', endpoint: REFUNDS });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toBe(
      "'body.ok' has a regression verdict on POST /refunds/{id}: marking it as noise would hide a regression; check the preview and send confirm: true to mark it anyway",
    );
    expect(refused.body.preview).toEqual(preview);
    expect((await cp.json('/api/v1/policies/checkout')).body.version).toBe(1); // nothing written

    const dry = await mark({ path: 'body.ok', scope: 'endpoint', endpoint: REFUNDS, dryRun: true });
    expect(dry.body).toMatchObject({ changed: false, preview });
    expect((await mark({ path: 'body.ok', scope: 'endpoint' })).status).toBe(400); // which endpoint?

    const done = await mark({ path: 'body.ok', scope: 'endpoint', endpoint: REFUNDS, confirm: true });
    expect(done).toMatchObject({
      status: 200,
      body: {
        changed: true,
        scope: 'endpoint',
        endpoint: REFUNDS,
        list: 'ignorePaths',
        rule: 'ok',
        preview,
        undo: { method: 'POST', path: '/api/v1/policies/checkout/rollback', body: { version: 1 } },
        policy: { version: 2, spec: { normalize: { ignoreByEndpoint: { [REFUNDS]: { ignorePaths: ['ok'] } } } } },
      },
    });
    expect(await rate(REFUNDS)).toBe(0); // silenced for this endpoint…
    expect(await rate(USERS)).toBe(100); // …and only for it
    const { body: detail } = await cp.json(`/api/v1/reports/checkout/endpoints/${encodeURIComponent(REFUNDS)}`);
    expect(detail.report.fields.find((f: { path: string }) => f.path === 'body.ok').verdict).toBe('ignored');

    const { undo } = done.body;
    const undone = await cp.json(undo.path, { method: undo.method, body: JSON.stringify(undo.body) });
    expect(undone).toMatchObject({ status: 200, body: { version: 3 } });
    expect(undone.body.spec.normalize?.ignoreByEndpoint).toBeUndefined();
    expect(await rate(REFUNDS)).toBe(100);

    // The whole policy: the preview names both endpoints
    const all = await mark({ path: 'body.ok', confirm: true });
    expect(all.body.preview.map((e: { endpoint: string }) => e.endpoint)).toEqual([USERS, REFUNDS]);
    expect([await rate(USERS), await rate(REFUNDS)]).toEqual([0, 0]);
  });
});
