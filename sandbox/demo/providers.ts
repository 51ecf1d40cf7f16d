// The demo's fake downstream providers: e-mail (POST /send), payments (POST /charges, POST /refunds)
// and catalog (GET /items/{id}). Each one COUNTS what it receives, so the demo and the end-to-end tests
// can prove that a shadow's side effect never reached it: GET /stats answers the counters, GET /count
// the total. Payments honours idempotency-key like real payment APIs do (a replay returns the first
// charge instead of creating another). The log of requests is bounded.
//
// CLI: tsx sandbox/demo/providers.ts --name email|payments|catalog --port 8080

import crypto from 'node:crypto';
import http from 'node:http';
import { BodyTooLarge, closeServer, flags, listen, parseJsonObject, readBody, runAsScript, sendJson } from './http.js';

export const PROVIDER_NAMES = ['email', 'payments', 'catalog'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export interface ReceivedRequest {
  at: number;
  method: string;
  path: string;
  /** the x-shadow header it carried, if any: a shadow's call that got through */
  shadow?: string;
  idempotencyKey?: string;
  /** the W3C baggage header as received */
  baggage?: string;
  status: number;
}

export interface ProviderStats {
  name: ProviderName;
  /** every request except GET /stats and GET /count */
  total: number;
  /** requests carrying x-shadow (or baggage shadow=...) */
  shadowTagged: number;
  /** 'POST /charges' → n (paths with numbers collapsed to {id}) */
  byRoute: Record<string, number>;
  /** side effects performed: e-mails sent, charges and refunds created (idempotent replays excluded) */
  effects: number;
  /** most requests seen in any 1-second window */
  peakPerSecond: number;
  /** most shadow-tagged requests seen in any 1-second window */
  shadowPeakPerSecond: number;
}

export interface RunningProvider {
  name: ProviderName;
  port: number;
  url: string;
  stats(): ProviderStats;
  /** the received requests, oldest first (at most LOG_LIMIT) */
  requests(): ReceivedRequest[];
  reset(): void;
  close(): Promise<void>;
}

export const LOG_LIMIT = 10_000;

function peak(times: number[]): number {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= 1000) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

function isShadow(h: http.IncomingHttpHeaders): string | undefined {
  if (typeof h['x-shadow'] === 'string') return h['x-shadow'];
  const m = typeof h.baggage === 'string' ? /(?:^|,)\s*shadow=([^,;\s]+)/.exec(h.baggage) : null;
  return m ? m[1] : undefined;
}

/** Price and name of catalog item `id`: deterministic, so live and shadow read the same. */
export function catalogItem(id: number) {
  return {
    id,
    sku: `SKU-${String(id).padStart(5, '0')}`,
    name: `Product ${id}`,
    price: round2(5 + ((id * 7919) % 9000) / 100),
  };
}
const round2 = (n: number) => Math.round(n * 100) / 100;

export function startProvider(opts: { name: ProviderName; port?: number; host?: string }): Promise<RunningProvider> {
  const { name } = opts;
  let log: ReceivedRequest[] = [];
  let counts = { total: 0, shadowTagged: 0, effects: 0, byRoute: {} as Record<string, number> };
  let charges = new Map<string, Record<string, unknown>>();

  function handle(
    method: string,
    p: string,
    body: Record<string, unknown> | undefined,
    key: string | undefined,
  ): [number, unknown, boolean] {
    const seg = p.split('/').filter(Boolean);
    if (name === 'email' && method === 'POST' && p === '/send') {
      if (typeof body?.to !== 'string') return [400, { error: 'to is required' }, false];
      return [202, { queued: true, id: `msg_${crypto.randomBytes(6).toString('hex')}` }, true];
    }
    if (name === 'payments' && method === 'POST' && (p === '/charges' || p === '/refunds')) {
      if (!(Number(body?.amount) > 0)) return [400, { error: 'amount must be positive' }, false];
      const replay = key !== undefined ? charges.get(`${p} ${key}`) : undefined;
      if (replay) return [200, replay, false];
      const created = {
        id: `${p === '/charges' ? 'ch' : 're'}_${crypto.randomBytes(6).toString('hex')}`,
        amount: body?.amount,
        status: p === '/charges' ? 'succeeded' : 'refunded',
      };
      if (key !== undefined) charges.set(`${p} ${key}`, created);
      return [201, created, true];
    }
    if (name === 'catalog' && method === 'GET' && seg[0] === 'items' && seg.length === 2 && /^\d{1,9}$/.test(seg[1])) {
      return [200, catalogItem(Number(seg[1])), false];
    }
    return [404, { error: `${name}: no route ${method} ${p}` }, false];
  }

  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const p = new URL(req.url ?? '/', 'http://provider').pathname;
    if (method === 'GET' && p === '/stats') return sendJson(res, 200, stats());
    if (method === 'GET' && p === '/count') return sendJson(res, 200, { name, total: counts.total });
    readBody(req).then(
      (raw) => {
        const body = parseJsonObject(raw);
        const key = typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : undefined;
        const [status, out, effect] =
          body instanceof Error ? [400, { error: body.message }, false] : handle(method, p, body, key);
        const shadow = isShadow(req.headers);
        counts.total++;
        if (shadow !== undefined) counts.shadowTagged++;
        if (effect) counts.effects++;
        const routeKey = `${method} ${p.replace(/\/\d+(?=\/|$)/g, '/{id}')}`;
        counts.byRoute[routeKey] = (counts.byRoute[routeKey] ?? 0) + 1;
        if (log.length >= LOG_LIMIT) log.shift();
        const baggage = typeof req.headers.baggage === 'string' ? req.headers.baggage : undefined;
        log.push({ at: Date.now(), method, path: p, shadow, idempotencyKey: key, baggage, status });
        sendJson(res, status, out, { 'x-provider': name });
      },
      (err: unknown) => sendJson(res, err instanceof BodyTooLarge ? 413 : 400, { error: (err as Error).message }),
    );
  });

  function stats(): ProviderStats {
    return {
      name,
      total: counts.total,
      shadowTagged: counts.shadowTagged,
      byRoute: { ...counts.byRoute },
      effects: counts.effects,
      peakPerSecond: peak(log.map((r) => r.at)),
      shadowPeakPerSecond: peak(log.filter((r) => r.shadow !== undefined).map((r) => r.at)),
    };
  }

  return listen(server, opts.port ?? 0, opts.host).then((port) => ({
    name,
    port,
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    stats,
    requests: () => log.slice(),
    reset: () => {
      log = [];
      counts = { total: 0, shadowTagged: 0, effects: 0, byRoute: {} };
      charges = new Map();
    },
    close: () => closeServer(server),
  }));
}

export async function main(argv: string[]): Promise<RunningProvider> {
  const f = flags(argv);
  const name = f.name as ProviderName;
  if (!PROVIDER_NAMES.includes(name))
    throw new Error(`--name must be one of ${PROVIDER_NAMES.join(', ')}, got '${f.name}'`);
  const port = Number(f.port ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be a port number, got '${f.port}'`);
  const p = await startProvider({ name, port, host: f.host ?? '0.0.0.0' });
  process.stdout.write(`fake ${name} provider listening on :${p.port} (GET /stats)\n`);
  return p;
}

runAsScript(import.meta.url, 'providers', () => main(process.argv.slice(2)));
