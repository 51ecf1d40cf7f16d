// Issue 14, finding 7: an editor could point alerts.webhook at a link-local or metadata address and
// have the control plane call it from inside the cluster. Now: https by default, loopback, link-local
// and metadata refused unless configured, host allow/deny lists; checked at write and at delivery,
// on every address DNS returns.
import { afterEach, describe, expect, it } from 'vitest';
import { guardedLookup, urlProblem, DEFAULT_TARGET_RULES } from '../../control-plane/src/webhook/target.js';
import { policy, startControlPlane, type TestControlPlane } from './support.js';

let t: TestControlPlane | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('webhook targets (default rules)', () => {
  it.each([
    ['http://169.254.169.254/latest/meta-data/', /must use https/],
    ['https://169.254.169.254/latest/meta-data/', /link-local or cloud metadata/],
    ['https://[fd00:ec2::254]/latest', /link-local or cloud metadata/],
    ['https://[::ffff:169.254.169.254]/', /link-local or cloud metadata/],
    ['https://127.0.0.1:9000/hook', /loopback/],
    ['https://localhost/hook', /loopback/],
    ['https://[::1]/hook', /loopback/],
    ['https://0.0.0.0/hook', /unspecified/],
    ['http://hooks.example.com/x', /must use https/],
  ])('PUT with alerts.webhook %s is a 400 naming the field', async (url, why) => {
    t ??= await startControlPlane();
    const r = await t.api('PUT', '/api/v1/policies/checkout', { body: policy({ webhook: url }) });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/alerts\/webhook/);
    expect(r.body.message).toMatch(why);
    expect(r.body.message).not.toContain('meta-data'); // the URL's path is not echoed
  });

  it('accepts a public https URL', async () => {
    t = await startControlPlane();
    const r = await t.api('PUT', '/api/v1/policies/checkout', {
      body: policy({ webhook: 'https://hooks.example.com/x' }),
    });
    expect(r.status).toBe(201);
  });

  it('refuses at connect time a name that resolves to loopback (no rebinding between check and call)', async () => {
    const err = await new Promise<Error | null>((resolve) =>
      guardedLookup(DEFAULT_TARGET_RULES)('localhost', {}, (e) => resolve(e)),
    );
    expect(err?.message).toMatch(/loopback/);
  });
});

describe('webhook targets (configured)', () => {
  it('allows http and loopback only when configured, and honours allow and deny lists', async () => {
    const rules = { ...DEFAULT_TARGET_RULES, allowHttp: true, allowLoopback: true, denyHosts: ['*.internal.example'] };
    expect(urlProblem('http://127.0.0.1:8080/hook', rules)).toBeUndefined();
    expect(urlProblem('https://a.internal.example/hook', rules)).toMatch(/deny list/);
    expect(urlProblem('http://169.254.169.254/', rules)).toMatch(/link-local/); // still refused
    const only = { ...DEFAULT_TARGET_RULES, allowHosts: ['hooks.slack.com'] };
    expect(urlProblem('https://hooks.slack.com/services/T/B/x', only)).toBeUndefined();
    expect(urlProblem('https://evil.example/x', only)).toMatch(/not on the webhook allow list/);

    t = await startControlPlane({
      webhook: {
        ...(await import('../../control-plane/src/config.js')).DEFAULTS.webhook,
        allowHttp: true,
        allowLoopback: true,
      },
    });
    const ok = await t.api('PUT', '/api/v1/policies/checkout', {
      body: policy({ webhook: 'http://127.0.0.1:9/hook' }),
    });
    expect(ok.status).toBe(201);
    const meta = await t.api('PUT', '/api/v1/policies/checkout', {
      body: policy({ webhook: 'http://169.254.169.254/' }),
    });
    expect(meta.status).toBe(400);
  });
});
