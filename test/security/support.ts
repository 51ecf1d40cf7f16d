// A real control plane for the security and CLI tests (start() on ephemeral loopback ports over a
// temporary SQLite directory, viewer and editor tokens), with its JSON log lines kept for inspection,
// and a webhook receiver that records every request (headers and raw body).
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { DEFAULTS, type ControlPlaneConfig } from '../../control-plane/src/config.js';
import { loopbackConfig } from '../fixtures/control-plane-config.js';
import { start, type RunningControlPlane } from '../../control-plane/src/main.js';
import { httpReceiver } from '../fixtures/http-receiver.js';

export const VIEWER = 'viewer-token-0123456789';
export const EDITOR = 'editor-token-0123456789';

export interface TestControlPlane {
  cp: RunningControlPlane;
  url: string;
  logs: string[];
  api(
    method: string,
    p: string,
    opts?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<{
    status: number;
    body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
    headers: Headers;
  }>;
  close(): Promise<void>;
}

export async function startControlPlane(over: Partial<ControlPlaneConfig> = {}): Promise<TestControlPlane> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shadowguard-sec-'));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  // Logged at info (the tests read the lines) and saving report state on the default interval.
  const config = loopbackConfig(dataDir, {
    metrics: { ...DEFAULTS.metrics },
    logLevel: 'info',
    persistIntervalMs: DEFAULTS.persistIntervalMs,
    tokens: [
      { name: 'vera', token: VIEWER, role: 'viewer' },
      { name: 'eddie', token: EDITOR, role: 'editor' },
    ],
    ...over,
  });
  const cp = await start(config, { logger: pino({ level: 'info' }, sink) });
  return {
    cp,
    url: cp.httpUrl,
    logs,
    async api(method, p, opts = {}) {
      const headers: Record<string, string> = { authorization: `Bearer ${opts.token ?? EDITOR}`, ...opts.headers };
      if (opts.body !== undefined) headers['content-type'] ??= 'application/json';
      const res = await fetch(`${cp.httpUrl}${p}`, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
    },
    async close() {
      await cp.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** An http receiver on 127.0.0.1 answering each request with the next status of `statuses` (then the last). */
export async function receiver(
  statuses: number[] = [204],
): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = await httpReceiver((req, res, body) => {
    received.push({ headers: req.headers, body, at: Date.now() });
    res.writeHead(statuses[Math.min(received.length - 1, statuses.length - 1)]).end();
  });
  return { url: `http://127.0.0.1:${server.port}`, received, close: server.close };
}

export const policy = (alerts: Record<string, unknown> = {}) => ({
  services: ['checkout'],
  egress: { defaultAction: 'deny' },
  alerts: { mismatchRate: 10, minPairs: 1, ...alerts },
});
