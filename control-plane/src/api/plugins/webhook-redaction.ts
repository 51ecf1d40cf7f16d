// Webhook URLs are secrets (issue 14, finding 12: Slack and Teams put the credential in the path):
// viewers get every policy document with alerts.webhook cut to its origin, in every answer of the
// scope this is registered in (policies, history, rollback). Editors, who can change it, see it whole.

import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export const REDACTED_SUFFIX = '/(redacted: visible to editors)';

function redactUrl(url: string): string {
  try {
    return `${new URL(url).origin}${REDACTED_SUFFIX}`;
  } catch {
    return REDACTED_SUFFIX.slice(1);
  }
}

/** A copy of `value` with every `webhook` string field redacted. */
export function redactWebhooks(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactWebhooks);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = k === 'webhook' && typeof v === 'string' ? redactUrl(v) : redactWebhooks(v);
  return out;
}

export const webhookRedactionPlugin = fp(
  async (app: FastifyInstance) => {
    // Only policy documents hold webhooks (list, one, history, rollback, PATCH/PUT answers): other
    // answers (reports with their examples can be large) are not walked.
    app.addHook('preSerialization', async (request, _reply, payload) =>
      request.principal?.role === 'editor' || !request.url.startsWith('/api/v1/policies')
        ? payload
        : redactWebhooks(payload),
    );
  },
  { name: 'webhook-redaction', fastify: '5.x' },
);
