// The documented answers are the answers: a report's endpoint summaries, served through their closed
// response schema, equal what the engine produced (no field stripped, none added; times as ISO-8601),
// and every answer of a running control plane validates against the schema /docs publishes (a
// validator with additionalProperties enforced, since fastify's serializer silently drops extras).
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { afterEach, describe, expect, it } from 'vitest';
import {
  alertListSchema,
  blastRadiusSchema,
  endpointDetailSchema,
  endpointListSchema,
  nodeListSchema,
} from '../../../control-plane/src/api/schemas/observed.js';
import { rampViewSchema } from '../../../control-plane/src/api/schemas/ramp.js';
import { runListSchema, verdictSchema } from '../../../control-plane/src/api/schemas/verdict.js';
import { comparePair } from '../../../control-plane/src/compare/index.js';
import type { PolicySpec } from '../../../control-plane/src/domain/types.js';
import { ReportBook } from '../../../control-plane/src/reports/aggregate.js';
import { orderBody, pairOf } from '../../fixtures/halves.js';
import { AckingFilter, boot, Clock, halfMessage, tempDir, until } from '../ramp/fixtures.js';
import { EDITOR, testApp, type TestApp } from './helpers.js';

let t: TestApp | undefined;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  await t?.app.close();
  await t?.store.close();
  t = undefined;
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('answers and their schemas', () => {
  it("serves a report's endpoints exactly as the engine made them, through a closed schema", async () => {
    const spec: PolicySpec = { services: ['shop'], alerts: { minPairs: 2 } };
    const book = new ReportBook();
    for (let i = 0; i < 3; i++)
      book.add(
        comparePair(
          pairOf({
            shared: { path: `/orders/${i}` },
            live: { json: orderBody({ noiseSeed: i }) },
            candidate: { json: orderBody({ noiseSeed: i + 7, status: i === 0 ? 'refunded_twice' : undefined }) },
          }),
          'shop',
          spec,
        ),
        spec,
      );
    t = await testApp({ reports: { endpoints: (p) => book.endpoints(p), endpoint: (p, e) => book.endpoint(p, e) } });
    await t.as(EDITOR, { method: 'PUT', url: '/api/v1/policies/shop', payload: spec });
    const r = await t.as(EDITOR, { url: '/api/v1/reports/shop' });
    expect(r.statusCode).toBe(200);
    const engine = JSON.parse(JSON.stringify(book.endpoints('shop')));
    expect(engine.length).toBeGreaterThan(0);
    const iso = (ms: number) => new Date(ms).toISOString();
    expect(r.json().endpoints).toEqual(
      engine.map((e: { firstAt: number; lastAt: number }) => ({
        ...e,
        firstAt: iso(e.firstAt),
        lastAt: iso(e.lastAt),
      })),
    );
    expect(engine[0].mismatchRate).toBe(Math.round(engine[0].mismatchRate * 100) / 100);
  });

  it('answers verdict, runs and ramp as their schemas say', async () => {
    const cp = await boot(tempDir(cleanups), new Clock(), cleanups);
    await cp.api('/api/v1/policies/checkout', {
      method: 'PUT',
      body: JSON.stringify({ services: ['checkout'], ramp: { stages: [5, 50] } }),
    });
    await cp.api('/api/v1/policies/checkout/ramp/start', { method: 'POST' });
    const edge = await AckingFilter.edge(cp.grpcPort, cleanups);
    const shadow = await AckingFilter.candidate(cp.grpcPort, cleanups, { version: 'v2' });
    // A live half with its captured request, so the example's request is in the answer too.
    const live = halfMessage('s1', 'LIVE', 'POST', '/a/1', { a: 1 });
    await edge.send({
      half: {
        ...live.half,
        requestHeaders: [{ name: 'content-type', value: Buffer.from('application/json') }],
        requestBody: Buffer.from('{"q":1}'),
        requestBodySize: 7,
      },
    });
    await shadow.send(halfMessage('s1', 'CANDIDATE', 'POST', '/a/1', { a: 2 }));
    await shadow.send({
      egress: {
        pairId: 's1',
        service: 'checkout',
        variant: 'SIDE_CANDIDATE',
        destination: 'payments:8080',
        method: 'POST',
        path: '/charge',
        decision: 'DECISION_DENIED',
        rule: 'default',
        unixMs: Date.now(),
        nodeId: 'shadow-1',
      },
    });
    await until(async () => (await cp.json('/api/v1/reports/checkout')).body.run === 1, 'run 1');
    await until(
      async () => (await cp.json('/api/v1/blast-radius/checkout')).body.map.services.length > 0,
      'the egress event in the blast radius',
    );
    await cp.ramp.tick();
    await cp.ramp.command('checkout', 'pause', 'tester'); // a transition with a time
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const endpoint = encodeURIComponent('POST /a/{id}');
    const detail = await cp.json(`/api/v1/reports/checkout/endpoints/${endpoint}`);
    expect(detail.status).toBe(200);
    expect(detail.body.report.samples[0].request).toMatchObject({
      method: 'POST',
      headers: [['content-type', 'application/json']],
      body: { q: 1 },
    });
    for (const [path, schema] of [
      ['/api/v1/policies/checkout/verdict', verdictSchema],
      ['/api/v1/policies/checkout/runs', runListSchema],
      ['/api/v1/policies/checkout/ramp', rampViewSchema],
      ['/api/v1/reports/checkout', endpointListSchema],
      [`/api/v1/reports/checkout/endpoints/${endpoint}`, endpointDetailSchema],
      ['/api/v1/blast-radius/checkout', blastRadiusSchema],
      ['/api/v1/nodes', nodeListSchema],
      ['/api/v1/alerts', alertListSchema],
    ] as const) {
      const { status, body } = await cp.json(path);
      expect(status, path).toBe(200);
      const validate = ajv.compile(schema);
      expect(validate(body) ? [] : validate.errors, path).toEqual([]);
    }
  });
});
