// The JSON body parser. Fastify's own parser answers every syntax error with the same sentence; this
// one says where the JSON broke, and still refuses '__proto__' keys (prototype poisoning).

import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

class BodyError extends Error {
  readonly statusCode = 400;
}

export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new BodyError('body is empty but content-type is application/json');
  try {
    return JSON.parse(text, (key, value: unknown) => {
      if (key === '__proto__') throw new BodyError("body contains a '__proto__' key, which is not allowed");
      return value;
    });
  } catch (err) {
    if (err instanceof BodyError) throw err;
    throw new BodyError(`body is not valid JSON: ${(err as Error).message}`);
  }
}

export const jsonBodyPlugin = fp(
  async (app: FastifyInstance) => {
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, parseJsonBody(body as string));
      } catch (err) {
        done(err as Error, undefined);
      }
    });
  },
  { name: 'json-body', fastify: '5.x' },
);
