// Composition root of the control plane: load the configuration, open the store, build the engine
// (pairer, report book, blast radius) and the stream side (snapshot cache, node registry, gRPC
// server), wire them through ingest, serve the REST API, and shut everything down in order on
// SIGTERM/SIGINT: stop listening, drain streams, compare the pairs that wait only for a secondary,
// drain alert deliveries, save report state, close the store. start() is what tests and the demo
// call; main() adds argv, signals and exit codes.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { AlertSink } from './alerts.js';
import { buildApp } from './api/app.js';
import type { ApiDeps } from './api/deps.js';
import { EventBus } from './api/event-bus.js';
import { comparePair } from './compare/index.js';
import { Replication, type EngineSinks } from './cluster/replication.js';
import { ConfigError, loadConfig, type ControlPlaneConfig } from './config.js';
import { Ingest } from './ingest.js';
import { urlProblem } from './webhook/target.js';
import { domainMetrics, type ObservedMetrics } from './metrics/index.js';
import { NodeRegistry, type NodeHandle } from './nodes/registry.js';
import { RampController } from './ramp/controller.js';
import { BlastRadius } from './reports/blast-radius.js';
import { SnapshotCache } from './snapshot/cache.js';
import { openStore } from './store/open.js';
import { ReportState } from './store/report-state.js';
import { runControl } from './run-control.js';
import type { NodeHello } from './domain/types.js';
import type { Store } from './store/types.js';
import { createStreamServer } from './stream/server.js';

// reports: store/report-state.ts; logPosition: where in the replicas' observation log the saved state was taken
export const STATE_KEYS = { blastRadius: 'blast-radius', logPosition: 'observation-log:position' } as const;
const TICK_MS = 1000;
const NODE_RETENTION_MS = 60 * 60 * 1000;
const STREAM_GRACE_MS = 5000;

export interface RunningControlPlane {
  httpUrl: string;
  httpPort: number;
  grpcPort: number;
  store: Store;
  /** The mirror-ramp controller (tests drive its tick() with an injected clock: start(config, { now })). */
  ramp: RampController;
  /** Saves report state now (also done periodically and by close). */
  persist(): Promise<void>;
  /** Idempotent graceful shutdown. */
  close(): Promise<void>;
}

export const VERSION: string = (
  JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** The node registry, telling the dashboard's event feed when a node connects, acks/nacks or leaves. */
class ObservedRegistry extends NodeRegistry {
  constructor(
    private readonly onChange: () => void,
    private readonly metrics: Pick<ObservedMetrics, 'connected' | 'configResponse'>,
  ) {
    super();
  }
  override connect(hello: NodeHello, peer?: string): NodeHandle {
    const h = super.connect(hello, peer);
    this.metrics.connected(hello.role);
    this.onChange();
    return {
      ...h,
      applyResponse: (r) => {
        h.applyResponse(r);
        this.metrics.configResponse(r.kind);
        this.onChange();
      },
      disconnect: () => {
        h.disconnect();
        this.onChange();
      },
    };
  }
}

/** A ramp's figures for /metrics; a policy the controller has not loaded yet has none. */
function rampFigures(ramp: RampController, policy: string) {
  try {
    return [ramp.view(policy)];
  } catch {
    return [];
  }
}

async function restore<T>(
  store: Store,
  key: string,
  fromJSON: (v: unknown) => T,
  fresh: () => T,
  log: Logger,
): Promise<T> {
  const saved = await store.loadState(key);
  if (saved === undefined) return fresh();
  try {
    return fromJSON(saved);
  } catch (err) {
    // Reports are derived data: starting empty beats refusing to start; the operator sees why.
    log.error({ err, key }, 'saved report state is unreadable; starting with empty state');
    return fresh();
  }
}

export async function start(
  config: ControlPlaneConfig,
  opts: { logger?: Logger; now?: () => number } = {},
): Promise<RunningControlPlane> {
  const log = opts.logger ?? pino({ level: config.logLevel, base: { service: 'shadow-control-plane' } });
  const store = await openStore(config);
  // Replicated mode (docs/replicated.md): the leader lease, shared pairing and the observation log.
  let cluster: Replication;
  try {
    cluster = await Replication.start(config, log);
  } catch (err) {
    await store.close();
    throw err;
  }
  const { pairer } = cluster;
  const policies = await store.listPolicies();
  const cache = new SnapshotCache({ logger: log, policies });
  const bus = new EventBus();
  let activePolicies = policies;
  // Domain metrics (docs/metrics.md): read from the engine at scrape time (the sources are closures
  // over objects built below), plus the few events the hooks in this function feed.
  const metricsRegistry = new Registry();
  const metrics = domainMetrics(
    metricsRegistry,
    {
      reports: { policies: () => reports.policies(), endpoints: (p) => reports.endpoints(p) },
      pairer: { stats: () => pairer.stats() },
      ingest: { stats: () => ingest.stats() },
      alerts: { stats: () => alerts.stats() },
      ramps: () => activePolicies.filter((p) => p.spec.ramp).flatMap((p) => rampFigures(ramp, p.name)),
      nodes: () => registry.list(),
      streamSessions: () => stream.sessionCount(),
      delivery: () => stream.deliveryStats(),
    },
    config.metrics,
  );
  const registry = new ObservedRegistry(() => bus.nodesChanged(), metrics);
  const { state: reportState, reports, runs } = await ReportState.load(store, log);
  // Reports are read through each policy's current rules (ignored fields), whatever was saved.
  for (const p of policies) reports.configure(p.name, p.spec);
  const blast = await restore(
    store,
    STATE_KEYS.blastRadius,
    (v) => BlastRadius.fromJSON(v),
    () => new BlastRadius(),
    log,
  );
  // One alert sink for ingest and the ramp: stored, on the dashboard's event feed, POSTed to the policy's webhook.
  const alerts = new AlertSink({
    store,
    logger: log.child({ component: 'alerts' }),
    webhook: {
      ...config.webhook,
      rules: config.webhook,
      formatFor: (name) => activePolicies.find((p) => p.name === name)?.spec.alerts?.webhookFormat,
    },
    onStored: (a) => {
      metrics.alert(a.policy, a.source === 'ramp' ? 'ramp' : 'endpoint');
      bus.publish('alert', a);
    },
  });
  // Mirror ramps: load their saved state before any filter connects, then cap edge sampling by them.
  const ramp = new RampController({
    store,
    alerts,
    reports,
    blast,
    nodes: registry,
    onCapChange: () => cache.refresh(),
    logger: log.child({ component: 'ramp' }),
    now: opts.now,
    ...(cluster.leaderCheck ? { leader: cluster.leaderCheck } : {}),
  });
  await ramp.setPolicies(policies);
  cache.setSamplingCap((p) => ramp.capFor(p));
  // What a compared pair and an egress event do to this process's engine, each change also marked on
  // the dashboard's event feed (throttled): at once in one process, from the observation log in replicas.
  const engine: EngineSinks = {
    pair: (r, spec, candidateStatus, replayed) => {
      if (!replayed) ramp.observePair(r.policy, candidateStatus, r.latencyShadowUs); // the ramp's shadow 5xx and latency guards
      const raised = reports.add(r, spec);
      bus.changed('reports', r.policy);
      return raised;
    },
    egress: (ev) => {
      blast.add(ev);
      const p = cache.policyFor(ev.service);
      metrics.egress(p?.name, ev);
      if (p) bus.changed('blast', p.name);
    },
    takeResolved: () => reports.takeResolved(),
    wantsExample: (r) => reports.wantsExample(r),
  };
  const ingest = new Ingest({
    policyFor: (service) => cache.policyFor(service),
    pairer,
    compare: (pair, name, spec) => {
      const r = comparePair(pair, name, spec);
      metrics.pair(name, r.endpoint, r.latencyLiveUs, r.latencyShadowUs);
      return r;
    },
    ...cluster.ingestSinks(engine),
    alerts,
    logger: log.child({ component: 'ingest' }),
    candidateVersion: (p, version) => wiring.candidateVersion(p, version),
  });
  const resumeAt = await store.loadState(STATE_KEYS.logPosition);
  await cluster.start(
    engine,
    (name) => activePolicies.find((p) => p.name === name),
    alerts,
    typeof resumeAt === 'string' ? resumeAt : undefined,
  );
  const stream = createStreamServer({
    token: config.streamToken,
    streamCredentials: config.streamCredentials,
    identities: config.streamIdentities,
    logger: log,
    handlers: ingest.handlers,
    cache,
    registry,
  });

  const wiring = runControl({
    reports,
    runs,
    state: reportState,
    ramp,
    blast,
    onReportsChanged: (p) => bus.changed('reports', p),
    logger: log.child({ component: 'runs' }),
    now: opts.now ?? Date.now,
  });
  /** Reads the policies again and reconfigures everything that depends on them (a write here, or a
   *  change another replica committed: Store.watch). */
  const refreshPolicies = async () => {
    const current = await store.listPolicies();
    await ramp.setPolicies(current); // before the cache builds: a new ramp policy is never pushed uncapped
    activePolicies = current;
    cache.setPolicies(current);
    for (const p of current) reports.configure(p.name, p.spec);
    // new ignore rules or thresholds may end alerts: they resolve now, not at the next pair
    for (const r of reports.takeResolved()) alerts.resolve(r.policy, r.endpoint, Date.now());
    bus.publish('policy', { policies: current.map((p) => ({ name: p.name, version: p.version })) });
  };
  const reloadRamps = async () => {
    for (const p of activePolicies) if (p.spec.ramp) await ramp.reload(p.name);
  };
  const unwatch = cluster.watch(store, {
    policies: refreshPolicies,
    ramp: (name) => ramp.reload(name),
    ramps: reloadRamps,
  });
  // A new leader starts from the saved ramps, not from what it last heard.
  cluster.onLeadership = () => void reloadRamps().catch((err: unknown) => log.error({ err }, 'reloading ramps failed'));
  const deps: ApiDeps = {
    store,
    reports: {
      endpoints: (p) => reports.endpoints(p),
      endpoint: (p, e) => reports.endpoint(p, e),
      preview: (p, spec) => reports.preview(p, spec),
    },
    blastRadius: { forPolicy: (p) => blast.map(p.spec.services, p.spec.capacity) },
    nodes: registry,
    onPolicyChange: () => refreshPolicies(),
    events: bus,
    ramp,
    webhookProblem: (url) => urlProblem(url, config.webhook),
    runs: wiring.runs,
    verdict: wiring.verdict,
    ready: () => ({ grpc: grpcListening, ...(cluster.lease ? { leader: cluster.isLeader() } : {}) }),
  };
  const auth = config.tokens.length > 0 ? { tokens: config.tokens } : { disabled: true as const };
  const app = await buildApp(deps, {
    auth,
    bodyLimit: config.bodyLimitBytes,
    logger: log,
    processMetrics: true,
    registry: metricsRegistry,
    version: VERSION,
  });

  const persist = async () => {
    // Replicas hold the same numbers: the leader saves them, with the log position they were taken at
    // (read in the same instant as the books), so a restarted replica replays only what came after.
    if (cluster.savesReports()) {
      const position = cluster.logPosition();
      const radius = blast.toJSON();
      await reportState.save(reports, runs);
      await store.saveState(STATE_KEYS.blastRadius, radius);
      if (position !== undefined) await store.saveState(STATE_KEYS.logPosition, position);
    }
    await ramp.persist();
  };
  let grpcPort: number;
  let grpcListening = false;
  try {
    grpcPort = await stream.listen(config.grpcPort, config.host);
    grpcListening = true;
    await app.listen({ port: config.httpPort, host: config.host });
  } catch (err) {
    await Promise.allSettled([stream.close(0), app.close()]);
    unwatch?.();
    await cluster.close();
    await store.close();
    throw err;
  }
  const address = app.server.address();
  const httpPort = typeof address === 'object' && address ? address.port : config.httpPort;
  const hostForUrl = config.host.includes(':')
    ? `[${config.host}]`
    : config.host === '0.0.0.0'
      ? '127.0.0.1'
      : config.host;
  const httpUrl = `http://${hostForUrl}:${httpPort}`;

  const ticker = setInterval(() => {
    ingest.tick();
    cluster.tick();
    registry.prune(NODE_RETENTION_MS);
  }, TICK_MS);
  const saver = setInterval(() => {
    persist().catch((err: unknown) => log.error({ err }, 'saving report state failed'));
  }, config.persistIntervalMs);
  ticker.unref();
  saver.unref();
  ramp.start();

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      grpcListening = false; // /readyz answers 503 while draining: the Service stops routing here
      clearInterval(ticker);
      clearInterval(saver);
      unwatch?.();
      ramp.stop();
      await Promise.allSettled([app.close(), stream.close(STREAM_GRACE_MS)]);
      // No half arrives any more: pairs waiting only for their secondary are compared now (their alerts
      // join the drain below) so they reach the saved reports instead of dying with the process.
      ingest.flush();
      bus.close();
      await ramp.drain();
      await alerts.drain(); // ingest's and the ramp's stores and webhook calls, each bounded by its timeout
      await reportState.drain(); // archives of runs that just ended
      try {
        await persist();
      } catch (err) {
        log.error({ err }, 'saving report state at shutdown failed');
      }
      await cluster.close();
      await store.close();
      log.info('control plane stopped');
    })());

  log.info(
    {
      api: `${httpUrl}/api/v1`,
      docs: `${httpUrl}/docs`,
      metrics: `${httpUrl}/metrics`,
      grpc: `${config.host}:${grpcPort}`,
      database: store.file,
      auth: config.tokens.length > 0 ? `${config.tokens.length} token(s)` : 'DISABLED (loopback only)',
      streamAuth: config.streamToken !== undefined || (config.streamCredentials?.length ?? 0) > 0,
    },
    'control plane ready',
  );
  return { httpUrl, httpPort, grpcPort, store, ramp, persist, close };
}

/** The process entry: exit 0 after a clean signal-driven shutdown, 2 on bad configuration, 1 otherwise. */
export async function main(
  argv: string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  let config: ControlPlaneConfig;
  try {
    const r = loadConfig(argv, env);
    if (r.help) {
      process.stdout.write(`${r.usage}\n`);
      return;
    }
    config = r.config;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`shadow-control-plane: ${err.message}\n`);
    process.exit(2);
  }
  const log = pino({ level: config.logLevel, base: { service: 'shadow-control-plane' } });
  let running: RunningControlPlane;
  try {
    running = await start(config, { logger: log });
  } catch (err) {
    log.fatal({ err }, 'control plane failed to start');
    process.exit(1);
  }
  const stop = (signal: string) => {
    log.info({ signal }, 'shutting down');
    // A second signal, or a shutdown stuck past the stream grace, ends the process hard.
    process.once(signal, () => process.exit(1));
    setTimeout(() => {
      log.error('shutdown timed out');
      process.exit(1);
    }, STREAM_GRACE_MS * 3).unref();
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

const entry = process.argv[1] ? path.resolve(process.argv[1]) : '';
if (entry === fileURLToPath(import.meta.url)) {
  void main();
}
