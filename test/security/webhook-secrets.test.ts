// Issue 14, finding 12: webhook URLs are secrets (Slack and Teams put the credential in the path).
// Viewers read them redacted, a URL with credentials is refused (the signing secret replaces them),
// and a failing delivery logs neither the path nor the query.
import { afterEach, expect, it } from 'vitest';
import { DEFAULTS } from '../../control-plane/src/config.js';
import { EDITOR, policy, receiver, startControlPlane, VIEWER, type TestControlPlane } from './support.js';

let t: TestControlPlane | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const SECRET_URL = 'https://hooks.example.com/services/T000/B000/s3cr3t-path-token?key=q5ery-secret';

it('viewers read the webhook cut to its origin; editors read it whole', async () => {
  t = await startControlPlane();
  expect((await t.api('PUT', '/api/v1/policies/checkout', { body: policy({ webhook: SECRET_URL }) })).status).toBe(201);
  for (const p of ['/api/v1/policies/checkout', '/api/v1/policies', '/api/v1/policies/checkout/history']) {
    const asViewer = await t.api('GET', p, { token: VIEWER });
    expect(asViewer.status).toBe(200);
    const text = JSON.stringify(asViewer.body);
    expect(text).not.toContain('s3cr3t');
    expect(text).not.toContain('q5ery');
    expect(text).toContain('https://hooks.example.com/(redacted: visible to editors)');
    expect(JSON.stringify((await t.api('GET', p, { token: EDITOR })).body)).toContain(SECRET_URL);
  }
});

it('a webhook URL with user:password@ is refused at write, without echoing it', async () => {
  t = await startControlPlane();
  const r = await t.api('PUT', '/api/v1/policies/checkout', {
    body: policy({ webhook: 'https://alice:hunter2-pass@hooks.example.com/x' }),
  });
  expect(r.status).toBe(400);
  expect(r.body.message).toMatch(/alerts\/webhook must not carry credentials/);
  expect(r.body.message).not.toContain('hunter2');
});

it('a failing delivery logs neither the webhook path nor its query', async () => {
  const hook = await receiver([500]);
  t = await startControlPlane({
    webhook: { ...DEFAULTS.webhook, allowHttp: true, allowLoopback: true, attempts: 2, backoffMs: 1 },
  });
  try {
    const url = `${hook.url}/services/s3cr3t-path-token?key=q5ery-secret`;
    expect((await t.api('PUT', '/api/v1/policies/checkout', { body: policy({ webhook: url }) })).status).toBe(201);
    // The alert sink as main.ts builds it, over the running control plane's store, with its own log.
    const { AlertSink } = await import('../../control-plane/src/alerts.js');
    const { pino } = await import('pino');
    const logs: string[] = [];
    const sink = new AlertSink({
      store: t.cp.store,
      logger: pino({ level: 'info' }, { write: (l: string) => logs.push(l) }),
      webhook: { rules: { allowHttp: true, allowLoopback: true }, attempts: 2, backoffMs: 1 },
    });
    await sink.raise({ at: 1, policy: 'checkout', endpoint: 'GET /x', rate: 50, pairs: 2, message: 'm' }, url);
    await sink.drain();
    expect(hook.received).toHaveLength(2);
    expect(logs.join('\n')).toMatch(/alert webhook failed/);
    expect(logs.join('\n')).not.toMatch(/s3cr3t|q5ery/);
    expect(t.logs.join('\n')).not.toMatch(/s3cr3t|q5ery/); // nor did the API's request log
  } finally {
    await hook.close();
  }
});
