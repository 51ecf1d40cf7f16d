// Optimistic concurrency over HTTP: GET returns ETag "<version>"; a write may send If-Match with that
// version (412 when someone else wrote in between) or If-None-Match: * to create only.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Policy } from '../../domain/types.js';
import type { ApiDeps } from '../deps.js';
import type { WriteOptions } from '../../store/types.js';

class HeaderError extends Error {
  readonly statusCode = 400;
}

export function writeOptions(request: FastifyRequest): WriteOptions {
  const opts: WriteOptions = {};
  const ifMatch = request.headers['if-match'];
  if (ifMatch !== undefined) {
    const m = /^\s*(?:W\/)?"?([1-9][0-9]{0,9})"?\s*$/.exec(ifMatch);
    if (!m) throw new HeaderError(`headers/if-match must be a policy version such as "3", got '${ifMatch}'`);
    opts.ifVersion = Number(m[1]);
  }
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*') throw new HeaderError("headers/if-none-match supports only '*' (create only)");
    opts.ifAbsent = true;
  }
  return opts;
}

export function setEtag(reply: FastifyReply, policy: Pick<Policy, 'version'>): void {
  void reply.header('etag', `"${policy.version}"`);
}

/** Tells the snapshot cache; the write already happened, so a failure here is logged, not returned. */
export async function notifyChange(deps: ApiDeps, request: FastifyRequest): Promise<void> {
  try {
    await deps.onPolicyChange();
  } catch (err) {
    request.log.error({ err }, 'policy saved but the snapshot cache refused the change');
  }
}

export const who = (request: FastifyRequest): string => request.principal?.name ?? 'unknown';
