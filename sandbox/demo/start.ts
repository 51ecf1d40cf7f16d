// `npm start`: the demo on this machine. Starts everything startDemo starts, prints where to look,
// sends a bounded realistic traffic mix through the edge, and prints a short progress line every few
// seconds (pairs per endpoint, alerts, what the fake providers received) until the traffic budget is
// spent; then it keeps serving until Ctrl-C. Ctrl-C stops traffic and closes everything in order; a
// second Ctrl-C exits at once.
//
//   tsx sandbox/demo/start.ts [--http-port 8080] [--grpc-port 18000] [--edge-port 10000]
//        [--data-dir data/demo] [--rate 20] [--requests 3000] [--editor-token T[,T…]] [--viewer-token T[,T…]]
// A busy default port falls back to an ephemeral one (the printed URLs are the truth). Everything binds
// to loopback. Without tokens the REST API runs unauthenticated (dev mode); --editor-token/--viewer-token
// (or SHADOWGUARD_EDITOR_TOKENS / SHADOWGUARD_VIEWER_TOKENS, comma-separated, as the control plane reads
// them) turn authentication on, and the demo's policy is then seeded as the first editor token's holder.

import fs from 'node:fs';
import { flags } from './http.js';
import { startDemo, type Demo, type DemoOptions } from './index.js';
import { DEMO_POLICY_NAME } from './policy.js';
import { apiTokens, tokensFromCli, type DemoTokens } from './tokens.js';
import { runTraffic } from './traffic.js';

const WASM = 'build/shadowguard.wasm';

function intFlag(f: Record<string, string>, name: string, def: number, min: number, max: number): number {
  const v = f[name] === undefined ? def : Number(f[name]);
  if (!Number.isInteger(v) || v < min || v > max)
    throw new Error(`--${name} must be an integer from ${min} to ${max}, got '${f[name]}'`);
  return v;
}

async function startWithFallback(opts: DemoOptions): Promise<Demo> {
  try {
    return await startDemo(opts);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    process.stdout.write(`a default port is busy (${(err as Error).message}); using ephemeral ports\n`);
    return startDemo({ ...opts, httpPort: 0, grpcPort: 0, edgePort: 0 });
  }
}

/** The printed auth mode: names and roles, never the tokens themselves. */
function authMode(tokens: DemoTokens | undefined): string {
  const list = apiTokens(tokens);
  if (list.length === 0)
    return 'off (dev mode on loopback: anyone on this machine can read and edit; --editor-token / --viewer-token turn it on)';
  const names = (role: string) => list.filter((t) => t.role === role).map((t) => t.name);
  return (
    `tokens: editor ${names('editor').join(', ') || 'none'}; viewer ${names('viewer').join(', ') || 'none'} ` +
    '(the dashboard asks for one; API calls need "authorization: Bearer <token>")'
  );
}

async function progress(demo: Demo, startedAt: number, state: { firstReportAt?: number }): Promise<string> {
  const reports = await demo.client.reports(DEMO_POLICY_NAME);
  const alerts = await demo.client.alerts(DEMO_POLICY_NAME);
  if (reports.length > 0 && state.firstReportAt === undefined) state.firstReportAt = Date.now() - startedAt;
  const eps = reports
    .map((r) => `${r.endpoint} ${r.pairs} pairs ${Number(r.mismatchRate).toFixed(0)}% mismatch`)
    .join(' | ');
  const c = demo.counts();
  return (
    `[${((Date.now() - startedAt) / 1000).toFixed(0)}s] ${eps || 'no pairs yet'}\n` +
    `      alerts: ${alerts.map((a) => `${a.endpoint} (${a.rate.toFixed(0)}%)`).join(', ') || 'none'}` +
    ` · providers received: e-mails ${c.email.total} (from shadows ${c.email.shadowTagged}), charges+refunds ${c.payments.total}` +
    ` (from shadows ${c.payments.shadowTagged}), catalog reads ${c.catalog.total} (from shadows ${c.catalog.shadowTagged})\n`
  );
}

export async function run(argv: string[]): Promise<void> {
  const f = flags(argv);
  if (!fs.existsSync(WASM)) throw new Error(`${WASM} is missing: run \`npm run build:wasm\` first (npm start does)`);
  const rate = intFlag(f, 'rate', 20, 1, 1000);
  const requests = intFlag(f, 'requests', 3000, 1, 1_000_000);
  const tokens = tokensFromCli(f, process.env);
  apiTokens(tokens); // a bad token fails here, before anything starts
  const startedAt = Date.now();
  const demo = await startWithFallback({
    tokens,
    httpPort: intFlag(f, 'http-port', 8080, 0, 65535),
    grpcPort: intFlag(f, 'grpc-port', 18000, 0, 65535),
    edgePort: intFlag(f, 'edge-port', 10000, 0, 65535),
    dataDir: f['data-dir'] ?? 'data/demo',
    logLevel: 'warn',
  });
  const u = demo.urls;
  process.stdout.write(
    [
      '',
      `Shadowguard demo is up (${Date.now() - startedAt} ms). Traffic: ${requests} requests at ${rate}/s through ${u.edge} (Host: shop).`,
      `API authentication: ${authMode(tokens)}`,
      '',
      `  per-endpoint diff reports   ${u.reports}`,
      `  one endpoint, side by side  ${u.reports}/endpoints/${encodeURIComponent('POST /refunds/{id}')}`,
      `  blast-radius map            ${u.blastRadius}`,
      `  regression alerts           ${u.alerts}`,
      `  connected filters           ${u.nodes}`,
      `  dashboard · API docs        ${demo.controlPlane.httpUrl}/ · ${u.docs}`,
      `  fake providers' counters    ${Object.values(u.providers).join('  ')}`,
      `  SQLite                      ${u.database}`,
      '',
      `  try: curl -s -H 'host: shop' ${u.edge}/users/7`,
      '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );

  const abort = new AbortController();
  let closing = false;
  const stop = () => {
    if (closing) process.exit(1);
    closing = true;
    process.stdout.write('\nstopping…\n');
    abort.abort();
    demo.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const state: { firstReportAt?: number } = {};
  // Time to first report, measured from process start at 250 ms resolution (the README's "one minute").
  void (async () => {
    while (!closing && state.firstReportAt === undefined) {
      const reports = await demo.client.reports(DEMO_POLICY_NAME).catch(() => []);
      if (reports.length > 0) {
        state.firstReportAt = Date.now() - startedAt;
        process.stdout.write(
          `first per-endpoint report after ${(state.firstReportAt / 1000).toFixed(1)} s: ${u.reports}\n`,
        );
      } else await new Promise((r) => setTimeout(r, 250));
    }
  })();
  const ticker = setInterval(() => {
    progress(demo, startedAt, state).then(
      (line) => {
        if (!closing) process.stdout.write(line);
      },
      () => undefined,
    );
  }, 5000);
  let shownFailures = 0;
  const summary = await runTraffic({
    target: u.edge,
    requests,
    ratePerSecond: rate,
    concurrency: 8,
    signal: abort.signal,
    onResponse: (r) => {
      if ((r.status >= 200 && r.status < 300) || shownFailures >= 5 || closing) return;
      shownFailures++;
      process.stdout.write(
        `live request failed: ${r.method} ${r.path} → ${r.status || r.error} ${r.body === undefined ? '' : JSON.stringify(r.body)}\n`,
      );
    },
  });
  clearInterval(ticker);
  if (closing) return;
  process.stdout.write(await progress(demo, startedAt, state));
  process.stdout.write(
    `traffic done: ${summary.sent} sent, ${summary.ok} ok, ${summary.failed} failed` +
      `${state.firstReportAt !== undefined ? `; first report after ${(state.firstReportAt / 1000).toFixed(1)} s` : ''}. ` +
      'Everything keeps running for you to explore; Ctrl-C stops it.\n',
  );
}

run(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`demo: ${(err as Error).message}\n`);
  process.exit(1);
});
