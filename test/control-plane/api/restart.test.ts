import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ControlPlaneConfig } from '../../../control-plane/src/config.js';
import { loopbackConfig } from '../../fixtures/control-plane-config.js';
import { start, type RunningControlPlane } from '../../../control-plane/src/main.js';
import { egress, half } from './engine-fixtures.js';
import { nodeHello, TestFilter, waitFor } from './grpc-client.js';

const EDITOR = 'editor-token-for-restart-test';
const STREAM = 'stream-token-for-restart-test';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function config(dataDir: string): ControlPlaneConfig {
  return loopbackConfig(dataDir, { tokens: [{ name: 'ed', token: EDITOR, role: 'editor' }], streamToken: STREAM });
}

async function boot(
  dataDir: string,
): Promise<RunningControlPlane & { api(p: string, init?: RequestInit): Promise<Response> }> {
  const cp = await start(config(dataDir), { logger: pino({ level: 'silent' }) });
  cleanups.push(() => cp.close());
  return {
    ...cp,
    api: (p, init = {}) =>
      fetch(`${cp.httpUrl}${p}`, {
        ...init,
        headers: { authorization: `Bearer ${EDITOR}`, 'content-type': 'application/json', ...init.headers },
      }),
  };
}

/** The edge and the candidate shadow of checkout, connected to `grpcPort`; closed after the test. */
function filters(grpcPort: number): { edge: TestFilter; shadow: TestFilter } {
  const edge = new TestFilter(grpcPort, nodeHello(), STREAM);
  const shadow = new TestFilter(
    grpcPort,
    nodeHello({ nodeId: 'shadow-1', role: 'shadow', variant: 'candidate', workload: 'checkout-v2' }),
    STREAM,
  );
  cleanups.push(() => {
    edge.close();
    shadow.close();
  });
  return { edge, shadow };
}

describe('the control plane over HTTP and gRPC, across a restart', () => {
  it('keeps policies, versions, reports, blast radius and alerts in its SQLite file', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-restart-'));
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));

    const a = await boot(dataDir);
    const spec = { services: ['checkout'], alerts: { mismatchRate: 10, minPairs: 1 } };
    expect((await a.api('/api/v1/policies/checkout', { method: 'PUT', body: JSON.stringify(spec) })).status).toBe(201);
    const v2 = { ...spec, description: 'second' };
    expect((await a.api('/api/v1/policies/checkout', { method: 'PUT', body: JSON.stringify(v2) })).status).toBe(200);

    const { edge, shadow } = filters(a.grpcPort);
    edge.send({ kind: 'half', half: half('p1', 'live', { name: 'Ada', plan: 'pro' }) });
    shadow.send({ kind: 'half', half: half('p1', 'candidate', { name: 'Ada', plan: 'free' }) });
    shadow.send({ kind: 'egress', event: egress() });

    const before = await waitFor(async () => {
      const r = (await (await a.api('/api/v1/reports/checkout')).json()) as { endpoints: unknown[] };
      return r.endpoints.length > 0 ? r : undefined;
    }, 'a report');
    const blastBefore = await (await a.api('/api/v1/blast-radius/checkout')).json();
    expect(JSON.stringify(blastBefore)).toContain('pay.example');
    const alerts = await waitFor(async () => {
      const r = (await (await a.api('/api/v1/alerts')).json()) as { alerts: unknown[] };
      return r.alerts.length > 0 ? r : undefined;
    }, 'an alert');
    const nodes = (await (await a.api('/api/v1/nodes')).json()) as { nodes: Array<{ nodeId: string }> };
    expect(nodes.nodes.map((n) => n.nodeId).sort()).toEqual(['edge-1', 'shadow-1']);
    edge.close();
    shadow.close();
    await a.close();

    const b = await boot(dataDir);
    const policy = await (await b.api('/api/v1/policies/checkout')).json();
    expect(policy).toMatchObject({ name: 'checkout', version: 2, spec: v2, updatedBy: 'ed' });
    const history = (await (await b.api('/api/v1/policies/checkout/history')).json()) as {
      versions: unknown[];
      audit: Array<{ action: string }>;
    };
    expect(history.versions).toHaveLength(2);
    expect(history.audit.map((x) => x.action)).toEqual(['create', 'update']);
    expect(await (await b.api('/api/v1/reports/checkout')).json()).toEqual(before);
    const ep = encodeURIComponent((before.endpoints[0] as { endpoint: string }).endpoint);
    expect((await b.api(`/api/v1/reports/checkout/endpoints/${ep}`)).status).toBe(200);
    expect(JSON.stringify(await (await b.api('/api/v1/blast-radius/checkout')).json())).toContain('pay.example');
    expect(await (await b.api('/api/v1/alerts')).json()).toEqual(alerts);
  });

  it('compares pairs waiting only for their secondary at shutdown, so the saved reports include them', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-restart-'));
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const a = await boot(dataDir);
    const spec = { services: ['checkout'], secondary: true }; // pairs wait for a secondary (default window 30 s)
    expect((await a.api('/api/v1/policies/checkout', { method: 'PUT', body: JSON.stringify(spec) })).status).toBe(201);
    const { edge, shadow } = filters(a.grpcPort);
    for (const id of ['p1', 'p2']) {
      edge.send({ kind: 'half', half: half(id, 'live', { name: 'Ada', plan: 'pro' }) });
      shadow.send({ kind: 'half', half: half(id, 'candidate', { name: 'Ada', plan: 'free' }) });
    }
    // both pairs are held by the pairer (4 halves in, 2 pending), none compared yet
    await waitFor(async () => {
      const text = await (await a.api('/metrics')).text();
      return /^shadowguard_pairing_pending_pairs 2\b/m.test(text) ? true : undefined;
    }, 'two pending pairs');
    expect(((await (await a.api('/api/v1/reports/checkout')).json()) as { endpoints: unknown[] }).endpoints).toEqual(
      [],
    );
    edge.close();
    shadow.close();
    await a.close(); // what SIGTERM runs

    const b = await boot(dataDir);
    const r = (await (await b.api('/api/v1/reports/checkout')).json()) as { endpoints: Array<{ pairs: number }> };
    expect(r.endpoints.map((e) => e.pairs)).toEqual([2]);
  });

  it('serves /healthz without a token and refuses the API without one', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-restart-'));
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const cp = await boot(dataDir);
    expect((await fetch(`${cp.httpUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${cp.httpUrl}/api/v1/policies`)).status).toBe(401);
  });
});
