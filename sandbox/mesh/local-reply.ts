// The local replies Envoy's router and HCM send themselves, with Envoy's bodies and response code
// details (source/common/router/router.cc, source/common/http/utility.cc sendLocalReply): a non-empty
// body gets `content-type: text/plain` and `content-length`.

import type { HeaderList } from './routing.js';
import type { ResetReason } from './upstream.js';

export interface LocalReply {
  status: number;
  body: string;
  details: string;
}

export const ROUTE_NOT_FOUND: LocalReply = { status: 404, body: '', details: 'route_not_found' };
export const NO_HEALTHY_UPSTREAM: LocalReply = {
  status: 503,
  body: 'no healthy upstream',
  details: 'no_healthy_upstream',
};
export const UPSTREAM_TIMEOUT: LocalReply = {
  status: 504,
  body: 'upstream request timeout',
  details: 'upstream_response_timeout',
};

/** Router::Filter::onUpstreamReset before response headers: 503 with the reset reason spelled out. */
export function upstreamReset(reason: ResetReason, transportFailure: string): LocalReply {
  const body =
    'upstream connect error or disconnect/reset before headers. ' +
    `reset reason: ${reason}${transportFailure ? `, transport failure reason: ${transportFailure}` : ''}`;
  return { status: 503, body, details: `upstream_reset_before_response_started{${reason.replace(/ /g, '_')}}` };
}

export function localReplyHeaders(r: LocalReply): HeaderList {
  const h: HeaderList = [[':status', String(r.status)]];
  if (r.body.length > 0) {
    h.push(['content-length', String(Buffer.byteLength(r.body))], ['content-type', 'text/plain']);
  }
  return h;
}
