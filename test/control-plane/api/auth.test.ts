import { afterEach, describe, expect, it } from 'vitest';
import { EDITOR, spec, testApp, VIEWER, type TestApp } from './helpers.js';

let t: TestApp;
afterEach(async () => {
  await t?.app.close();
  await t?.store.close();
});

describe('authentication and roles', () => {
  it('rejects a request without a token with 401 and a Bearer challenge', async () => {
    t = await testApp();
    const r = await t.as(undefined, { url: '/api/v1/policies' });
    expect(r.statusCode).toBe(401);
    expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(r.json()).toMatchObject({ error: 'Unauthorized', statusCode: 401 });
  });

  it('rejects an unknown token and a malformed header with 401', async () => {
    t = await testApp();
    expect((await t.as('wrong', { url: '/api/v1/policies' })).json().message).toBe('unknown bearer token');
    const basic = await t.app.inject({ url: '/api/v1/policies', headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(basic.statusCode).toBe(401);
  });

  it('lets a viewer read but not write (403 on PUT, DELETE and rollback)', async () => {
    t = await testApp();
    expect((await t.as(VIEWER, { url: '/api/v1/policies' })).statusCode).toBe(200);
    const put = await t.as(VIEWER, { method: 'PUT', url: '/api/v1/policies/p', payload: spec() });
    expect(put.statusCode).toBe(403);
    expect(put.json().message).toBe("this operation needs the editor role; token 'vera' is a viewer");
    expect((await t.as(VIEWER, { method: 'DELETE', url: '/api/v1/policies/p' })).statusCode).toBe(403);
    expect(
      (await t.as(VIEWER, { method: 'POST', url: '/api/v1/policies/p/rollback', payload: { version: 1 } })).statusCode,
    ).toBe(403);
    expect(await t.store.getPolicy('p')).toBeUndefined();
  });

  it('checks the token before validating the body', async () => {
    t = await testApp();
    const r = await t.as(undefined, { method: 'PUT', url: '/api/v1/policies/p', payload: { bogus: 1 } });
    expect(r.statusCode).toBe(401);
  });

  it('lets an editor write and records the token name as who', async () => {
    t = await testApp();
    await t.as(EDITOR, { method: 'PUT', url: '/api/v1/policies/p', payload: spec() });
    expect((await t.store.listAudit())[0].who).toBe('eddie');
  });

  it('keeps /healthz open and /metrics behind the viewer role', async () => {
    t = await testApp();
    expect((await t.as(undefined, { url: '/healthz' })).json()).toMatchObject({ status: 'ok' });
    expect((await t.as(undefined, { url: '/metrics' })).statusCode).toBe(401);
    expect((await t.as(VIEWER, { url: '/metrics' })).statusCode).toBe(200);
  });

  it('with auth disabled (loopback dev mode) lets anyone read and write', async () => {
    t = await testApp({}, { auth: { disabled: true } });
    const r = await t.as(undefined, { method: 'PUT', url: '/api/v1/policies/p', payload: spec() });
    expect(r.statusCode).toBe(201);
    expect(r.json().updatedBy).toBe('anonymous (auth disabled)');
  });
});
