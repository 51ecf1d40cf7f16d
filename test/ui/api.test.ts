// The server side of the dashboard: reports read through the policy's current ignore rules, the
// mark-as-noise route, the event stream, and the static UI plugin's routing.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { comparePair } from '../../control-plane/src/compare/index.js';
import type { PolicySpec } from '../../control-plane/src/domain/types.js';
import { EventBus, type BusEvent } from '../../control-plane/src/api/event-bus.js';
import { ReportBook } from '../../control-plane/src/reports/aggregate.js';
import { pairOf } from '../fixtures/halves.js';
import { EDITOR, spec, testApp, VIEWER } from '../control-plane/api/helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const base: PolicySpec = { services: ['shop'], alerts: { mismatchRate: 10, minPairs: 2 } };
function feed(book: ReportBook, s: PolicySpec, n: number) {
  for (let i = 0; i < n; i++) {
    book.add(
      comparePair(
        pairOf({
          shared: { method: 'GET', path: `/orders/${i}` },
          live: { json: { id: i, served_by: 'v1', total: 10 } },
          candidate: { json: { id: i, served_by: 'v2', total: i % 2 ? 11 : 10 } },
        }),
        'shop',
        s,
      ),
      s,
    );
  }
}

describe('reports read through the current ignore rules', () => {
  it('turns a field the policy now ignores into verdict "ignored", out of the regressions, the match rate and the alert', () => {
    const book = new ReportBook();
    feed(book, base, 10);
    const before = book.endpoints('shop')[0];
    expect(before).toMatchObject({ regressionFields: 2, matchRate: 0, alerting: true, ignoredFields: 0 });

    book.configure('shop', { ...base, normalize: { ignorePaths: ['served_by'] } });
    const after = book.endpoints('shop')[0];
    // only the odd pairs still differ (on total)
    expect(after).toMatchObject({ regressionFields: 1, matchRate: 50, ignoredFields: 1, verdict: 'critical' });
    const d = book.endpoint('shop', after.endpoint)!;
    expect(d.fields.map((f) => [f.path, f.verdict])).toEqual([
      ['body.total', 'regression'],
      ['body.served_by', 'ignored'],
    ]);

    book.configure('shop', { ...base, normalize: { ignorePaths: ['served_by', 'total'] } });
    expect(book.endpoints('shop')[0]).toMatchObject({
      regressionFields: 0,
      matchRate: 100,
      verdict: 'passing',
      alerting: false,
    });
    const copy = ReportBook.fromJSON(JSON.parse(JSON.stringify(book)));
    expect(copy.endpoints('shop')).toEqual(book.endpoints('shop'));
  });

  it('ignores header fields by ignoreHeaders, with prefixes', () => {
    const book = new ReportBook();
    const s = { ...base };
    book.add(
      comparePair(
        pairOf({
          live: {
            json: { a: 1 },
            headers: [
              ['content-type', 'application/json'],
              ['x-build', '1'],
            ],
          },
          candidate: {
            json: { a: 1 },
            headers: [
              ['content-type', 'application/json'],
              ['x-build', '2'],
            ],
          },
        }),
        'shop',
        s,
      ),
      s,
    );
    expect(book.endpoints('shop')[0].regressionFields).toBe(1);
    book.configure('shop', { ...base, normalize: { ignoreHeaders: ['x-b*'] } });
    expect(book.endpoints('shop')[0]).toMatchObject({ regressionFields: 0, ignoredFields: 1, matchRate: 100 });
  });
});

describe('POST /api/v1/policies/{name}/noise', () => {
  it('adds a body field to ignorePaths and a header to ignoreHeaders as audited versions; a repeat changes nothing', async () => {
    const t = await testApp();
    cleanups.push(() => t.app.close());
    await t.as(EDITOR, { method: 'PUT', url: '/api/v1/policies/shop', payload: spec() });
    const r = await t.as(EDITOR, {
      method: 'POST',
      url: '/api/v1/policies/shop/noise',
      payload: { path: 'body.meta.request_id' },
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      list: 'ignorePaths',
      rule: 'meta.request_id',
      changed: true,
      policy: { version: 2, spec: { normalize: { ignorePaths: ['meta.request_id'] } } },
    });
    expect(r.headers.etag).toBe('"2"');
    const h = await t.as(EDITOR, {
      method: 'POST',
      url: '/api/v1/policies/shop/noise',
      payload: { path: 'headers.X-Trace' },
    });
    expect(h.json()).toMatchObject({ list: 'ignoreHeaders', rule: 'x-trace', policy: { version: 3 } });
    const again = await t.as(EDITOR, {
      method: 'POST',
      url: '/api/v1/policies/shop/noise',
      payload: { path: 'body.meta.request_id' },
    });
    expect(again.json()).toMatchObject({ changed: false, policy: { version: 3 } });
    const audit = (await t.as(VIEWER, { url: '/api/v1/audit?policy=shop' })).json().audit as Array<{
      who: string;
      changes: Array<{ path: string }>;
    }>;
    expect(audit[0]).toMatchObject({ who: 'eddie', changes: [{ path: 'normalize.ignoreHeaders', op: 'added' }] });
    expect(audit[1]).toMatchObject({ who: 'eddie', changes: [{ path: 'normalize', op: 'added' }] });
    expect(t.policyChanges()).toBe(3);
  });

  it('refuses a viewer, a status or whole-body path, a stale If-Match and an unknown policy, each with a reason', async () => {
    const t = await testApp();
    cleanups.push(() => t.app.close());
    await t.as(EDITOR, { method: 'PUT', url: '/api/v1/policies/shop', payload: spec() });
    const post = (token: string, payload: unknown, headers = {}, name = 'shop') =>
      t.as(token, { method: 'POST', url: `/api/v1/policies/${name}/noise`, payload: payload as object, headers });
    expect((await post(VIEWER, { path: 'body.a' })).statusCode).toBe(403);
    const status = await post(EDITOR, { path: 'status' });
    expect(status.statusCode).toBe(400);
    expect(status.json().message).toMatch(/status/);
    expect((await post(EDITOR, { path: 'body' })).json().message).toMatch(/whole body/);
    expect((await post(EDITOR, { path: 'foo' })).statusCode).toBe(400);
    expect((await post(EDITOR, { path: 'body.a' }, { 'if-match': '"7"' })).statusCode).toBe(412);
    expect((await post(EDITOR, { path: 'body.a' }, {}, 'ghost')).statusCode).toBe(404);
    expect((await post(EDITOR, { nope: 1 })).statusCode).toBe(400);
  });
});

describe('the event feed', () => {
  it('coalesces report changes into at most one update per throttle period, naming the policies', async () => {
    const bus = new EventBus({ throttleMs: 200 });
    cleanups.push(() => bus.close());
    const seen: Array<{ at: number; e: BusEvent }> = [];
    bus.subscribe((e) => seen.push({ at: Date.now(), e }));
    for (let i = 0; i < 50; i++) bus.changed('reports', i % 2 ? 'a' : 'b');
    bus.changed('blast', 'a');
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 50; i++) bus.changed('reports', 'c');
    await new Promise((r) => setTimeout(r, 450));
    expect(seen.map((s) => s.e)).toEqual([
      { type: 'update', data: { reports: ['a', 'b'], blast: ['a'], nodes: false } },
      { type: 'update', data: { reports: ['c'], blast: [], nodes: false } },
    ]);
    expect(seen[1].at - seen[0].at).toBeGreaterThanOrEqual(190);
  });

  it('streams server-sent events to a viewer over HTTP and refuses a request without a token', async () => {
    const bus = new EventBus({ throttleMs: 10 });
    const t = await testApp({ events: bus });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => t.app.close());
    const url = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}/api/v1/events`;
    expect((await fetch(url)).status).toBe(401);
    const res = await fetch(url, { headers: { authorization: `Bearer ${VIEWER}` } });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const until = async (s: string) => {
      while (!text.includes(s)) text += (await reader.read()).value ?? '';
    };
    await until('event: hello');
    bus.publish('alert', { id: 1, endpoint: 'POST /refunds/{id}' });
    bus.changed('reports', 'shop');
    await until('event: update');
    expect(text).toContain('event: alert\ndata: {"id":1,"endpoint":"POST /refunds/{id}"}');
    expect(text).toContain('data: {"reports":["shop"],"blast":[],"nodes":false}');
    expect(bus.subscribers()).toBe(1);
    await reader.cancel();
  });
});

describe('the dashboard plugin', () => {
  it('explains how to build the UI when build/ui is missing, and never shadows the API', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-ui-empty-'));
    cleanups.push(() => fs.rmSync(empty, { recursive: true, force: true }));
    const t = await testApp({}, { ui: { root: empty } });
    cleanups.push(() => t.app.close());
    const r = await t.app.inject({ url: '/' });
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('npm run build:ui');
    expect((await t.as(VIEWER, { url: '/api/v1/nope' })).statusCode).toBe(404);
  });

  it('serves index.html for client routes and a JSON 404 for unknown API paths', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-ui-root-'));
    cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
    fs.mkdirSync(path.join(root, 'assets'));
    fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><div id="app"></div>');
    fs.writeFileSync(path.join(root, 'assets', 'app-1.js'), 'console.log(1)');
    const t = await testApp({}, { ui: { root } });
    cleanups.push(() => t.app.close());
    const deep = await t.app.inject({ url: `/policies/shop/reports/${encodeURIComponent('POST /refunds/{id}')}` });
    expect(deep.statusCode).toBe(200);
    expect(deep.body).toContain('id="app"');
    const asset = await t.app.inject({ url: '/assets/app-1.js' });
    expect(asset.headers['cache-control']).toContain('immutable');
    expect((await t.app.inject({ url: '/assets/nope.js' })).statusCode).toBe(404);
    const api = await t.as(VIEWER, { url: '/api/v1/unknown/route' });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toMatchObject({ error: 'Not Found' });
    expect((await t.app.inject({ url: '/metrics' })).statusCode).toBe(401);
  });
});
