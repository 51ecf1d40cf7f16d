// `npm start`: the demo on this machine. Starts everything startDemo starts with the showcase policy
// (a mirror ramp it starts at once, a denied destination, a rate-limited one: sandbox/demo/policy.ts),
// prints where to look, sends a realistic traffic mix through the edge, and prints a short progress
// line every few seconds (pairs per endpoint, ramp, egress decisions, what the fake providers received)
// and one human line per new alert, until the traffic budget is spent (never with --requests 0); then it
// keeps serving until Ctrl-C. The control plane's JSON log goes to a file (its path is printed).
// Ctrl-C stops traffic and closes everything in order; a second Ctrl-C exits at once.
//
//   tsx sandbox/demo/start.ts [--http-port 8080] [--grpc-port 18000] [--edge-port 10000] [--reset]
//        [--data-dir data/demo] [--rate 20] [--requests 3000|0] [--editor-token T[,T…]] [--viewer-token T[,T…]]
// --reset starts from an empty data directory (policies, reports, alerts and the log of earlier runs go).
// Providers listen on 18081 (email), 18082 (payments), 18083 (catalog). A busy default port falls back to
// an ephemeral one (the printed URLs are the truth). Everything binds to loopback. Without tokens the REST API runs unauthenticated (dev mode); --editor-token/--viewer-token
// (or SHADOWGUARD_EDITOR_TOKENS / SHADOWGUARD_VIEWER_TOKENS, comma-separated, as the control plane reads
// them) turn authentication on, and the demo's policy is then seeded as the first editor token's holder.

import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { flags } from './http.js';
import { startDemo, type Demo, type DemoOptions } from './index.js';
import { DEMO_POLICY_NAME, showcasePolicy } from './policy.js';
import { apiTokens, tokensFromCli, type DemoTokens } from './tokens.js';
import { runTraffic } from './traffic.js';
import { alertLine, type AlertLine } from './start-lines.js';

const WASM = 'build/shadowguard.wasm';
const PROVIDER_PORTS = { email: 18081, payments: 18082, catalog: 18083 };
const ROUND = 1000; // --requests 0: rounds of this many planned requests, each with its own seed

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
  if (reports.length > 0 && state.firstReportAt === undefined) state.firstReportAt = Date.now() - startedAt;
  const eps = reports
    .map((r) => `${r.endpoint} ${r.pairs} pairs ${Number(r.mismatchRate).toFixed(0)}% mismatch`)
    .join(' | ');
  const c = demo.counts();
  const ramp = await demo.client
    .request<{ status: string; percent: number }>('GET', `/policies/${DEMO_POLICY_NAME}/ramp`)
    .then((r) => `ramp ${r.status} at ${r.percent} %`)
    .catch(() => 'no ramp');
  const map = await demo.client.blastRadius(DEMO_POLICY_NAME).catch(() => undefined);
  const decisions = { allowed: 0, mocked: 0, denied: 0, rate_limited: 0 };
  for (const svc of map?.services ?? [])
    for (const d of svc.destinations)
      for (const k of Object.keys(decisions) as Array<keyof typeof decisions>) decisions[k] += d.decisions[k] ?? 0;
  return (
    `[${((Date.now() - startedAt) / 1000).toFixed(0)}s] ${eps || 'no pairs yet'}\n` +
    `      ${ramp} · shadow egress: ${decisions.allowed} allowed, ${decisions.mocked} mocked, ${decisions.denied} denied, ${decisions.rate_limited} rate-limited` +
    ` · providers received: e-mails ${c.email.total} (from shadows ${c.email.shadowTagged}), charges+refunds ${c.payments.total}` +
    ` (from shadows ${c.payments.shadowTagged}), catalog reads ${c.catalog.total} (from shadows ${c.catalog.shadowTagged})\n`
  );
}

export async function run(argv: string[]): Promise<void> {
  const reset = argv.includes('--reset'); // the one flag without a value
  const f = flags(argv.filter((a) => a !== '--reset'));
  if (!fs.existsSync(WASM)) throw new Error(`${WASM} is missing: run \`npm run build:wasm\` first (npm start does)`);
  const rate = intFlag(f, 'rate', 20, 1, 1000);
  const requests = intFlag(f, 'requests', 3000, 0, 1_000_000); // 0: until Ctrl-C
  const tokens = tokensFromCli(f, process.env);
  apiTokens(tokens); // a bad token fails here, before anything starts
  const dataDir = f['data-dir'] ?? 'data/demo';
  if (reset) fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  // The control plane's JSON log goes to a file: the terminal shows people's lines only.
  const logFile = path.join(dataDir, 'control-plane.log');
  const logger = pino(
    { level: 'info', base: { service: 'shadow-control-plane' } },
    pino.destination({ dest: logFile, sync: false }),
  );
  const startedAt = Date.now();
  const demo = await startWithFallback({
    tokens,
    httpPort: intFlag(f, 'http-port', 8080, 0, 65535),
    grpcPort: intFlag(f, 'grpc-port', 18000, 0, 65535),
    edgePort: intFlag(f, 'edge-port', 10000, 0, 65535),
    providerPorts: PROVIDER_PORTS,
    dataDir,
    logger,
    policy: showcasePolicy(),
    showcase: true,
  });
  // The seeded policy's ramp mirrors nothing until started: start it, as an operator would.
  const ramp = await demo.client
    .request<{ status: string; percent: number }>('POST', `/policies/${DEMO_POLICY_NAME}/ramp/start`)
    .then((r) => `started at ${r.percent} %`)
    .catch((err: Error) => `not started (${err.message})`);
  const u = demo.urls;
  process.stdout.write(
    [
      '',
      `Shadowguard demo is up (${Date.now() - startedAt} ms). Traffic: ${requests === 0 ? 'until Ctrl-C' : `${requests} requests`} at ${rate}/s through ${u.edge} (Host: shop).`,
      `Mirror ramp ${ramp} (25 → 50 → 100 %, 20 s holds); v2's new analytics call is denied, shadow catalog reads are rate-limited.`,
      `API authentication: ${authMode(tokens)}`,
      '',
      `  per-endpoint diff reports   ${u.reports}`,
      `  one endpoint, side by side  ${u.reports}/endpoints/${encodeURIComponent('POST /refunds/{id}')}`,
      `  blast-radius map            ${u.blastRadius}`,
      `  regression alerts           ${u.alerts}`,
      `  connected filters           ${u.nodes}`,
      `  dashboard · API docs        ${demo.controlPlane.httpUrl}/ · ${u.docs}`,
      `  fake providers' counters    ${Object.values(u.providers).join('  ')}`,
      `  SQLite                      ${u.database}${reset ? ' (reset)' : ' (--reset starts empty)'}`,
      `  control-plane log (JSON)    ${logFile}`,
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
  // One human line per new alert (the JSON version is in the log file).
  let lastAlert = 0;
  const alertTicker = setInterval(() => {
    demo.client.alerts(DEMO_POLICY_NAME).then(
      (alerts) => {
        for (const a of [...(alerts as unknown as AlertLine[])].reverse()) {
          if (a.id <= lastAlert || closing) continue;
          lastAlert = a.id;
          process.stdout.write(alertLine(a, u.reports));
        }
      },
      () => undefined,
    );
  }, 1000);
  let shownFailures = 0;
  const summary = { sent: 0, ok: 0, failed: 0 };
  for (let round = 0; !closing && (requests === 0 || summary.sent < requests); round++) {
    const r = await runTraffic({
      target: u.edge,
      requests: requests === 0 ? ROUND : requests,
      seed: round + 1,
      ratePerSecond: rate,
      concurrency: 8,
      signal: abort.signal,
      onResponse: (res) => {
        if ((res.status >= 200 && res.status < 300) || shownFailures >= 5 || closing) return;
        shownFailures++;
        process.stdout.write(
          `live request failed: ${res.method} ${res.path} → ${res.status || res.error} ${res.body === undefined ? '' : JSON.stringify(res.body)}\n`,
        );
      },
    });
    summary.sent += r.sent;
    summary.ok += r.ok;
    summary.failed += r.failed;
  }
  clearInterval(ticker);
  clearInterval(alertTicker);
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
