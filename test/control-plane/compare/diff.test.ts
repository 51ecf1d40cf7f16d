import { deflateRawSync, gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { comparePair } from '../../../control-plane/src/compare/index.js';
import type { PolicySpec } from '../../../control-plane/src/domain/types.js';
import { orderBody, pairOf } from '../../fixtures/halves.js';

const spec = (normalize: PolicySpec['normalize'] = {}): PolicySpec => ({ services: ['orders'], normalize });
const cmp = (live: unknown, cand: unknown, s: PolicySpec = spec()) =>
  comparePair(pairOf({ live: { json: live }, candidate: { json: cand } }), 'pol', s);
const kinds = (r: { candidate: Array<{ path: string; kind: string }> }) =>
  r.candidate.map((d) => `${d.kind} ${d.path}`).sort();

describe('structural diff', () => {
  it('reports nothing for identical 2 KiB bodies', () => {
    const r = cmp(orderBody(), orderBody());
    expect(r.candidate).toEqual([]);
    expect(r.bodyCompared).toBe(true);
    expect(r.endpoint).toBe('GET /orders/{id}');
  });

  it('types every difference: value, type, missing, extra, size', () => {
    const r = cmp(
      { a: 1, b: 'x', c: true, d: [1, 2], e: { f: 1 } },
      { a: 2, b: 3, d: [1, 2, 3], e: { f: 1, g: null } },
    );
    expect(kinds(r)).toEqual(['extra body.e.g', 'missing body.c', 'size body.d', 'type body.b', 'value body.a']);
    expect(r.candidate.find((d) => d.kind === 'size')).toMatchObject({ left: 2, right: 3 });
    expect(r.candidate.find((d) => d.kind === 'missing')).toMatchObject({ left: true });
  });

  it('flattens array elements without indices so several differing items count once', () => {
    const r = cmp(orderBody(), orderBody({ price: () => 1 }));
    expect(kinds(r)).toEqual(['value body.order.items.*.price']);
  });

  it('reports a reordered array as one ordering difference, not element noise', () => {
    const live = orderBody();
    const cand = orderBody();
    (cand.order as { items: unknown[] }).items.reverse();
    expect(kinds(cmp(live, cand))).toEqual(['order body.order.items']);
  });

  it('compares unorderedArrays as multisets and still diffs the elements that changed', () => {
    const live = {
      tags: ['a', 'b', 'c'],
      items: [
        { id: 1, p: 1 },
        { id: 2, p: 2 },
      ],
    };
    const cand = {
      tags: ['c', 'a', 'b'],
      items: [
        { id: 2, p: 3 },
        { id: 1, p: 1 },
      ],
    };
    expect(kinds(cmp(live, cand, spec({ unorderedArrays: ['tags', 'items'] })))).toEqual(['value body.items.*.p']);
    expect(kinds(cmp(live, cand, spec({ unorderedArrays: ['**'] })))).toEqual(['value body.items.*.p']);
    expect(kinds(cmp({ tags: ['a'] }, { tags: ['a', 'a'] }, spec({ unorderedArrays: ['tags'] })))).toEqual([
      'size body.tags',
    ]);
  });

  it('skips ignorePaths with * for one level and ** for any depth', () => {
    const live = { meta: { at: 1, by: 'x' }, order: { items: [{ id: 'a', at: 2 }], at: 3 } };
    const cand = { meta: { at: 9, by: 'y' }, order: { items: [{ id: 'b', at: 8 }], at: 7 } };
    expect(kinds(cmp(live, cand, spec({ ignorePaths: ['meta.*', 'order.items.*.id'] })))).toEqual([
      'value body.order.at',
      'value body.order.items.*.at',
    ]);
    expect(kinds(cmp(live, cand, spec({ ignorePaths: ['**.at'] })))).toEqual([
      'value body.meta.by',
      'value body.order.items.*.id',
    ]);
    // exact segments, never substrings (Keploy over-silencing, reference §6.2)
    expect(
      kinds(
        cmp(
          { items: [{ id: 1, idempotency_key: 'a' }] },
          { items: [{ id: 2, idempotency_key: 'b' }] },
          spec({ ignorePaths: ['items.id'] }),
        ),
      ),
    ).toEqual(['value body.items.*.idempotency_key']);
  });

  it('compares status and headers, ignoring volatile and configured headers', () => {
    const pair = pairOf({
      live: {
        status: 200,
        json: { a: 1 },
        headers: [
          ['content-type', 'application/json'],
          ['date', 'Mon, 03 Jun 2024 10:00:00 GMT'],
          ['etag', '"1"'],
          ['x-cache', 'HIT'],
          ['x-debug-a', '1'],
        ],
      },
      candidate: {
        status: 500,
        json: { a: 1 },
        headers: [
          ['content-type', 'application/json'],
          ['date', 'Mon, 03 Jun 2024 10:00:05 GMT'],
          ['x-new', 'y'],
          ['x-debug-b', '2'],
          ['x-cache', 'MISS'],
        ],
      },
    });
    const r = comparePair(pair, 'pol', spec({ ignoreHeaders: ['X-Cache', 'x-debug-*'] }));
    expect(kinds(r)).toEqual(['extra headers.x-new', 'missing headers.etag', 'status status']);
    expect(r.statusMismatch).toBe(true);
  });

  it('decodes gzip and raw-deflate bodies before comparing', () => {
    const body = JSON.stringify(orderBody());
    const pair = pairOf({
      live: {
        body: gzipSync(body),
        headers: [
          ['content-type', 'application/json'],
          ['content-encoding', 'gzip'],
        ],
      },
      candidate: {
        body: deflateRawSync(body),
        headers: [
          ['content-type', 'application/json'],
          ['content-encoding', 'deflate'],
        ],
      },
    });
    const r = comparePair(pair, 'pol', spec());
    expect(r.candidate.filter((d) => d.path.startsWith('body'))).toEqual([]);
    expect(r.example().live.body).toMatchObject({ order: { id: 1042 } });
  });

  it('stops a zip bomb at the decompression cap and flags the body instead of comparing it', () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024)); // 64 MiB of zeros → ~64 KiB compressed
    const pair = pairOf({
      live: {
        body: bomb,
        headers: [
          ['content-type', 'application/json'],
          ['content-encoding', 'gzip'],
        ],
      },
      candidate: { json: { a: 1 } },
    });
    const r = comparePair(pair, 'pol', spec());
    expect(r.bodyCompared).toBe(false);
    expect(r.bodyNote).toBe('too-large');
  });

  it('compares binary bodies by sha256 and size', () => {
    const a = Buffer.from([0, 1, 2, 3, 255]),
      b = Buffer.from([0, 1, 2, 4, 255]);
    const pair = pairOf({
      live: { body: a, headers: [['content-type', 'image/png']] },
      candidate: { body: b, headers: [['content-type', 'image/png']] },
    });
    const [d] = comparePair(pair, 'pol', spec()).candidate;
    expect(d).toMatchObject({
      path: 'body',
      kind: 'value',
      left: { size: 5, sha256: createHash('sha256').update(a).digest('hex') },
    });
    const same = pairOf({
      live: { body: a, headers: [['content-type', 'image/png']] },
      candidate: { body: Buffer.from(a), headers: [['content-type', 'image/png']] },
    });
    expect(comparePair(same, 'pol', spec()).candidate).toEqual([]);
  });

  it('falls back to a text comparison when a body declared as JSON does not parse', () => {
    const pair = pairOf({
      live: { body: '{"a": 1,', headers: [['content-type', 'application/json']] },
      candidate: { body: '{"a": 2,', headers: [['content-type', 'application/json']] },
    });
    const r = comparePair(pair, 'pol', spec());
    expect(r.bodyNote).toBe('invalid-json');
    expect(r.candidate).toMatchObject([
      { path: 'body', kind: 'value', left: { line: '{"a": 1,' }, right: { line: '{"a": 2,' } },
    ]);
    expect(r.example().live.bodyKind).toBe('text');
  });

  it('summarizes text bodies by lines', () => {
    const pair = pairOf({
      live: { body: 'a\nb\nc\nd', headers: [['content-type', 'text/plain']] },
      candidate: { body: 'a\nB\nc\nd\ne', headers: [['content-type', 'text/plain']] },
    });
    const [d] = comparePair(pair, 'pol', spec()).candidate;
    expect(d).toMatchObject({
      path: 'body',
      left: { lines: 4, removed: 1, firstDifferentLine: 2, line: 'b' },
      right: { lines: 5, added: 2, line: 'B' },
    });
  });

  it('compares truncated bodies only when both are complete, and flags the pair otherwise', () => {
    const pair = pairOf({ live: { json: { a: 1 }, truncated: true }, candidate: { json: { a: 2 } } });
    const r = comparePair(pair, 'pol', spec());
    expect(r.bodyCompared).toBe(false);
    expect(r.bodyNote).toBe('truncated');
    expect(r.candidate).toEqual([]);
  });

  it('reports a JSON body against a text body as a type difference of the body', () => {
    const pair = pairOf({
      live: { json: { a: 1 } },
      candidate: { body: '<html>oops</html>', headers: [['content-type', 'text/html']] },
    });
    expect(kinds(comparePair(pair, 'pol', spec()))).toEqual(['type body', 'value headers.content-type']);
  });

  it('always suggests detected volatile values and masks them only when the detector is enabled', () => {
    const live = orderBody({ noiseSeed: 1 }),
      cand = orderBody({ noiseSeed: 2 });
    const off = cmp(live, cand);
    expect(off.suggestions.map((s) => `${s.detector} ${s.path}`).sort()).toEqual([
      'timestamp body.generated_at',
      'token body.order.payment.session_token',
      'uuid body.request_id',
    ]);
    expect(off.candidate.find((d) => d.path === 'body.request_id')?.volatile).toBe('uuid');
    const on = cmp(live, cand, spec({ detectors: { uuid: true, timestamp: true, token: true } }));
    expect(kinds(on)).toEqual(['value body.trace.span']);
    expect((on.example().candidate.body as { request_id: string }).request_id).toBe('<uuid>');
  });

  it('never throws on malformed halves', () => {
    const pair = pairOf({ live: { json: { a: 1 } }, candidate: { json: { a: 1 } } });
    (pair.candidate as unknown as { headers: unknown }).headers = undefined;
    (pair.candidate as unknown as { body: unknown }).body = undefined;
    pair.candidate.bodySize = 0;
    (pair.live as unknown as { headers: unknown }).headers = [['content-type', 'application/json'], null, 'x'];
    (pair.live as unknown as { path: unknown }).path = undefined;
    expect(() => comparePair(pair, 'pol', spec())).not.toThrow();
    expect(comparePair(pair, 'pol', spec()).example().live.headers).toEqual([['content-type', 'application/json']]);
    expect(comparePair(pair, 'pol', spec()).candidate.some((d) => d.path === 'body' && d.kind === 'missing')).toBe(
      true,
    );
  });
});
