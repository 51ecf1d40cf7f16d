// Validation a user can trust (issue 10): every problem of a policy in one answer, malformed endpoint
// templates and JSON paths refused with the reason, 405 with Allow, 415 saying what to send.
import { afterEach, describe, expect, it } from 'vitest';
import { EDITOR, spec, testApp, type TestApp } from './helpers.js';

let t: TestApp;
afterEach(async () => {
  await t?.app.close();
  await t?.store.close();
});
const put = (body: unknown) =>
  t.as(EDITOR, {
    method: 'PUT',
    url: '/api/v1/policies/p',
    payload: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });

describe('validation a user can trust', () => {
  it('reports every schema error of a policy at once, not the first', async () => {
    t = await testApp();
    const r = await put({ ...spec(), samplng: 1, sampling: { defaultPercent: 101 }, alerts: { minPairs: 0 } });
    expect(r.statusCode).toBe(400);
    expect(r.json().message.split('; ').sort()).toEqual([
      'body/alerts/minPairs must be >= 1',
      'body/sampling/defaultPercent must be <= 100',
      'body/samplng is not an allowed field',
    ]);
  });

  it('refuses malformed endpoint templates and ignore/redact paths, naming each', async () => {
    t = await testApp();
    const r = await put({
      ...spec(),
      endpoints: ['POST /refunds/{id}', '/a/{id/b', '/files/**/x', 'GET /x?y=1', '/*x'],
      normalize: { ignorePaths: ['a..b', 'items[0].id', 'ok.**'], redactPaths: ['body.card'] },
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().message.split('; ')).toEqual([
      "body/endpoints/1 is not an endpoint template: '/a/{id/b': a parameter is a whole segment '{name}', got '{id'",
      "body/endpoints/2 is not an endpoint template: '/files/**/x': '**' may only be the last segment",
      "body/endpoints/3 is not an endpoint template: 'GET /x?y=1': a template has no query string",
      "body/endpoints/4 is not an endpoint template: '/*x': '*' must be a whole segment, got '*x'",
      "body/normalize/ignorePaths/0 is not a JSON path: 'a..b': empty segment (a leading, trailing or double '.')",
      "body/normalize/ignorePaths/1 is not a JSON path: 'items[0].id': array indices are omitted ('items.*.id', not 'items[0].id')",
      "body/normalize/redactPaths/0 is not a JSON path: 'body.card': write the path inside the body, without 'body.' ('a.b')",
    ]);
    expect((await t.as(EDITOR, { url: '/api/v1/policies/p' })).statusCode).toBe(404); // nothing stored
    // what the schema itself refuses comes first, all of it
    const schema = await put({ ...spec(), endpoints: ['users/{id}', 'get /x'] });
    expect(schema.json().message).toBe(
      'body/endpoints/0 must match pattern "^([A-Z]+ )?/"; body/endpoints/1 must match pattern "^([A-Z]+ )?/"',
    );
  });

  it('answers 405 with Allow for a wrong method, and 415 saying to send JSON', async () => {
    t = await testApp();
    const r = await t.as(EDITOR, { method: 'DELETE', url: '/api/v1/alerts' });
    expect(r.statusCode).toBe(405);
    expect(r.headers.allow).toBe('GET');
    expect(r.json()).toEqual({
      error: 'Method Not Allowed',
      statusCode: 405,
      message: 'DELETE is not allowed on /api/v1/alerts; allowed: GET',
    });
    const p = await t.as(EDITOR, { method: 'POST', url: '/api/v1/policies/p' });
    expect(p.statusCode).toBe(405);
    expect(p.headers.allow).toBe('DELETE, GET, PATCH, PUT');
    expect((await t.as(EDITOR, { url: '/api/v1/nope' })).statusCode).toBe(404);

    const plain = await t.as(EDITOR, {
      method: 'PUT',
      url: '/api/v1/policies/p',
      payload: 'services: [a]',
      headers: { 'content-type': 'text/yaml' },
    });
    expect(plain.statusCode).toBe(415);
    expect(plain.json().message).toBe("send the body as JSON with 'content-type: application/json' (got 'text/yaml')");
  });
});
