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
//   steady: … — the child sends continuously within a window of unacknowledged halves and the op times
//     the rate the control plane sustains (grpcCase's `steady`), so per-op fill and drain are left out.
//   replicated — the replicated mode on throwaway PostgreSQL + Redis, its replicas in this process or
//     (scale-out) each a process of its own (bench/stream-replica.ts).
// Completion is read through the public surface, GET /api/v1/reports/<policy> (sum of endpoint
// pairs), a few times per op; the cost of one read is printed at setup. SG_STREAM_CASES=<text> runs
// only the cases whose name contains it; SG_STREAM_PROFILE=<dir> makes replica processes write CPU profiles.
import { type ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { Redis } from 'ioredis';
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
const REPLICA = fileURLToPath(new URL('./stream-replica.ts', import.meta.url));

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
  let cpuUs = 0;
  let pairs = 0;
  return {
    name,
    setup() {
      ingest = inProcessIngest();
    },
    run() {
      const cpu0 = process.cpuUsage();
      for (const p of nextBatch()) {
        ingest.handlers.onHalf(viaCodec ? wire(p.live) : p.live, edge);
        ingest.handlers.onHalf(viaCodec ? wire(p.candidate) : p.candidate, shadow);
      }
      const cpu = process.cpuUsage(cpu0);
      cpuUs += cpu.user + cpu.system;
      pairs += BATCH;
      const s = ingest.stats();
      if (s.compareErrors > 0 || s.unmatched > 0) throw new Error(`ingest refused pairs: ${JSON.stringify(s)}`);
    },
    teardown() {
      // CPU time, as the gRPC cases print theirs: under load, a steadier comparison than wall time
      console.log(`  [${name}] CPU per pair: this process ${(cpuUs / Math.max(pairs, 1)).toFixed(1)} µs`);
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** every case's temp dir until its teardown, removed at exit (one listener: every case is set up first) */
const tempDirs = new Set<string>();
process.on('exit', () => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});
const pct = (x: number) => `${(100 * x).toFixed(0)} %`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The next IPC message from `child` that carries `key` (rejects if the child exits first). */
function nextMessage<T>(child: ChildProcess, key: string, timeoutMs = 60_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no '${key}' from a child within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: Record<string, unknown>) => {
      if (m && key in m) done(undefined, m as T);
    };
    const onExit = (code: number | null) => done(new Error(`child exited (${code}) before sending '${key}'`));
    const done = (err?: Error, m?: T) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(m!);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Fake filters in a child process: { started } once connected, { sent: b } after each batch. */
async function forkSender(port: number, streams: number, per: number, shadowPort?: number): Promise<ChildProcess> {
  const child = fork(SENDER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const started = nextMessage(child, 'started', 30_000);
  child.send({ start: { port, shadowPort, streams, per, size: BATCH } });
  await started;
  return child;
}

/** A replica in a process of its own (bench/stream-replica.ts: start() of main.ts with `config`). */
interface ReplicaProcess {
  httpUrl: string;
  grpcPort: number;
  child: ChildProcess;
}

async function forkReplica(config: ControlPlaneConfig): Promise<ReplicaProcess> {
  // SG_STREAM_PROFILE=<dir>: each replica writes a V8 CPU profile there when it exits.
  const prof = process.env.SG_STREAM_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SG_STREAM_PROFILE}`] : [];
  const child = fork(REPLICA, [], {
    execArgv: ['--import', 'tsx', ...prof],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const ready = nextMessage<{ ready: { httpUrl: string; grpcPort: number } }>(child, 'ready', 30_000);
    child.send({ config });
    return { ...(await ready).ready, child };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

async function stopChild(child: ChildProcess, stop: object): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  if (child.connected) child.send(stop);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** The CPU time (µs) a replica process used since the last ask. */
const replicaCpu = async (r: ReplicaProcess) => {
  const answer = nextMessage<{ cpuUs: number }>(r.child, 'cpuUs', 10_000);
  r.child.send({ cpu: true });
  return (await answer).cpuUs;
};

/** Redis's own CPU time (µs, user + system) from INFO cpu. */
async function redisCpuUs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const sec = (k: string) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (sec('used_cpu_user') + sec('used_cpu_sys')) * 1e6;
}

/** Sum of endpoint pairs in GET /api/v1/reports/<policy> of one control plane, with when it was read. */
function reportPoller(httpUrl: string) {
  // node:http on a keep-alive agent: fetch (undici) costs about twice as much per call.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = () =>
    new Promise<number>((resolve, reject) => {
      http
        .get(`${httpUrl}/api/v1/reports/${POLICY}`, { agent }, (res) => {
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
  return {
    get,
    /** the count and the midpoint of the request (ms, performance.now()) */
    async read(): Promise<{ n: number; t: number }> {
      const t0 = performance.now();
      const n = await get();
      return { n, t: (t0 + performance.now()) / 2 };
    },
    close: () => agent.destroy(),
  };
}

/**
 * The replicated mode (docs/replicated.md) on throwaway PostgreSQL and Redis servers. `processes`:
 * each replica a process of its own (bench/stream-replica.ts), so 2 replicas can use both cores —
 * the scale-out figure; otherwise the replicas are started in this process (2 then share its thread:
 * the cost of the shared path, not scale-out). The edge streams go to the first, the shadow streams
 * to the last.
 */
interface Replicated {
  replicas: 1 | 2;
  processes?: boolean;
}

/**
 * Steady mode: the window of unacknowledged halves per side (edge, shadow), shared by that side's
 * streams — one filter's own bound is its report queue, controlPlane.queueSize, 1024 messages by
 * default; a window of 256 left the one-process control plane idle ~20 % of the time, waiting for the
 * sender. Replicas acknowledge a half once Redis holds it, a few ms later, and are slower: 256 keeps
 * them busy (the sender waits for them ~90 % of the time with 1024) and drains sooner.
 */
const WINDOW = Number(process.env.SG_STREAM_WINDOW ?? 1024);
const REPLICATED_WINDOW = Number(process.env.SG_STREAM_WINDOW ?? 256);
/** pairs compared after the window first filled, before the timed part starts */
const WARM_PAIRS = Number(process.env.SG_STREAM_WARM ?? 250);

/**
 * One gRPC case. Drained ops (the default): the op sends one batch of BATCH pairs and ends when the
 * report counts them all, so it includes filling and draining the pipeline. Steady ops (`steady`,
 * child sender only): the child sends continuously within a window of unacknowledged halves per
 * side (WINDOW, REPLICATED_WINDOW); after WARM_PAIRS are compared, the op times the report count's growth over the next
 * BATCH pairs (two reads of the report, each at its request's midpoint), so the figure is the rate the
 * control plane sustains while its streams are kept full; then the child pauses and the op waits (not
 * timed) until every pair it sent is in the report, before the next case runs.
 */
function grpcCase(
  name: string,
  streamsPerSide: number,
  sender: { child: boolean; per: number },
  opts: { replicated?: Replicated; steady?: boolean } = {},
): BenchCase {
  const { replicated, steady } = opts;
  if (steady && !sender.child) throw new Error('steady ops need the child-process sender');
  let dataDir: string | undefined;
  let cp: RunningControlPlane | undefined;
  let others: RunningControlPlane[] = [];
  let procs: ReplicaProcess[] = [];
  let servers: RealServer[] = [];
  let redis: Redis | undefined;
  let clients: TestFilter[] = [];
  let child: ChildProcess | undefined;
  let pollers: Array<ReturnType<typeof reportPoller>> = [];
  let expected = 0;
  const recentMs = [0];
  let polls = 0;
  let batches = 0;
  let steadyPerMs = 0; // pairs per ms measured by the last steady op (aims the next op's polls)
  // CPU time during ops (µs): this process (with the filters in a child and no replica processes, the
  // control plane's own), each replica process, Redis, the sender
  const cpu = { self: 0, replicas: [0, 0], redis: 0, sender: 0 };
  // steady ops: this thread's event-loop utilization over the timed part, and the share of the time
  // the sender's window was full (it waited for acknowledgements): the control plane was the limit
  const elu: number[] = [];
  const full: number[] = [];
  const httpUrls = () => (procs.length > 0 ? procs.map((r) => r.httpUrl) : [cp!, ...others].map((c) => c.httpUrl));
  const removeDir = () => {
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    if (dataDir) tempDirs.delete(dataDir);
  };
  const api = async (p: string, init: RequestInit = {}) => {
    const res = await fetch(`${httpUrls()[0]}/api/v1${p}`, {
      ...init,
      headers: { 'content-type': 'application/json', ...init.headers },
    });
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${p}: HTTP ${res.status} ${await res.text()}`);
    return res.json() as Promise<any>;
  };
  const perPair = (us: number) => (us / Math.max(expected, 1)).toFixed(1);
  const teardown = async () => {
    for (const c of clients) c.close();
    clients = [];
    if (child) await stopChild(child, { stop: true });
    child = undefined;
    const urls = cp || procs.length > 0 ? httpUrls() : [];
    for (const [i, url] of urls.entries()) {
      const m = await fetch(`${url}/metrics`).then(
        (r) => r.text(),
        () => '',
      );
      const stat = (metric: string) => new RegExp(`^${metric} (\\d+)`, 'm').exec(m)?.[1] ?? '?';
      const reported = await (pollers[i]?.get() ?? Promise.resolve(NaN)).catch(() => NaN);
      console.log(
        `  [${name}]${urls.length > 1 ? ` replica ${i + 1}:` : ''} report counts ${reported} of ${expected} pairs sent; pairing completed ${stat('shadowguard_pairing_pairs_total\\{outcome="completed"\\}')}, unmatched ${stat('shadowguard_ingest_unmatched_halves_total')}, compareErrors ${stat('shadowguard_ingest_compare_errors_total')}`,
      );
    }
    if (urls.length > 0)
      console.log(
        `  [${name}] ${(polls / Math.max(batches, 1)).toFixed(1)} report reads per op; CPU per pair: ${
          procs.length > 0
            ? `${procs.map((_, i) => `replica ${i + 1} ${perPair(cpu.replicas[i])} µs`).join(', ')}, this process ${perPair(cpu.self)} µs`
            : `this process ${perPair(cpu.self)} µs`
        }${redis ? `, Redis ${perPair(cpu.redis)} µs` : ''}${steady ? `, sender ${perPair(cpu.sender)} µs` : ''}`,
      );
    if (steady && elu.length > 0)
      console.log(
        `  [${name}] steady ops (median): ${procs.length > 0 ? '' : `this thread busy ${pct(median(elu))} of the timed part, `}sender's window full ${pct(median(full))} of the time`,
      );
    for (const p of pollers) p.close();
    pollers = [];
    redis?.disconnect();
    redis = undefined;
    await Promise.all(procs.map((r) => stopChild(r.child, { stop: true })));
    procs = [];
    for (const o of others) await o.close();
    others = [];
    await cp?.close();
    cp = undefined;
    for (const s of servers) await s.stop();
    servers = [];
    removeDir();
  };

  /** Reads the first control plane's report count until it reaches `want` (polls aimed by `perMs`). */
  const readUntil = async (want: number, perMs: number, from?: { n: number; t: number }, aim = 0.9) => {
    const until = Date.now() + BATCH_TIMEOUT_MS;
    let last = from;
    for (;;) {
      if (last) {
        const ms = perMs > 0 ? (aim * (want - last.n)) / perMs : POLL_MS;
        await sleep(Math.min(50, Math.max(POLL_MS, ms)));
      }
      polls++;
      last = await pollers[0].read();
      if (last.n >= want) return last;
      if (Date.now() > until)
        throw new Error(`${name}: ${want - last.n} pairs not in the report within ${BATCH_TIMEOUT_MS} ms`);
    }
  };

  const cpuStart = async () => {
    const self = process.cpuUsage();
    const redis0 = redis ? await redisCpuUs(redis) : 0;
    await Promise.all(procs.map(replicaCpu)); // resets their counters
    return async () => {
      const c = process.cpuUsage(self);
      cpu.self += c.user + c.system;
      if (redis) cpu.redis += (await redisCpuUs(redis)) - redis0;
      const used = await Promise.all(procs.map(replicaCpu));
      for (const [i, us] of used.entries()) cpu.replicas[i] += us;
    };
  };

  const drainedOp = async () => {
    const t0 = performance.now();
    const cpuEnd = await cpuStart();
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
    // Each read is an HTTP request served by the control plane, so read little: first sleep through
    // most of the quickest recent batch, then aim each next read at the moment the rate seen so far
    // says the batch will be complete (a few reads per batch; their number is printed at the end).
    await sleep(Math.max(0, 0.7 * Math.min(...recentMs) - (performance.now() - t0)));
    const first = await readUntil(before + 1, 0); // at least one of the batch's pairs, then aim
    if (first.n < expected) await readUntil(expected, (first.n - before) / (first.t - t0), first);
    await cpuEnd();
    recentMs.push(performance.now() - t0);
    if (recentMs.length > 3) recentMs.shift();
    batches++;
  };

  const steadyOp = async (): Promise<number> => {
    const c = child!;
    const cpuEnd = await cpuStart();
    const base = expected;
    const started = performance.now();
    const flowing = nextMessage(c, 'flowing');
    c.send({ flow: { window: Math.ceil((replicated ? REPLICATED_WINDOW : WINDOW) / streamsPerSide) } });
    await flowing;
    const from = await readUntil(base + WARM_PAIRS, steadyPerMs, { n: base, t: started });
    const elu0 = performance.eventLoopUtilization();
    // Aimed just past the end: each read is served by the control plane, so the timed part holds two
    // reads (its two ends) most of the time; the rate uses the counts read, whatever the overshoot.
    const to = await readUntil(from.n + BATCH, steadyPerMs || (from.n - base) / (from.t - started), from, 1.05);
    elu.push(performance.eventLoopUtilization(elu0).utilization);
    steadyPerMs = (to.n - from.n) / (to.t - from.t);
    const paused = nextMessage<{ paused: number; cpuUs: number; full: number }>(c, 'paused');
    c.send({ pause: true });
    const { paused: sent, cpuUs, full: waited } = await paused;
    full.push(waited);
    expected = sent;
    await readUntil(expected, steadyPerMs, to); // every pair sent is compared before the next case runs
    await cpuEnd();
    cpu.sender += cpuUs;
    batches++;
    return (BATCH * 1e6) / steadyPerMs; // ns for BATCH pairs at the measured rate
  };

  return {
    name,
    selfTimed: steady,
    async setup() {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-bench-stream-'));
      tempDirs.add(dataDir); // a crash mid-run still leaves no temp dir
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
          redis = new Redis({ port: redisServer.port, host: '127.0.0.1', lazyConnect: true });
          await redis.connect();
        }
        const replicaConfig = (i: number) => ({ ...config, dataDir: path.join(dataDir!, `replica-${i + 1}`) });
        if (replicated?.processes) {
          procs = [await forkReplica(replicaConfig(0))]; // the first migrates the schema alone
          if (replicated.replicas === 2) procs.push(await forkReplica(replicaConfig(1)));
        } else {
          cp = await start(config, { logger: pino({ level: 'silent' }) });
          if (replicated?.replicas === 2)
            others = [await start(replicaConfig(1), { logger: pino({ level: 'silent' }) })];
        }
        pollers = httpUrls().map(reportPoller);
        await api(`/policies/${POLICY}`, { method: 'PUT', body: JSON.stringify(spec) });
        const ports = procs.length > 0 ? procs.map((r) => r.grpcPort) : [cp!, ...others].map((c) => c.grpcPort);
        const [edgePort, shadowPort] = [ports[0], ports[ports.length - 1]];
        if (sender.child) child = await forkSender(edgePort, streamsPerSide, sender.per, shadowPort);
        else
          for (let k = 0; k < streamsPerSide; k++)
            clients.push(new TestFilter(edgePort, edgeHello(k)), new TestFilter(edgePort, shadowHello(k)));
        const until = Date.now() + 10_000;
        const connected = async () => {
          let n = 0;
          for (const url of httpUrls()) {
            const r = await fetch(`${url}/api/v1/nodes`);
            n += ((await r.json()) as { nodes: Array<{ connected: boolean }> }).nodes.filter((x) => x.connected).length;
          }
          return n;
        };
        while ((await connected()) < 2 * streamsPerSide) {
          if (Date.now() > until) throw new Error('fake filters did not connect within 10 s');
          await sleep(10);
        }
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < 20; i++) await pollers[0].get();
        console.log(
          `  [${name}] one report read (GET /api/v1/reports/${POLICY}) ≈ ${(Number(process.hrtime.bigint() - t0) / 20e3).toFixed(0)} µs`,
        );
      } catch (err) {
        await teardown(); // the servers must not outlive a failed setup (they would keep the process alive)
        throw err;
      }
    },
    run: steady ? steadyOp : drainedOp,
    teardown,
  };
}

const SELECTED = process.env.SG_STREAM_CASES; // a substring of case names: run only those (profiling)
const cases: BenchCase[] = [
  inProcessCase('codec round trip (encode → decode) + Ingest, no I/O', true),
  grpcCase('gRPC 1+1 streams, filters in this process, 1 half/message', 1, { child: false, per: 1 }),
  grpcCase('gRPC 1+1 streams, filters in a child process, 1 half/message', 1, { child: true, per: 1 }),
  grpcCase('gRPC 1+1 streams, filters in a child process, Batch of 32', 1, { child: true, per: 32 }),
  grpcCase('gRPC 4+4 streams, filters in a child process, Batch of 32', 4, { child: true, per: 32 }),
  grpcCase('steady: gRPC 1+1 streams, child process, Batch of 32', 1, { child: true, per: 32 }, { steady: true }),
  grpcCase('steady: gRPC 4+4 streams, child process, Batch of 32', 4, { child: true, per: 32 }, { steady: true }),
  grpcCase(
    'replicated, 1 replica (PostgreSQL + Redis pairing + observation log), Batch of 32',
    1,
    { child: true, per: 32 },
    { replicated: { replicas: 1 } },
  ),
  grpcCase(
    'replicated, 2 replicas in this process (edge → A, shadow → B), Batch of 32',
    1,
    { child: true, per: 32 },
    { replicated: { replicas: 2 } },
  ),
  grpcCase(
    'steady: replicated, 1 replica process, Batch of 32',
    1,
    { child: true, per: 32 },
    { replicated: { replicas: 1, processes: true }, steady: true },
  ),
  grpcCase(
    'steady: replicated, 2 replica processes (edge → A, shadow → B), Batch of 32',
    1,
    { child: true, per: 32 },
    { replicated: { replicas: 2, processes: true }, steady: true },
  ),
];

export default [
  {
    name: `stream: pairs fully ingested (one op = ${BATCH} pairs = ${2 * BATCH} halves of ~${corpus[0].live.body.length} B JSON)`,
    baseline: inProcessCase('baseline: Ingest handlers in-process, no codec/gRPC', false),
    cases: SELECTED ? cases.filter((c) => c.name.includes(SELECTED)) : cases,
    rounds: 12,
  },
] satisfies BenchSuite[];
