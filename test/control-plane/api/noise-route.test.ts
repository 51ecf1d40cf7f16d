// Defects found in review of the REST API: a "mark as noise" that stores a policy its own schema
// refuses (so the next GET → PUT round trip of that policy fails).
import { afterEach, describe, expect, it } from 'vitest';
import { EDITOR, spec, testApp, type TestApp } from './helpers.js';

let t: TestApp;
afterEach(async () => {
  await t?.app.close();
  await t?.store.close();
});

describe('POST /policies/{name}/noise', () => {
  it('refuses a header rule longer than normalize.ignoreHeaders allows, and stores nothing', async () => {
    t = await testApp();
    expect((await t.as(EDITOR, { method: 'PUT', url: '/api/v1/policies/p', payload: spec() })).statusCode).toBe(201);
    const r = await t.as(EDITOR, {
      method: 'POST',
      url: '/api/v1/policies/p/noise',
      payload: { path: `headers.x-${'a'.repeat(300)}` },
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().message).toMatch(/^body\/path/);
    expect((await t.store.getPolicy('p'))?.version).toBe(1);
  });

  it('whatever it stores can be written back with PUT (the schema accepts it)', async () => {
    t = await testApp();
    await t.as(EDITOR, { method: 'PUT', url: '/api/v1/policies/p', payload: spec() });
    const r = await t.as(EDITOR, {
      method: 'POST',
      url: '/api/v1/policies/p/noise',
      payload: { path: `headers.x-${'a'.repeat(254)}` },
    }); // 256 characters: the limit
    expect(r.statusCode).toBe(200);
    const stored = (await t.store.getPolicy('p'))!;
    const back = await t.as(EDITOR, { method: 'PUT', url: '/api/v1/policies/p', payload: stored.spec });
    expect(back.statusCode).toBe(200);
  });
});
