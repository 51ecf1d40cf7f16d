// `shadowguard verdict --exit-code` for CI gates, for each verdict: a small real HTTP server answers
// GET /api/v1/policies/{name}/verdict as the verdict API does ({ verdict, reasons: [{kind, verdict,
// message}] }), since a real control plane reaches pass and fail only after real traffic (cli.test.ts
// runs the CLI against the real API for the inconclusive case). Also checks the token and the path.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { run } from '../../cli/main.js';
import { VERDICT_EXIT } from '../../cli/commands/observe.js';

const answers: Record<string, { status: number; body: unknown }> = {
  good: { status: 200, body: { policy: 'good', verdict: 'pass', reasons: ['all 12 endpoints under 1 % mismatch'] } },
  bad: {
    status: 200,
    body: {
      policy: 'bad',
      verdict: 'fail',
      reasons: [
        {
          kind: 'mismatch',
          verdict: 'fail',
          endpoint: 'POST /refunds/{id}',
          message: 'POST /refunds/{id}: 40 % mismatch',
        },
      ],
    },
  },
  thin: { status: 200, body: { policy: 'thin', verdict: 'inconclusive', reasons: ['3 pairs, 100 needed'] } },
  odd: { status: 200, body: { policy: 'odd', verdict: 'maybe' } },
};
const seen: Array<{ url?: string; auth?: string }> = [];
let server: http.Server;
let url: string;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ url: req.url, auth: req.headers.authorization });
    const m = /^\/api\/v1\/policies\/([^/]+)\/verdict$/.exec(req.url ?? '');
    const a = m ? answers[decodeURIComponent(m[1])] : undefined;
    res.writeHead(a?.status ?? 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(a?.body ?? { statusCode: 404, error: 'Not Found', message: 'no such policy' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function verdict(...args: string[]) {
  const out: string[] = [];
  const code = await run(['verdict', ...args], {
    out: (s) => out.push(s),
    err: (s) => out.push(s),
    env: { SHADOWGUARD_SERVER: url, SHADOWGUARD_TOKEN: 'a-viewer-token-0123' },
  });
  return { code, out: out.join('\n') };
}

it('maps pass, fail and inconclusive to distinct exit codes with --exit-code', async () => {
  expect(await verdict('good', '--exit-code')).toEqual({
    code: VERDICT_EXIT.pass,
    out: 'good: PASS\n  - all 12 endpoints under 1 % mismatch',
  });
  expect(await verdict('bad', '--exit-code')).toEqual({
    code: 3,
    out: 'bad: FAIL\n  - fail: POST /refunds/{id}: 40 % mismatch',
  });
  expect((await verdict('thin', '--exit-code')).code).toBe(4);
  expect(seen.at(-1)).toEqual({ url: '/api/v1/policies/thin/verdict', auth: 'Bearer a-viewer-token-0123' });
});

it('without --exit-code a fail still exits 0 (it printed the verdict); errors are 1, never a pass', async () => {
  expect((await verdict('bad')).code).toBe(0);
  const missing = await verdict('nope', '--exit-code');
  expect(missing.code).toBe(1);
  expect(missing.out).toMatch(/404 no such policy/);
  const odd = await verdict('odd', '--exit-code');
  expect(odd.code).toBe(1);
  expect(odd.out).toMatch(/unknown verdict 'maybe'/);
  expect(JSON.parse((await verdict('thin', '-o', 'json')).out)).toMatchObject({ verdict: 'inconclusive' });
});
