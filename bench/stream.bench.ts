// End-to-end ingest rate over the real gRPC stream. One op = one batch of BATCH pairs (live half from
// an edge node's stream, candidate half from a shadow node's stream, ~2 KiB JSON bodies each), timed
// until the control plane's report for the policy counts them all; per-pair time = median/op ÷ BATCH.
//
// Baseline: the same pairs handed to Ingest's handlers in-process (pair → compare → report, no codec,
// no gRPC), so a case's ratio is what the transport costs on top of the engine. Cases:
//   codec round trip — encodeFilterMessage → decodeFilterMessage → Ingest (the protobuf share, no I/O)
//   gRPC, 1+1 / 4+4 streams — control-plane/src/main.ts start() (temp data dir, ports 0, 127.0.0.1,
//     no auth) with fake filters speaking the production codec: either in this process (as in
//     test/control-plane/api/grpc-client.ts: their encoding and HTTP/2 framing share the one JS thread
//     with the server) or in a child process (bench/stream-sender.ts, numbered halves as the filter
//     sends them, one per gRPC message or in Batch messages of 32) so the control plane's thread does
//     only its own work, as with real Envoys.
// Completion is read through the public surface, GET /api/v1/reports/<policy> (sum of endpoint
// pairs), polled a few times per batch (see run()); the cost of one poll is printed at setup.
import { type ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { comparePair } from '../control-plane/src/compare/index.js';
import type { ControlPlaneConfig } from '../control-plane/src/config.js';
import { loopbackConfig } from '../test/fixtures/control-plane-config.js';
import type { Half, Policy } from '../control-plane/src/domain/types.js';
import { Ingest } from '../control-plane/src/ingest.js';
import { start, type RunningControlPlane } from '../control-plane/src/main.js';
import { Pairer } from '../control-plane/src/pairing/pairer.js';
import { ReportBook } from '../control-plane/src/reports/aggregate.js';
import { BlastRadius } from '../control-plane/src/reports/blast-radius.js';
import { decodeFilterMessage, encodeFilterMessage } from '../control-plane/src/stream/codec.js';
import { TestFilter } from '../test/control-plane/api/grpc-client.js';
import { corpus, edgeHello, pairsOf, SERVICE, shadowHello, spec } from './stream-corpus.js';
import type { BenchCase, BenchSuite } from './run.js';
import { startPostgres, startRedis, type RealServer } from '../test/data-layer/servers.js';
import { freshDatabase } from '../test/fixtures/postgres.js';

const BATCH = Number(process.env.SG_STREAM_BATCH ?? 500);
const POLL_MS = 1;
const BATCH_TIMEOUT_MS = 60_000;
const POLICY = 'bench';
const SENDER = fileURLToPath(new URL('./stream-sender.ts', import.meta.url));

let batchNo = 0;
const nextBatchNo = () => batchNo++;
const nextBatch = () => pairsOf(nextBatchNo(), BATCH);

/** Ingest wired as main.ts wires it, minus the store (alerts are dropped) and the dashboard feed. */
function inProcessIngest(): Ingest {
  const policy: Policy = { name: POLICY, version: 1, spec, updatedAt: new Date(0).toISOString(), updatedBy: 'bench' };
  return new Ingest({
    policyFor: (s) => (s === SERVICE ? policy : undefined),
    pairer: new Pairer({ maxPending: 100_000 }),
    compare: comparePair,
    reports: new ReportBook(),
    blast: new BlastRadius(),
    store: {
      addAlert: async (a) => ({
        ...a,
        id: 0,
        delivered: false,
        delivery: 'pending' as const,
        state: 'open' as const,
        stateBy: null,
        stateAt: null,
      }),
      markAlertDelivered: async () => {},
    },
    logger: pino({ level: 'silent' }),
  });
}

function inProcessCase(name: string, viaCodec: boolean): BenchCase {
  let ingest: Ingest;
  const [edge, shadow] = [edgeHello(0), shadowHello(0)];
  const wire = (h: Half): Half => {
    const d = decodeFilterMessage(encodeFilterMessage({ kind: 'half', half: h }));
    if (!d.ok || d.value.kind !== 'half') throw new Error('codec round trip failed');
    return d.value.half;
  };
  return {
    name,
    setup() {
      ingest = inProcessIngest();
    },
    run() {
      for (const p of nextBatch()) {
        ingest.handlers.onHalf(viaCodec ? wire(p.live) : p.live, edge);
        ingest.handlers.onHalf(viaCodec ? wire(p.candidate) : p.candidate, shadow);
      }
      const s = ingest.stats();
      if (s.compareErrors > 0 || s.unmatched > 0) throw new Error(`ingest refused pairs: ${JSON.stringify(s)}`);
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fake filters in a child process: { started } once connected, { sent: b } after each batch. */
async function forkSender(port: number, streams: number, per: number, shadowPort?: number): Promise<ChildProcess> {
  const child = fork(SENDER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`stream-sender exited with ${code}`)));
    child.once('message', () => resolve());
    child.send({ start: { port, shadowPort, streams, per, size: BATCH } });
  });
  child.removeAllListeners('exit');
  return child;
}

/**
 * The replicated mode (docs/replicated.md) on throwaway PostgreSQL and Redis servers: replicas
 * started in this process (so with 2 they share its thread: the figure is the cost of the shared
 * path, not scale-out), the edge streams to the first, the shadow streams to the last.
 */
interface Replicated {
  replicas: 1 | 2;
}

function grpcCase(
  name: string,
  streamsPerSide: number,
  sender: { child: boolean; per: number },
  replicated?: Replicated,
): BenchCase {
  let dataDir: string | undefined;
  let cp: RunningControlPlane | undefined;
  let others: RunningControlPlane[] = [];
  let servers: RealServer[] = [];
  let clients: TestFilter[] = [];
  let child: ChildProcess | undefined;
  let expected = 0;
  const recentMs = [0];
  let polls = 0;
  let batches = 0;
  let cpuUs = 0; // this process's CPU time during ops: with the filters in a child, the control plane's own
  const removeDir = () => {
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  };
  const api = async (p: string, init: RequestInit = {}) => {
    const res = await fetch(`${cp!.httpUrl}/api/v1${p}`, {
      ...init,
      headers: { 'content-type': 'application/json', ...init.headers },
    });
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${p}: HTTP ${res.status} ${await res.text()}`);
    return res.json() as Promise<any>;
  };
  // The completion poll uses node:http on a keep-alive agent: fetch (undici) costs about twice as much per call.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const reportedPairs = () =>
    new Promise<number>((resolve, reject) => {
      http
        .get(`${cp!.httpUrl}/api/v1/reports/${POLICY}`, { agent }, (res) => {
          let text = '';
          res
            .setEncoding('utf8')
            .on('data', (c: string) => {
              text += c;
            })
            .on('error', reject)
            .on('end', () => {
              if (res.statusCode === 404) return resolve(0); // no pair reported yet
              if (res.statusCode !== 200)
                return reject(new Error(`GET /api/v1/reports/${POLICY}: HTTP ${res.statusCode} ${text}`));
              resolve(
                (JSON.parse(text) as { endpoints: Array<{ pairs: number }> }).endpoints.reduce(
                  (n, e) => n + e.pairs,
                  0,
                ),
              );
            });
        })
        .on('error', reject);
    });
  const teardown = async () => {
    for (const c of clients) c.close();
    clients = [];
    if (child?.connected) child.send({ stop: true });
    child = undefined;
    agent.destroy();
    if (cp) {
      const m = await fetch(`${cp.httpUrl}/metrics`).then(
        (r) => r.text(),
        () => '',
      );
      const stat = (metric: string) => new RegExp(`^${metric} (\\d+)`, 'm').exec(m)?.[1] ?? '?';
      console.log(
        `  [${name}] ingest: ${stat('shadowguard_pairing_pairs_total\\{outcome="completed"\\}')} pairs completed of ${expected} sent, unmatched ${stat('shadowguard_ingest_unmatched_halves_total')}, compareErrors ${stat('shadowguard_ingest_compare_errors_total')}; ${(polls / Math.max(batches, 1)).toFixed(1)} completion polls per batch; this process's CPU ${(cpuUs / Math.max(expected, 1)).toFixed(1)} µs per pair`,
      );
      for (const o of others) await o.close();
      others = [];
      await cp.close();
      cp = undefined;
    }
    for (const s of servers) await s.stop();
    servers = [];
    removeDir();
    process.off('exit', removeDir);
  };
  return {
    name,
    async setup() {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-bench-stream-'));
      process.on('exit', removeDir); // a crash mid-run still leaves no temp dir
      try {
        let config: ControlPlaneConfig = loopbackConfig(dataDir);
        if (replicated) {
          servers = await Promise.all([startPostgres(), startRedis()]);
          const [pgServer, redisServer] = servers;
          config = {
            ...config,
            store: { url: await freshDatabase(pgServer, 'sg_bench') },
            pairing: { ...config.pairing, redisUrl: `redis://127.0.0.1:${redisServer.port}` },
          };
        }
        cp = await start(config, { logger: pino({ level: 'silent' }) });
        if (replicated?.replicas === 2) {
          const dir2 = path.join(dataDir, 'replica-2');
          others = [await start({ ...config, dataDir: dir2 }, { logger: pino({ level: 'silent' }) })];
        }
        await api(`/policies/${POLICY}`, { method: 'PUT', body: JSON.stringify(spec) });
        const shadowPort = others[0]?.grpcPort;
        if (sender.child) child = await forkSender(cp.grpcPort, streamsPerSide, sender.per, shadowPort);
        else
          for (let k = 0; k < streamsPerSide; k++)
            clients.push(new TestFilter(cp.grpcPort, edgeHello(k)), new TestFilter(cp.grpcPort, shadowHello(k)));
        const until = Date.now() + 10_000;
        const connected = async () => {
          let n = 0;
          for (const c of [cp!, ...others]) {
            const r = await fetch(`${c.httpUrl}/api/v1/nodes`);
            n += ((await r.json()) as { nodes: Array<{ connected: boolean }> }).nodes.filter((x) => x.connected).length;
          }
          return n;
        };
        while ((await connected()) < 2 * streamsPerSide) {
          if (Date.now() > until) throw new Error('fake filters did not connect within 10 s');
          await sleep(10);
        }
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < 20; i++) await reportedPairs();
        console.log(
          `  [${name}] one completion poll (GET /api/v1/reports/${POLICY}) ≈ ${(Number(process.hrtime.bigint() - t0) / 20e3).toFixed(0)} µs`,
        );
      } catch (err) {
        await teardown(); // the servers must not outlive a failed setup (they would keep the process alive)
        throw err;
      }
    },
    async run() {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      if (child) child.send({ batch: nextBatchNo() });
      else {
        const batch = nextBatch();
        const edges = clients.filter((_, i) => i % 2 === 0);
        const shadows = clients.filter((_, i) => i % 2 === 1);
        for (const [i, p] of batch.entries()) {
          edges[i % edges.length].send({ kind: 'half', half: p.live });
          shadows[i % shadows.length].send({ kind: 'half', half: p.candidate });
        }
      }
      const before = expected;
      expected += BATCH;
      // Each poll is an HTTP request served by this same thread, so poll little: first sleep through
      // most of the quickest recent batch, then aim each next poll at the moment the rate seen so far
      // says the batch will be complete (a few polls per batch; their number is printed at the end).
      await sleep(Math.max(0, 0.7 * Math.min(...recentMs) - (performance.now() - t0)));
      const until = Date.now() + BATCH_TIMEOUT_MS;
      for (;;) {
        polls++;
        const seen = await reportedPairs();
        if (seen >= expected) break;
        if (Date.now() > until)
          throw new Error(`${name}: ${expected - seen} pairs not ingested within ${BATCH_TIMEOUT_MS} ms`);
        const perMs = (seen - before) / (performance.now() - t0);
        await sleep(perMs > 0 ? Math.min(50, Math.max(POLL_MS, (0.9 * (expected - seen)) / perMs)) : POLL_MS);
      }
      const cpu = process.cpuUsage(cpu0);
      cpuUs += cpu.user + cpu.system;
      recentMs.push(performance.now() - t0);
      if (recentMs.length > 3) recentMs.shift();
      batches++;
    },
    teardown,
  };
}

export default [
  {
    name: `stream: pairs fully ingested (one op = ${BATCH} pairs = ${2 * BATCH} halves of ~${corpus[0].live.body.length} B JSON)`,
    baseline: inProcessCase('baseline: Ingest handlers in-process, no codec/gRPC', false),
    cases: [
      inProcessCase('codec round trip (encode → decode) + Ingest, no I/O', true),
      grpcCase('gRPC 1+1 streams, filters in this process, 1 half/message', 1, { child: false, per: 1 }),
      grpcCase('gRPC 1+1 streams, filters in a child process, 1 half/message', 1, { child: true, per: 1 }),
      grpcCase('gRPC 1+1 streams, filters in a child process, Batch of 32', 1, { child: true, per: 32 }),
      grpcCase('gRPC 4+4 streams, filters in a child process, Batch of 32', 4, { child: true, per: 32 }),
      grpcCase(
        'replicated, 1 replica (PostgreSQL + Redis pairing + observation log), Batch of 32',
        1,
        { child: true, per: 32 },
        { replicas: 1 },
      ),
      grpcCase(
        'replicated, 2 replicas in this process (edge → A, shadow → B), Batch of 32',
        1,
        { child: true, per: 32 },
        { replicas: 2 },
      ),
    ],
    rounds: 12,
  },
] satisfies BenchSuite[];
