import { afterEach, describe, expect, it } from 'vitest';
import { EDITOR, spec, testApp, VIEWER, type TestApp } from './helpers.js';

let t: TestApp;
afterEach(async () => {
  await t?.app.close();
  await t?.store.close();
});

const put = (name: string, body: unknown, headers: Record<string, string> = {}) =>
  t.as(EDITOR, { method: 'PUT', url: `/api/v1/policies/${name}`, payload: body as object, headers });
const rollback = (name: string, version: number) =>
  t.as(EDITOR, { method: 'POST', url: `/api/v1/policies/${name}/rollback`, payload: { version } });

describe('policy routes', () => {
  it('creates a policy with 201, reads it back with its version as ETag, and lists it', async () => {
    t = await testApp();
    const created = await put('checkout', spec());
    expect(created.statusCode).toBe(201);
    expect(created.headers.location).toBe('/api/v1/policies/checkout');
    expect(created.json()).toMatchObject({ name: 'checkout', version: 1, updatedBy: 'eddie', spec: spec() });

    const got = await t.as(VIEWER, { url: '/api/v1/policies/checkout' });
    expect(got.statusCode).toBe(200);
    expect(got.headers.etag).toBe('"1"');
    expect(got.json().spec).toEqual(spec());

    const list = await t.as(VIEWER, { url: '/api/v1/policies' });
    expect(list.json().policies.map((p: { name: string }) => p.name)).toEqual(['checkout']);
    expect(t.policyChanges()).toBe(1);
  });

  it('stores the spec exactly as sent: no schema defaults are filled in', async () => {
    t = await testApp();
    await put('p', { services: ['a'], egress: { rules: [] } });
    const got = await t.as(VIEWER, { url: '/api/v1/policies/p' });
    expect(got.json().spec).toEqual({ services: ['a'], egress: { rules: [] } });
  });

  it('an update makes version 2; an identical PUT is a no-op that makes no version', async () => {
    t = await testApp();
    await put('checkout', spec());
    const updated = await put('checkout', spec({ sampling: { defaultPercent: 10 } }));
    expect(updated.statusCode).toBe(200);
    expect(updated.json().version).toBe(2);
    const again = await put('checkout', spec({ sampling: { defaultPercent: 10 } }));
    expect(again.statusCode).toBe(200);
    expect(again.json().version).toBe(2);
    expect(t.policyChanges()).toBe(2);
  });

  it('history lists every version with the paths changed and the audit trail', async () => {
    t = await testApp();
    await put('checkout', spec());
    await put('checkout', spec({ sampling: { defaultPercent: 10 }, description: 'ten percent' }));
    const h = await t.as(VIEWER, { url: '/api/v1/policies/checkout/history' });
    expect(h.statusCode).toBe(200);
    const body = h.json();
    expect(body).toMatchObject({ name: 'checkout', version: 2, deleted: false });
    expect(body.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    expect(body.versions[1].changes).toEqual([
      { path: 'description', op: 'added' },
      { path: 'sampling.defaultPercent', op: 'changed' },
    ]);
    expect(body.audit.map((a: { action: string }) => a.action)).toEqual(['create', 'update']);
    expect(body.audit[1]).toMatchObject({ who: 'eddie', fromVersion: 1, toVersion: 2 });
    expect(body.audit[0].changes).toContainEqual({ path: 'services', op: 'added' });
  });

  it('delete leaves a tombstone: 204, then 404 on read, history kept, a second delete is 404', async () => {
    t = await testApp();
    await put('checkout', spec());
    const del = await t.as(EDITOR, { method: 'DELETE', url: '/api/v1/policies/checkout' });
    expect(del.statusCode).toBe(204);
    expect((await t.as(VIEWER, { url: '/api/v1/policies/checkout' })).statusCode).toBe(404);
    expect((await t.as(VIEWER, { url: '/api/v1/policies' })).json().policies).toEqual([]);
    const h = (await t.as(VIEWER, { url: '/api/v1/policies/checkout/history' })).json();
    expect(h).toMatchObject({ version: 2, deleted: true });
    expect(h.versions[1]).toMatchObject({ version: 2, deleted: true });
    expect(h.versions[1].spec).toBeUndefined();
    expect(h.audit[1].action).toBe('delete');
    const again = await t.as(EDITOR, { method: 'DELETE', url: '/api/v1/policies/checkout' });
    expect(again.statusCode).toBe(404);
    expect(again.json().message).toBe("policy 'checkout' does not exist");
  });

  it('rollback appends a new version equal to the old spec, audited, and restores a deleted policy', async () => {
    t = await testApp();
    await put('checkout', spec());
    await put('checkout', spec({ sampling: { defaultPercent: 50 } }));
    const rb = await rollback('checkout', 1);
    expect(rb.statusCode).toBe(200);
    expect(rb.json()).toMatchObject({ version: 3, spec: spec() });

    await t.as(EDITOR, { method: 'DELETE', url: '/api/v1/policies/checkout' });
    const restore = await rollback('checkout', 2);
    expect(restore.json()).toMatchObject({ version: 5, spec: spec({ sampling: { defaultPercent: 50 } }) });
    const audit = (await t.as(VIEWER, { url: '/api/v1/audit?policy=checkout' })).json().audit;
    expect(audit.map((a: { action: string }) => a.action)).toEqual([
      'rollback',
      'delete',
      'rollback',
      'update',
      'create',
    ]);
    expect(audit[2]).toMatchObject({
      fromVersion: 2,
      toVersion: 3,
      changes: [{ path: 'sampling.defaultPercent', op: 'changed' }],
    });
  });

  it('rollback to a missing version is 404 and to a tombstone is 409, both named', async () => {
    t = await testApp();
    await put('checkout', spec());
    await t.as(EDITOR, { method: 'DELETE', url: '/api/v1/policies/checkout' });
    const missing = await rollback('checkout', 9);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().message).toBe("policy 'checkout' has no version 9");
    const tomb = await rollback('checkout', 2);
    expect(tomb.statusCode).toBe(409);
    expect(tomb.json().message).toMatch(/version 2 .* is a deletion/);
    const never = await rollback('nope', 1);
    expect(never.statusCode).toBe(404);
  });

  it('refuses a ramp the control plane could not run with 400 naming the field, and writes nothing', async () => {
    t = await testApp();
    const ramp = (r: Record<string, unknown>) => spec({ ramp: { stages: [1, 5, 10, 25, 50, 100], ...r } as never });
    const backwards = await put('checkout', ramp({ stages: [1, 5, 5] }));
    expect(backwards.statusCode).toBe(400);
    expect(backwards.json()).toEqual({
      error: 'Bad Request',
      statusCode: 400,
      message: 'body/ramp/stages must be strictly increasing: 5 follows 5',
    });
    const holds = await put('checkout', ramp({ holdSeconds: [60, 60, 60] }));
    expect(holds.statusCode).toBe(400);
    expect(holds.json().message).toBe('body/ramp/holdSeconds must have one entry per stage (6), got 3');
    expect((await t.as(VIEWER, { url: '/api/v1/policies/checkout' })).statusCode).toBe(404);
    expect(t.policyChanges()).toBe(0);

    // Well-formed ramps pass: one hold for all stages, or one per stage.
    expect((await put('checkout', ramp({ holdSeconds: 30 }))).statusCode).toBe(201);
    expect((await put('checkout', ramp({ holdSeconds: [1, 2, 3, 4, 5, 6] }))).statusCode).toBe(200);
    const update = await put('checkout', ramp({ stages: [50, 10] }));
    expect(update.json().message).toBe('body/ramp/stages must be strictly increasing: 10 follows 50');
    expect((await t.as(VIEWER, { url: '/api/v1/policies/checkout' })).json().version).toBe(2);
  });

  it('refuses a rollback to a version whose ramp could not run (400), naming the version and field', async () => {
    t = await testApp();
    // Written before the routes checked ramps (straight to the store), then fixed.
    await t.store.putPolicy('checkout', spec({ ramp: { stages: [10, 5] } }), 'legacy');
    await put('checkout', spec({ ramp: { stages: [5, 10] } }));
    const rb = await rollback('checkout', 1);
    expect(rb.statusCode).toBe(400);
    expect(rb.json().message).toBe('version 1: spec/ramp/stages must be strictly increasing: 5 follows 10');
    expect((await t.as(VIEWER, { url: '/api/v1/policies/checkout' })).json()).toMatchObject({
      version: 2,
      spec: { ramp: { stages: [5, 10] } },
    });
  });

  it('If-Match makes writes conditional on the version read (412 when it moved on)', async () => {
    t = await testApp();
    await put('checkout', spec());
    const ok = await put('checkout', spec({ description: 'a' }), { 'if-match': '"1"' });
    expect(ok.statusCode).toBe(200);
    const stale = await put('checkout', spec({ description: 'b' }), { 'if-match': '"1"' });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().message).toBe("policy 'checkout' is at version 2, not 1; reload and retry");
    const bad = await put('checkout', spec(), { 'if-match': 'yesterday' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/^headers\/if-match/);
    const createOnly = await put('checkout', spec(), { 'if-none-match': '*' });
    expect(createOnly.statusCode).toBe(412);
    const del = await t.as(EDITOR, {
      method: 'DELETE',
      url: '/api/v1/policies/checkout',
      headers: { 'if-match': '"1"' },
    });
    expect(del.statusCode).toBe(412);
  });

  it('refuses a second policy covering a service already covered (409)', async () => {
    t = await testApp();
    await put('a', spec({ services: ['checkout', 'cart'] }));
    const clash = await put('b', spec({ services: ['search', 'cart'] }));
    expect(clash.statusCode).toBe(409);
    expect(clash.json()).toEqual({
      error: 'Conflict',
      statusCode: 409,
      message: "service 'cart' is already covered by policy 'a'; a service belongs to one policy",
    });
    await t.as(EDITOR, { method: 'DELETE', url: '/api/v1/policies/a' });
    expect((await put('b', spec({ services: ['search', 'cart'] }))).statusCode).toBe(201);
  });

  it('a failing snapshot-cache notification does not undo or fail the write', async () => {
    t = await testApp({
      onPolicyChange: () => {
        throw new Error('cache down');
      },
    });
    expect((await put('checkout', spec())).statusCode).toBe(201);
    expect((await t.as(VIEWER, { url: '/api/v1/policies/checkout' })).statusCode).toBe(200);
  });

  it('unknown policy and history are 404 with a message naming the policy', async () => {
    t = await testApp();
    const r = await t.as(VIEWER, { url: '/api/v1/policies/ghost' });
    expect(r.json()).toEqual({ error: 'Not Found', message: "policy 'ghost' does not exist", statusCode: 404 });
    expect((await t.as(VIEWER, { url: '/api/v1/policies/ghost/history' })).statusCode).toBe(404);
  });
});
