// The documented answers are the answers: a report's endpoint summaries, served through their closed
// response schema, equal what the engine produced (no field stripped, none added), and the verdict,
// runs and ramp answers validate against the schemas /docs publishes.
import { Ajv } from 'ajv';
import { afterEach, describe, expect, it } from 'vitest';
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
    expect(r.json().endpoints).toEqual(engine);
    expect(engine[0].mismatchRate).toBe(Math.round(engine[0].mismatchRate * 100) / 100);
  });

  it('answers verdict, runs and ramp as their schemas say', async () => {
    const cp = await boot(tempDir(cleanups), new Clock(), cleanups);
    await cp.api('/api/v1/policies/checkout', {
      method: 'PUT',
      body: JSON.stringify({ services: ['checkout'], ramp: { stages: [5, 50] } }),
    });
    await cp.api('/api/v1/policies/checkout/ramp/start', { method: 'POST' });
    const edge = await AckingFilter.connect(cp.grpcPort, { nodeId: 'edge-1', role: 'edge' }, cleanups);
    const shadow = await AckingFilter.connect(
      cp.grpcPort,
      { nodeId: 'shadow-1', role: 'shadow', variant: 'candidate', workload: 'checkout-v2', version: 'v2' },
      cleanups,
    );
    await edge.send(halfMessage('s1', 'LIVE', 'GET', '/a/1', { a: 1 }));
    await shadow.send(halfMessage('s1', 'CANDIDATE', 'GET', '/a/1', { a: 2 }));
    await until(async () => (await cp.json('/api/v1/reports/checkout')).body.run === 1, 'run 1');
    await cp.ramp.tick();
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
    for (const [path, schema] of [
      ['/api/v1/policies/checkout/verdict', verdictSchema],
      ['/api/v1/policies/checkout/runs', runListSchema],
      ['/api/v1/policies/checkout/ramp', rampViewSchema],
    ] as const) {
      const { status, body } = await cp.json(path);
      expect(status, path).toBe(200);
      const validate = ajv.compile(schema);
      expect(validate(body) ? [] : validate.errors, path).toEqual([]);
    }
  });
});
