// The demo's sample service "shop", in two versions: v1 (live, and the secondary copy) and v2 (the
// candidate) with one deliberate regression: POST /refunds/{id} refunds 90 % of the amount with status
// "pending". Every response carries request_id, timestamp and session_token, the volatile fields that
// make naive diffing useless. Dependencies (catalog, payments, email) are called directly, or, when an
// egress proxy is set, through it with the dependency's authority as Host: that is how a shadow's
// sidecar sees its calls. Like any well-behaved traced app, the shop copies the tracing and shadow
// headers of the inbound request onto its outbound calls (otherwise no egress filter could tell).
//
// CLI (one process per version): tsx sandbox/demo/shop.ts --version v1|v2 --port 8080
//   [--catalog URL] [--payments URL] [--email URL]   (default http://<name>:8080)
//   EGRESS_PROXY=http://envoy:10002                   (send every dependency call there)

import crypto from 'node:crypto';
import http from 'node:http';
import {
  BodyTooLarge,
  closeServer,
  flags,
  jsonOf,
  listen,
  parseJsonObject,
  readBody,
  runAsScript,
  send,
  sendJson,
} from './http.js';

export type ShopVersion = 'v1' | 'v2';
export const DEPENDENCIES = ['catalog', 'payments', 'email'] as const;
export type Dependency = (typeof DEPENDENCIES)[number];

/** Where a dependency lives: `authority` is its Host (what the egress listener routes on), `url` its direct address. */
export interface DependencyAddress {
  authority: string;
  url: string;
}

export interface ShopOptions {
  version: ShopVersion;
  port?: number;
  host?: string;
  dependencies: Record<Dependency, DependencyAddress>;
  /** http://host:port of the sidecar's egress listener; absent = call dependencies directly. A function is
   *  read per call (the demo learns the mesh's listener ports after the apps are up). */
  egressProxy?: string | (() => string | undefined);
  /** v2's new side effect in `npm start` (sandbox/demo/policy.ts showcasePolicy denies it): after an order,
   *  a fire-and-forget POST /events to this authority ('analytics:8080'); its failure never fails the order. */
  analyticsAuthority?: string;
}

export interface RunningShop {
  version: ShopVersion;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Inbound headers copied onto every outbound call (tracing + shadow markers + idempotency). */
export const PROPAGATED_HEADERS = [
  'x-request-id',
  'x-shadow',
  'x-shadow-pair',
  'baggage',
  'traceparent',
  'tracestate',
  'idempotency-key',
];

export const USER_COUNT = 100;

class DependencyError extends Error {
  constructor(
    readonly dependency: Dependency,
    readonly status: number,
  ) {
    super(`${dependency} answered ${status}`);
  }
}

const hex = (n: number) => crypto.randomBytes(n).toString('hex');
const volatile = () => ({
  request_id: `req_${hex(8)}`,
  timestamp: new Date().toISOString(),
  session_token: crypto.randomBytes(18).toString('base64url'),
});

export function userRecord(id: number) {
  return { id, name: `Customer ${id}`, email: `customer${id}@example.com`, tier: id % 5 === 0 ? 'gold' : 'standard' };
}

/** Order ids derive from the idempotency key when there is one, so live and shadow agree on them. */
function orderId(key: string | undefined): string {
  return `ord_${key ? crypto.createHash('sha256').update(key).digest('hex').slice(0, 12) : hex(6)}`;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export function startShop(opts: ShopOptions): Promise<RunningShop> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

  async function call(
    dep: Dependency,
    inbound: http.IncomingHttpHeaders,
    method: string,
    p: string,
    body?: unknown,
  ): Promise<Record<string, unknown>> {
    const addr = opts.dependencies[dep];
    const headers: Record<string, string> = { host: addr.authority, accept: 'application/json' };
    for (const h of PROPAGATED_HEADERS) {
      const v = inbound[h];
      if (typeof v === 'string') headers[h] = v;
    }
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const proxy = typeof opts.egressProxy === 'function' ? opts.egressProxy() : opts.egressProxy;
    const base = proxy ?? addr.url;
    const res = await send(`${base}${p}`, { method, headers, body: payload, agent, timeoutMs: 5000 });
    if (res.status < 200 || res.status >= 300) throw new DependencyError(dep, res.status);
    const json = jsonOf(res);
    return json !== null && typeof json === 'object' ? (json as Record<string, unknown>) : {};
  }

  /** Best effort: the shadow's allowlist decides what happens to it; the order answers either way. */
  async function analytics(inbound: http.IncomingHttpHeaders, order: string): Promise<void> {
    const headers: Record<string, string> = { host: opts.analyticsAuthority!, 'content-type': 'application/json' };
    for (const h of PROPAGATED_HEADERS) {
      const v = inbound[h];
      if (typeof v === 'string') headers[h] = v;
    }
    const proxy = typeof opts.egressProxy === 'function' ? opts.egressProxy() : opts.egressProxy;
    if (!proxy) return; // only ever sent through the sidecar
    await send(`${proxy}/events`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ type: 'order_placed', order }),
      agent,
      timeoutMs: 2000,
    }).catch(() => undefined);
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://shop');
    const method = req.method ?? 'GET';
    const seg = url.pathname.split('/').filter(Boolean);
    const id = seg.length === 2 && /^\d{1,9}$/.test(seg[1]) ? Number(seg[1]) : undefined;
    const h = req.headers;
    const key = typeof h['idempotency-key'] === 'string' ? h['idempotency-key'] : undefined;
    const common = { 'x-shop-version': opts.version };

    if (method === 'GET' && url.pathname === '/healthz')
      return sendJson(res, 200, { ok: true, version: opts.version }, common);
    if (method === 'GET' && seg[0] === 'users' && id !== undefined) {
      if (id < 1 || id > USER_COUNT) return sendJson(res, 404, { error: 'no such user', ...volatile() }, common);
      return sendJson(res, 200, { user: userRecord(id), ...volatile() }, common);
    }
    if (method === 'GET' && seg[0] === 'products' && id !== undefined) {
      const item = await call('catalog', h, 'GET', `/items/${id}`);
      return sendJson(res, 200, { product: { ...item, available: true }, ...volatile() }, common);
    }
    const body = parseJsonObject(await readBody(req));
    if (body instanceof Error) return sendJson(res, 400, { error: body.message }, common);
    if (method === 'POST' && url.pathname === '/orders') {
      const userId = Number(body?.userId);
      const productId = Number(body?.productId);
      const quantity = Number(body?.quantity ?? 1);
      if (!Number.isInteger(userId) || !Number.isInteger(productId) || !Number.isInteger(quantity) || quantity < 1) {
        return sendJson(res, 400, { error: 'userId, productId and quantity must be positive integers' }, common);
      }
      const item = await call('catalog', h, 'GET', `/items/${productId}`);
      const total = round2(Number(item.price) * quantity);
      const id = orderId(key);
      const charge = await call('payments', h, 'POST', '/charges', {
        amount: total,
        currency: 'EUR',
        customer: userId,
        order: id,
      });
      const mail = await call('email', h, 'POST', '/send', {
        to: userRecord(userId).email,
        template: 'order-confirmation',
        order: id,
      });
      if (opts.analyticsAuthority) void analytics(h, id);
      return sendJson(
        res,
        201,
        {
          order: {
            id,
            userId,
            productId,
            quantity,
            total,
            currency: 'EUR',
            status: 'confirmed',
            payment: charge.status ?? 'unknown',
            confirmationQueued: mail.queued === true,
          },
          ...volatile(),
        },
        common,
      );
    }
    if (method === 'POST' && seg[0] === 'refunds' && id !== undefined) {
      const amount = Number(body?.amount);
      if (!(amount > 0)) return sendJson(res, 400, { error: 'amount must be a positive number' }, common);
      await call('payments', h, 'POST', '/refunds', { order: id, amount });
      // The deliberate regression of the demo: v2 keeps a 10 % restocking fee and leaves the refund pending.
      const refund =
        opts.version === 'v2'
          ? { orderId: id, amount: round2(amount * 0.9), currency: 'EUR', status: 'pending' }
          : { orderId: id, amount: round2(amount), currency: 'EUR', status: 'refunded' };
      return sendJson(res, 200, { refund, ...volatile() }, common);
    }
    return sendJson(res, 404, { error: 'not found' }, common);
  }

  const server = http.createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (res.headersSent) return res.destroy();
      if (err instanceof BodyTooLarge) return sendJson(res, 413, { error: err.message });
      if (err instanceof DependencyError)
        return sendJson(res, 502, { error: err.message, dependency: err.dependency, status: err.status });
      sendJson(res, 502, { error: `dependency call failed: ${(err as Error).message}` });
    });
  });
  server.keepAliveTimeout = 5000;
  return listen(server, opts.port ?? 0, opts.host).then((port) => ({
    version: opts.version,
    port,
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    close: async () => {
      agent.destroy();
      await closeServer(server);
    },
  }));
}

/** The CLI entry (see the header): one version per process, as docker-compose runs it. */
export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<RunningShop> {
  const f = flags(argv);
  const version = f.version ?? 'v1';
  if (version !== 'v1' && version !== 'v2') throw new Error(`--version must be v1 or v2, got '${version}'`);
  const port = Number(f.port ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be a port number, got '${f.port}'`);
  const dependencies = Object.fromEntries(
    DEPENDENCIES.map((d) => {
      const url = f[d] ?? `http://${d}:8080`;
      return [d, { authority: new URL(url).host, url }];
    }),
  ) as Record<Dependency, DependencyAddress>;
  const shop = await startShop({
    version,
    port,
    host: f.host ?? '0.0.0.0',
    dependencies,
    egressProxy: env.EGRESS_PROXY || undefined,
  });
  process.stdout.write(
    `shop ${version} listening on :${shop.port}${env.EGRESS_PROXY ? ` (egress via ${env.EGRESS_PROXY})` : ''}\n`,
  );
  return shop;
}

runAsScript(import.meta.url, 'shop', () => main(process.argv.slice(2), process.env));
