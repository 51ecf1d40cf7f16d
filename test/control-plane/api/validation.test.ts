import { afterEach, describe, expect, it } from 'vitest';
import { EDITOR, spec, testApp, type TestApp } from './helpers.js';

let t: TestApp;
afterEach(async () => {
  await t?.app.close();
  await t?.store.close();
});

async function putRaw(name: string, payload: string, contentType = 'application/json') {
  return t.as(EDITOR, {
    method: 'PUT',
    url: `/api/v1/policies/${name}`,
    payload,
    headers: { 'content-type': contentType },
  });
}
const putJson = (name: string, body: unknown) => putRaw(name, JSON.stringify(body));

describe('request validation', () => {
  it('names the field and the allowed values of a bad enum deep in the body', async () => {
    t = await testApp();
    const r = await putJson('p', spec({ egress: { rules: [{ name: 'r', action: 'maybe' as never }] } }));
    expect(r.statusCode).toBe(400);
    expect(r.json()).toEqual({
      error: 'Bad Request',
      statusCode: 400,
      message: 'body/egress/rules/0/action must be equal to one of the allowed values: allow, mock, deny',
    });
  });

  it('rejects an unknown field instead of dropping it', async () => {
    t = await testApp();
    const r = await putJson('p', { ...spec(), samplng: { defaultPercent: 5 } });
    expect(r.statusCode).toBe(400);
    expect(r.json().message).toBe('body/samplng is not an allowed field');
    const nested = await putJson('p', spec({ sampling: { defaultPercent: 5, rate: 1 } as never }));
    expect(nested.json().message).toBe('body/sampling/rate is not an allowed field');
  });

  it('rejects a wrong type without coercing it', async () => {
    t = await testApp();
    const r = await putJson('p', spec({ sampling: { defaultPercent: '5' as never } }));
    expect(r.json().message).toBe('body/sampling/defaultPercent must be number');
    const range = await putJson('p', spec({ sampling: { defaultPercent: 101 } }));
    expect(range.json().message).toBe('body/sampling/defaultPercent must be <= 100');
  });

  it('validates the filter-config parts with the filter configuration schema (rateLimit definition)', async () => {
    t = await testApp();
    const r = await putJson('p', spec({ inboundRateLimit: { requestsPerSecond: 0 } }));
    expect(r.statusCode).toBe(400);
    expect(r.json().message).toBe('body/inboundRateLimit/requestsPerSecond must be > 0');
  });

  it('names a missing required field', async () => {
    t = await testApp();
    const r = await putJson('p', { sampling: { defaultPercent: 1 } });
    expect(r.json().message).toBe('body/services is required');
  });

  it('rejects a policy name outside ^[a-z0-9][a-z0-9-]{0,62}$', async () => {
    t = await testApp();
    const r = await putJson('Bad_Name', spec());
    expect(r.statusCode).toBe(400);
    expect(r.json().message).toMatch(/^params\/name must match pattern/);
    expect((await putJson('a'.repeat(64), spec())).statusCode).toBe(400);
    expect((await putJson('a'.repeat(63), spec())).statusCode).toBe(201);
  });

  it('says where invalid JSON broke', async () => {
    t = await testApp();
    const r = await putRaw('p', '{"services": ["a"],');
    expect(r.statusCode).toBe(400);
    expect(r.json().message).toMatch(/^body is not valid JSON: /);
    const empty = await putRaw('p', '');
    expect(empty.json().message).toBe('body is empty but content-type is application/json');
  });

  it("refuses '__proto__' keys", async () => {
    t = await testApp();
    const r = await putRaw('p', '{"services":["a"],"__proto__":{"polluted":true}}');
    expect(r.statusCode).toBe(400);
    expect(r.json().message).toMatch(/__proto__/);
  });

  it('answers a body above the limit with 413 naming the limit', async () => {
    t = await testApp({}, { bodyLimit: 4096 });
    const huge = spec({ description: 'x'.repeat(2000), endpoints: Array.from({ length: 400 }, (_, i) => `/e${i}`) });
    expect(JSON.stringify(huge).length).toBeGreaterThan(4096);
    const r = await putJson('p', huge);
    expect(r.statusCode).toBe(413);
    expect(r.json()).toEqual({
      error: 'Payload Too Large',
      statusCode: 413,
      message: 'request body is larger than the limit of 4096 bytes',
    });
  });

  it('answers the default 1 MiB limit with 413 too', async () => {
    t = await testApp();
    const r = await putRaw('p', JSON.stringify({ services: ['a'], description: 'x'.repeat(1024 * 1024 + 1) }));
    expect(r.statusCode).toBe(413);
  });

  it('refuses a body that is not JSON with 415', async () => {
    t = await testApp();
    const r = await putRaw('p', 'services: [a]', 'text/yaml');
    expect(r.statusCode).toBe(415);
    expect(r.json().error).toBe('Unsupported Media Type');
  });

  it('validates the rollback body', async () => {
    t = await testApp();
    const r = await t.as(EDITOR, { method: 'POST', url: '/api/v1/policies/p/rollback', payload: { version: 'one' } });
    expect(r.json().message).toBe('body/version must be integer');
  });

  it('answers a malformed percent-encoding in the path with the same JSON 400', async () => {
    t = await testApp();
    const r = await t.as(EDITOR, { url: '/api/v1/reports/checkout/endpoints/%E0%A4%A' });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toEqual({
      error: 'Bad Request',
      statusCode: 400,
      message: expect.stringContaining('is not a valid url component'),
    });
  });

  it('answers an unknown route with a JSON 404', async () => {
    t = await testApp();
    const r = await t.as(EDITOR, { url: '/api/v1/nothing?x=1' });
    expect(r.json()).toEqual({ error: 'Not Found', statusCode: 404, message: 'no route GET /api/v1/nothing' });
  });

  it('hides the detail of an internal error', async () => {
    t = await testApp({
      nodes: {
        list: () => {
          throw new Error('secret /var/lib detail');
        },
      },
    });
    const r = await t.as(EDITOR, { url: '/api/v1/nodes' });
    expect(r.statusCode).toBe(500);
    expect(r.json().error).toBe('Internal Server Error');
    expect(r.body).not.toMatch(/secret/);
  });
});
