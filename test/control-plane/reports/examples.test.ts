// Examples worth reading: per field, a bounded sample that stays recent and varied (not the first
// five ever), read through the report book.
import { describe, expect, it } from 'vitest';
import { comparePair } from '../../../control-plane/src/compare/index.js';
import type { PolicySpec } from '../../../control-plane/src/domain/types.js';
import { ReportBook } from '../../../control-plane/src/reports/aggregate.js';
import { pairOf } from '../../fixtures/halves.js';

const spec: PolicySpec = { services: ['shop'] };
const add = (book: ReportBook, i: number, shadowStatus: string, at: number) => {
  const compared = comparePair(
    pairOf({
      pairId: `p${i}`,
      shared: { path: `/orders/${i}` },
      live: { json: { status: 'paid' } },
      candidate: { json: { status: shadowStatus } },
    }),
    'shop',
    spec,
  );
  book.add({ ...compared, at }, spec);
};

const examples = (book: ReportBook) =>
  book
    .endpoint('shop', 'GET /orders/{id}')!
    .fields.find((f) => f.path === 'body.status')!
    .examples.map((e) => [e.shadow, e.at])
    .sort((a, b) => (a[1] as number) - (b[1] as number));

describe('field examples', () => {
  it('keep the most recent distinct differences, each refreshed to its newest pair', () => {
    const book = new ReportBook();
    for (let i = 0; i < 12; i++) add(book, i, `s${i}`, 1000 + i);
    expect(examples(book)).toEqual([
      ['s7', 1007],
      ['s8', 1008],
      ['s9', 1009],
      ['s10', 1010],
      ['s11', 1011],
    ]);
    add(book, 12, 's8', 2000); // a value already kept is refreshed, nothing evicted
    expect(examples(book).map((e) => e[0])).toEqual(['s7', 's9', 's10', 's11', 's8']);
    // the same value over and over keeps one slot, the others stay varied
    for (let i = 13; i < 20; i++) add(book, i, 's8', 3000 + i);
    expect(new Set(examples(book).map((e) => e[0]))).toEqual(new Set(['s7', 's9', 's10', 's11', 's8']));
  });

  it('carry the request: method, the concrete path and the query, secret-looking values redacted', () => {
    const compared = comparePair(
      pairOf({
        shared: { method: 'POST', path: '/refunds/4242', query: 'dry=1&access_token=abc&apiKey=k' },
        live: { json: { ok: true } },
        candidate: { json: { ok: false } },
      }),
      'shop',
      spec,
    );
    expect(compared.example().request).toEqual({
      method: 'POST',
      path: '/refunds/4242',
      query: 'dry=1&access_token=[REDACTED]&apiKey=[REDACTED]',
    });
  });

  it('carry the captured request headers and body, redacted like responses and never normalized', () => {
    const withRequest: PolicySpec = {
      services: ['shop'],
      capture: { redactHeaders: ['x-tenant-secret'] },
      normalize: { ignorePaths: ['reason'], redactPaths: ['card.number'] },
    };
    const live = {
      json: { ok: true },
      request: {
        headers: [
          ['content-type', 'application/json'],
          ['x-tenant-secret', 'leaked-by-an-old-filter'],
        ] as Array<[string, string]>,
        body: Buffer.from(
          JSON.stringify({ amount: 12, reason: 'dup', card: { number: '4111', brand: 'visa' }, password: 'p' }),
        ),
        truncated: false,
        bodySize: 80,
      },
    };
    const compared = comparePair(
      pairOf({
        shared: { method: 'POST', path: '/refunds/4242' },
        live,
        candidate: { json: { ok: false } },
      }),
      'shop',
      withRequest,
    );
    expect(compared.example().request).toEqual({
      method: 'POST',
      path: '/refunds/4242',
      query: '',
      headers: [
        ['content-type', 'application/json'],
        ['x-tenant-secret', '[REDACTED]'],
      ],
      bodyKind: 'json',
      // 'reason' is an ignore rule for responses: the request still shows it; the card number and the
      // secret-looking key are redacted
      body: { amount: 12, reason: 'dup', card: { number: '[REDACTED]', brand: 'visa' }, password: '[REDACTED]' },
      truncated: false,
      bodySize: 80,
    });
  });

  it('show a cut request body as cut, and a binary one by digest', () => {
    const cut = comparePair(
      pairOf({
        live: {
          json: { ok: true },
          request: {
            headers: [['content-type', 'text/plain']],
            body: Buffer.from('abc'),
            truncated: true,
            bodySize: 9000,
          },
        },
        candidate: { json: { ok: false } },
      }),
      'shop',
      spec,
    ).example().request!;
    expect(cut).toMatchObject({ bodyKind: 'text', body: 'abc', truncated: true, bodySize: 9000 });
    const binary = comparePair(
      pairOf({
        live: {
          json: { ok: true },
          request: {
            headers: [['content-type', 'application/octet-stream']],
            body: Buffer.from([0, 255, 1, 2]),
            truncated: false,
            bodySize: 4,
          },
        },
        candidate: { json: { ok: false } },
      }),
      'shop',
      spec,
    ).example().request!;
    expect(binary.bodyKind).toBe('binary');
    expect(binary.body).toEqual({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), size: 4 });
  });
});
