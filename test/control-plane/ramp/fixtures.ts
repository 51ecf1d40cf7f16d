// Fixtures for the ramp tests against a real control plane (main.ts start(): gRPC + HTTP + SQLite in a
// temp dir) whose ramp controller runs on a clock the test moves; filters are real gRPC clients
// speaking shadow.proto through @grpc/proto-loader (test/control-plane/stream/fixtures.ts FakeFilter).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { type ControlPlaneConfig, DEFAULTS } from '../../../control-plane/src/config.js';
import { loopbackConfig } from '../../fixtures/control-plane-config.js';
import type { RampSpec } from '../../../control-plane/src/domain/config.js';
import type { NodeHello, Sampling } from '../../../control-plane/src/domain/types.js';
import { start, type RunningControlPlane } from '../../../control-plane/src/main.js';
import { half } from '../api/engine-fixtures.js';
import { FakeFilter, hello, waitFor } from '../stream/fixtures.js';

export const EDITOR = 'editor-token-for-ramp-tests';
export const VIEWER = 'viewer-token-for-ramp-tests';
export const STREAM = 'stream-token-for-ramp-tests';

/** The ramp the end-to-end tests run: 1 → 5 → 10 → 100 %, 60 s holds, guards read every 10 s, revert on a breach. */
export const fourStageRamp = (guards: RampSpec['guards']): RampSpec => ({
  stages: [1, 5, 10, 100],
  holdSeconds: 60,
  evaluateEverySeconds: 10,
  onBreach: 'revert',
  guards,
});

export class Clock {
  constructor(public t = 1_700_000_000_000) {}
  readonly now = (): number => this.t;
  advance(seconds: number): void {
    this.t += seconds * 1000;
  }
}

export function tempDir(cleanups: Array<() => unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-ramp-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function config(dataDir: string): ControlPlaneConfig {
  return loopbackConfig(dataDir, {
    webhook: { ...DEFAULTS.webhook, allowHttp: true, allowLoopback: true }, // the test receiver is http on 127.0.0.1
    streamToken: STREAM,
    tokens: [
      { name: 'eddie', token: EDITOR, role: 'editor' },
      { name: 'vera', token: VIEWER, role: 'viewer' },
    ],
  });
}

export type Booted = RunningControlPlane & {
  api(p: string, init?: RequestInit & { token?: string }): Promise<Response>;
  json<T = any>(p: string, init?: RequestInit & { token?: string }): Promise<{ status: number; body: T }>; // eslint-disable-line @typescript-eslint/no-explicit-any
};

export async function boot(dataDir: string, clock: Clock, cleanups: Array<() => unknown>): Promise<Booted> {
  const cp = await start(config(dataDir), { logger: pino({ level: 'silent' }), now: clock.now });
  cp.ramp.stop(); // the test ticks explicitly on its own clock
  cleanups.push(() => cp.close());
  const api = (p: string, init: RequestInit & { token?: string } = {}) =>
    fetch(`${cp.httpUrl}${p}`, {
      ...init,
      headers: {
        authorization: `Bearer ${init.token ?? EDITOR}`,
        ...(init.body ? { 'content-type': 'application/json' } : {}),
        ...init.headers,
      },
    });
  return {
    ...cp,
    api,
    json: async <T>(p: string, init?: RequestInit & { token?: string }) => {
      const r = await api(p, init);
      return { status: r.status, body: (await r.json()) as T };
    },
  };
}

/** An edge (or shadow) filter that acks every snapshot it receives, as the real filter does. */
export class AckingFilter {
  private acked = 0;
  private constructor(
    readonly f: FakeFilter,
    private readonly stop: () => void,
  ) {}

  static async connect(port: number, h: Partial<NodeHello>, cleanups: Array<() => unknown>): Promise<AckingFilter> {
    const f = await FakeFilter.connect(port, hello(h), { token: STREAM });
    let running = true;
    const a = new AckingFilter(f, () => {
      running = false;
    });
    void (async () => {
      while (running) {
        while (a.acked < f.snapshots.length) await f.ack(f.snapshots[a.acked++].version).catch(() => {});
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    cleanups.push(() => a.close());
    return a;
  }

  /** checkout's live edge, edge-1. */
  static edge(port: number, cleanups: Array<() => unknown>): Promise<AckingFilter> {
    return AckingFilter.connect(port, { nodeId: 'edge-1', role: 'edge' }, cleanups);
  }

  /** checkout's candidate shadow, shadow-1 on workload checkout-v2; `over` changes its Hello. */
  static candidate(port: number, cleanups: Array<() => unknown>, over: Partial<NodeHello> = {}): Promise<AckingFilter> {
    const h: Partial<NodeHello> = { nodeId: 'shadow-1', role: 'shadow', variant: 'candidate', workload: 'checkout-v2' };
    return AckingFilter.connect(port, { ...h, ...over }, cleanups);
  }

  get count(): number {
    return this.f.snapshots.length;
  }

  /** The sampling section of the n-th snapshot (1-based), once it arrived. */
  async sampling(n: number): Promise<Sampling> {
    const s = await this.f.snapshot(n);
    return (JSON.parse(s.configJson) as { sampling: Sampling }).sampling;
  }

  version(n: number): string {
    return this.f.snapshots[n - 1].version;
  }

  send(msg: object): Promise<void> {
    return this.f.send(msg);
  }

  close(): void {
    this.stop();
    this.f.close();
  }
}

/** A Half as a filter author writes it with proto-loader (enums by name, bytes as Buffer): engine-fixtures' half(). */
export function halfMessage(
  pairId: string,
  side: 'LIVE' | 'CANDIDATE',
  method: string,
  urlPath: string,
  body: unknown,
  status = 200,
) {
  const h = half(pairId, side === 'LIVE' ? 'live' : 'candidate', body, { method, path: urlPath, status });
  const headers = h.headers.map(([name, value]) => ({ name, value: Buffer.from(value) }));
  return { half: { ...h, side: `SIDE_${side}`, headers } };
}

export { waitFor };

export async function until(cond: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The report of policy 'checkout' counts this many compared pairs. */
export function waitForPairs(cp: Booted, pairs: number): Promise<void> {
  return until(async () => {
    const { body } = await cp.json<{ endpoints: Array<{ pairs: number }> }>('/api/v1/reports/checkout');
    return body.endpoints.reduce((n, e) => n + e.pairs, 0) >= pairs;
  }, `${pairs} pairs`);
}

/** GET /api/v1/events read as the dashboard reads it (fetch + its own SSE parsing); every event kept. */
export async function eventFeed(
  cp: Booted,
  cleanups: Array<() => unknown>,
): Promise<Array<{ type: string; data: any }>> {
  // eslint-disable-line @typescript-eslint/no-explicit-any
  const abort = new AbortController();
  const res = await cp.api('/api/v1/events', { token: VIEWER, signal: abort.signal });
  if (res.status !== 200 || !res.body) throw new Error(`GET /api/v1/events answered ${res.status}`);
  cleanups.push(() => abort.abort());
  const events: Array<{ type: string; data: unknown }> = [];
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      if (done) return;
      buf += value;
      let end: number;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const type = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (type && data !== undefined) events.push({ type, data: JSON.parse(data) });
      }
    }
  })();
  await until(async () => events.some((e) => e.type === 'hello'), 'the event feed to open');
  return events;
}
