// deploy/rollouts/: the Argo Rollouts and Flagger examples validate, and a fake rollout controller
// driven by them — calling the verdict endpoint exactly as Argo's web metric provider (GET, the
// template's headers, jsonPath, successCondition/failureCondition) and Flagger's webhooks (POST of
// its payload, judged by status code) do — holds on an inconclusive run, promotes a passing one and
// aborts / rolls back a failing one, against a real control plane fed over the gRPC stream.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  AckingFilter,
  boot,
  Clock,
  halfMessage,
  tempDir,
  until,
  VIEWER,
  type Booted,
} from '../control-plane/ramp/fixtures.js';
import { rolloutSchemaErrors } from './rollouts-schema.js';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../deploy/rollouts');
const docs = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) =>
    parseAllDocuments(fs.readFileSync(path.join(DIR, f), 'utf8')).map((d) => ({ file: f, doc: d.toJS() })),
  );
const find = (kind: string) => docs.find((d) => d.doc.kind === kind)!.doc;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('the rollout-controller examples', () => {
  it('validate: Argo Rollouts against its models (strictly), Flagger against its documented fields', () => {
    expect(docs.map((d) => `${d.file}: ${d.doc.kind}`).sort()).toEqual([
      'argo-analysis-template.yaml: AnalysisTemplate',
      'argo-rollout.yaml: Rollout',
      'flagger-canary.yaml: Canary',
    ]);
    for (const { file, doc } of docs) expect(rolloutSchemaErrors(doc), file).toEqual([]);
  });

  it('would catch a typo or a wrong value (the checks can fail)', () => {
    const t = structuredClone(find('AnalysisTemplate'));
    t.spec.metrics[0].successCondtion = t.spec.metrics[0].successCondition;
    expect(rolloutSchemaErrors(t)).toContain(
      "strict: /spec/metrics/0 must NOT have additional properties 'successCondtion'",
    );
    const c = structuredClone(find('Canary'));
    c.spec.analysis.webhooks[0].type = 'confirm-promote';
    c.spec.analysis.webhooks[1].headers = { authorization: 'x' };
    expect(rolloutSchemaErrors(c)).toEqual([
      'strict: /spec/analysis/webhooks/0/type must be equal to one of the allowed values',
      "strict: /spec/analysis/webhooks/1 must NOT have additional properties 'headers'",
    ]);
  });
});

/** Argo's web metric provider and the measurement's conditions, as the AnalysisTemplate declares them. */
async function argoMeasure(cp: Booted): Promise<'Successful' | 'Failed' | 'Inconclusive' | 'Error'> {
  const metric = find('AnalysisTemplate').spec.metrics[0];
  const args: Record<string, string> = { 'control-plane': cp.httpUrl, policy: 'checkout', token: VIEWER };
  const sub = (s: string) => s.replace(/\{\{args\.([\w-]+)\}\}/g, (_, k: string) => args[k]);
  const web = metric.provider.web;
  const res = await fetch(sub(web.url), {
    method: web.method ?? 'GET',
    headers: Object.fromEntries(web.headers.map((h: { key: string; value: string }) => [h.key, sub(h.value)])),
    signal: AbortSignal.timeout(web.timeoutSeconds * 1000),
  });
  if (!res.ok) return 'Error';
  const m = /^\{\$\.([\w.]+)\}$/.exec(web.jsonPath);
  if (!m) throw new Error(`unsupported jsonPath ${web.jsonPath}`);
  let result: unknown = await res.json();
  for (const k of m[1].split('.')) result = (result as Record<string, unknown>)[k];
  const holds = (cond: string) => {
    const c = /^result == "([^"]*)"$/.exec(cond);
    if (!c) throw new Error(`unsupported condition ${cond}`);
    return result === c[1];
  };
  if (holds(metric.successCondition)) return 'Successful';
  if (holds(metric.failureCondition)) return 'Failed';
  return 'Inconclusive';
}

/** Flagger's webhooks of the Canary: POST of its payload, a 2xx answer passes the hook. */
async function flaggerDecide(cp: Booted): Promise<'promote' | 'rollback' | 'hold'> {
  const canary = find('Canary');
  const passes: Record<string, boolean> = {};
  for (const hook of canary.spec.analysis.webhooks) {
    const url = hook.url.replace(/^https?:\/\/[^/]+/, cp.httpUrl);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: canary.metadata.name,
        namespace: canary.metadata.namespace,
        phase: 'Progressing',
        checksum: '6d5c8f7b9',
        metadata: { ...hook.metadata, token: VIEWER },
      }),
    });
    await res.body?.cancel();
    passes[hook.type] = res.status >= 200 && res.status < 300;
  }
  if (passes.rollback) return 'rollback';
  return passes['confirm-promotion'] ? 'promote' : 'hold';
}

describe('a fake rollout controller gating on the verdict', () => {
  it('holds on an inconclusive run, promotes a passing run, aborts and rolls back a failing run', async () => {
    const cp = await boot(tempDir(cleanups), new Clock(), cleanups);
    await cp.api('/api/v1/policies/checkout', {
      method: 'PUT',
      body: JSON.stringify({ services: ['checkout'], alerts: { mismatchRate: 5, minPairs: 5 } }),
    });
    const edge = await AckingFilter.edge(cp.grpcPort, cleanups);
    let n = 0;
    const send = async (version: string, count: number, candidateBody: unknown) => {
      const shadow = await AckingFilter.candidate(cp.grpcPort, cleanups, {
        nodeId: `shadow-${version}`,
        workload: 'checkout',
        version,
      });
      for (let i = 0; i < count; i++, n++) {
        await edge.send(halfMessage(`x${n}`, 'LIVE', 'GET', `/orders/${n}`, { total: 10 }));
        await shadow.send(halfMessage(`x${n}`, 'CANDIDATE', 'GET', `/orders/${n}`, candidateBody));
      }
    };
    const pairsOfRun = async () =>
      (await cp.json('/api/v1/reports/checkout')).body.endpoints.reduce(
        (s: number, e: { pairs: number }) => s + e.pairs,
        0,
      );

    // v1 shadowed, 2 pairs so far: not enough evidence
    await send('v1', 2, { total: 10 });
    await until(async () => (await pairsOfRun()) === 2, '2 pairs');
    expect([await argoMeasure(cp), await flaggerDecide(cp)]).toEqual(['Inconclusive', 'hold']);

    await send('v1', 4, { total: 10 });
    await until(async () => (await pairsOfRun()) === 6, '6 pairs');
    expect([await argoMeasure(cp), await flaggerDecide(cp)]).toEqual(['Successful', 'promote']);

    // v2 is a new run: it starts inconclusive, whatever v1 proved, then fails on its own evidence
    await send('v2', 1, { total: 99 });
    await until(async () => (await cp.json('/api/v1/reports/checkout')).body.run === 2, 'run 2');
    await until(async () => (await pairsOfRun()) === 1, 'the first v2 pair');
    expect([await argoMeasure(cp), await flaggerDecide(cp)]).toEqual(['Inconclusive', 'hold']);
    await send('v2', 5, { total: 99 });
    await until(async () => (await pairsOfRun()) === 6, '6 v2 pairs');
    expect([await argoMeasure(cp), await flaggerDecide(cp)]).toEqual(['Failed', 'rollback']);

    // without a token the verdict is refused (Argo: a measurement error, Flagger: the hook fails)
    const res = await fetch(`${cp.httpUrl}/api/v1/policies/checkout/verdict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'checkout', metadata: {} }),
    });
    expect(res.status).toBe(401);
  });
});
