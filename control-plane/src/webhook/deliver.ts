// Delivering one alert to one webhook: the body in the chosen format (our JSON event, or Slack's
// {text}), signed per Standard Webhooks (https://www.standardwebhooks.com: `webhook-id`,
// `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, the id
// stable across retries so receivers deduplicate), retried with exponential backoff and full jitter
// on network errors, timeouts, 408, 429 and 5xx (Retry-After honoured up to the backoff cap), bounded
// by an attempt count. Requests go out through node:http(s) with the guarded lookup of target.ts.
// Nothing here logs or returns the URL: it is a secret (issue 14, finding 12).

import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { guardedLookup, urlProblem, type TargetRules } from './target.js';

export type WebhookFormat = 'standard' | 'slack';

export interface DeliveryOptions {
  rules: TargetRules;
  /** Standard Webhooks secret: 'whsec_<base64>' (the base64 part is the key) or any other string (its UTF-8 bytes). */
  secret?: string;
  timeoutMs: number;
  /** attempts in all, first one included (default 4) */
  attempts: number;
  /** first backoff; doubles per retry up to maxBackoffMs (defaults 500 ms and 30 s) */
  backoffMs: number;
  maxBackoffMs: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface DeliveryResult {
  ok: boolean;
  attempts: number;
  /** last HTTP status, when one was received */
  status?: number;
  /** why the last attempt failed (no URL in it) */
  error?: string;
}

export function signingKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

/** The Standard Webhooks signature header value for one attempt. */
export function sign(secret: string, id: string, timestamp: number, body: string): string {
  const mac = crypto.createHmac('sha256', signingKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The request body for an alert in a format. */
export function formatBody(alert: Record<string, unknown>, format: WebhookFormat): string {
  if (format === 'slack') {
    const source = alert.source === 'ramp' ? 'ramp' : 'endpoint';
    return JSON.stringify({ text: `:rotating_light: Shadowguard ${source} alert: ${String(alert.message ?? '')}` });
  }
  return JSON.stringify({ type: 'shadowguard.alert', alert }); // the time is in webhook-timestamp
}

const RETRYABLE = (status: number) => status === 408 || status === 429 || status >= 500;

export async function deliver(
  url: string,
  id: string,
  alert: Record<string, unknown>,
  format: WebhookFormat,
  opts: DeliveryOptions,
): Promise<DeliveryResult> {
  const problem = urlProblem(url, opts.rules);
  if (problem) return { ok: false, attempts: 0, error: `webhook URL ${problem}` };
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let last: DeliveryResult = { ok: false, attempts: 0 };
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    const now = new Date();
    const body = formatBody(alert, format);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'shadowguard-control-plane',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    };
    if (opts.secret) headers['webhook-signature'] = sign(opts.secret, id, Number(headers['webhook-timestamp']), body);
    const r = await post(url, headers, body, opts);
    last = { ok: r.status !== undefined && r.status >= 200 && r.status < 300, attempts: attempt, ...r };
    if (last.ok || (r.status !== undefined && !RETRYABLE(r.status)) || r.final) break;
    if (attempt < opts.attempts) {
      const cap = Math.min(opts.maxBackoffMs, opts.backoffMs * 2 ** (attempt - 1));
      const wait = r.retryAfterMs !== undefined ? Math.min(r.retryAfterMs, opts.maxBackoffMs) : Math.random() * cap;
      await sleep(wait);
    }
  }
  const { ok, attempts, status, error } = last;
  return { ok, attempts, ...(status !== undefined ? { status } : {}), ...(error ? { error } : {}) };
}

interface PostResult {
  status?: number;
  error?: string;
  retryAfterMs?: number;
  /** refused by the target rules: retrying cannot help */
  final?: boolean;
}

function post(url: string, headers: Record<string, string>, body: string, opts: DeliveryOptions): Promise<PostResult> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const req = mod.request(
      u,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: guardedLookup(opts.rules),
        timeout: opts.timeoutMs,
        agent: false,
      },
      (res) => {
        res.resume(); // the answer's body is not read: only the status matters
        const status = res.statusCode ?? 0;
        const ra = res.headers['retry-after'];
        const secs = ra !== undefined && /^\d+$/.test(String(ra)) ? Number(ra) * 1000 : undefined;
        resolve({ status, ...(secs !== undefined ? { retryAfterMs: secs } : {}) });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) =>
      resolve({
        error: err.message,
        ...(err.code === 'EREFUSED' && /webhook host/.test(err.message) ? { final: true } : {}),
      }),
    );
    req.end(body);
  });
}
