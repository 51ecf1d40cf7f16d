import { describe, expect, it } from 'vitest';
import { comparePair } from '../../../control-plane/src/compare/index.js';
import type { PolicySpec } from '../../../control-plane/src/domain/types.js';
import { ReportBook } from '../../../control-plane/src/reports/aggregate.js';
import { orderBody, pairOf } from '../../fixtures/halves.js';

const SECRETS = [
  'Bearer sk_live_SECRET1',
  'session=SECRET2',
  'SECRET3',
  'proxy SECRET4',
  'SECRET5',
  'ada-SECRET6@example.com',
  '4111111111SECRET7',
  'pw-SECRET8',
  'SECRET9',
];

const spec: PolicySpec = {
  services: ['orders'],
  normalize: {
    redactHeaders: ['X-Api-Key'],
    redactPaths: ['order.customer.email', 'order.payment.card', '**.password'],
  },
};

function leakyPair() {
  const headers = (n: number): Array<[string, string]> => [
    ['content-type', 'application/json'],
    ['authorization', `Bearer sk_live_SECRET1-${n}`],
    ['set-cookie', `session=SECRET2-${n}; HttpOnly`],
    ['cookie', `SECRET3-${n}`],
    ['proxy-authorization', `proxy SECRET4-${n}`],
    ['x-api-key', `SECRET5-${n}`],
  ];
  const body = (n: number, _withCard: boolean) =>
    orderBody({
      extra: { user: { password: `pw-SECRET8-${n}` } },
    }) as Record<string, { customer: { email: string }; payment: Record<string, unknown> }>;
  const live = body(1, true),
    cand = body(2, false);
  live.order.customer.email = 'ada-SECRET6@example.com';
  cand.order.customer.email = 'ada-SECRET6@example.com.changed';
  live.order.payment.card = { number: '4111111111SECRET7', cvv: 'SECRET9' };
  return pairOf({ live: { json: live, headers: headers(1) }, candidate: { json: cand, headers: headers(2) } });
}

describe('redaction', () => {
  it('leaves no secret in any difference, example or persisted report, while still reporting the fields that changed', () => {
    const r = comparePair(leakyPair(), 'pol', spec);
    const book = new ReportBook();
    book.add(r, spec);
    const everything = JSON.stringify([r, r.example(), book.toJSON(), book.endpoint('pol', r.endpoint)]);
    for (const s of SECRETS) expect(everything).not.toContain(s);
    expect(everything).not.toContain('SECRET');
    const paths = r.candidate.map((d) => `${d.kind} ${d.path}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        'value headers.authorization',
        'value headers.set-cookie',
        'value headers.cookie',
        'value headers.proxy-authorization',
        'value headers.x-api-key',
        'value body.order.customer.email',
        'missing body.order.payment.card',
        'value body.user.password',
      ]),
    );
    expect(r.candidate.find((d) => d.path === 'body.order.customer.email')).toMatchObject({
      left: '[REDACTED]',
      right: '[REDACTED]',
    });
    expect(r.example().live.headers).toContainEqual(['authorization', '[REDACTED]']);
    expect((r.example().live.body as { order: { payment: { card: unknown } } }).order.payment.card).toBe('[REDACTED]');
  });

  it('redacts a secret nested inside a value that is reported whole (missing object)', () => {
    const s: PolicySpec = { services: ['x'], normalize: { redactPaths: ['profile.ssn'] } };
    const r = comparePair(
      pairOf({ live: { json: { profile: { name: 'a', ssn: '123-45-SECRET' } } }, candidate: { json: {} } }),
      'p',
      s,
    );
    expect(r.candidate).toEqual([{ path: 'body.profile', kind: 'missing', left: { name: 'a', ssn: '[REDACTED]' } }]);
  });

  it('scrubs credentials out of text bodies', () => {
    const text = (n: number) => `ok\nAuthorization: Bearer abcdef${n}SECRET\npassword=hunter${n}SECRET&x=1`;
    const r = comparePair(
      pairOf({
        live: { body: text(1), headers: [['content-type', 'text/plain']] },
        candidate: { body: text(2), headers: [['content-type', 'text/plain']] },
      }),
      'p',
      { services: ['x'] },
    );
    const all = JSON.stringify([r, r.example()]);
    expect(r.candidate).toHaveLength(1);
    expect(all).not.toContain('SECRET');
  });
});
