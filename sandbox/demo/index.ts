// startDemo: the whole "one minute to see it work" system in one process, on 127.0.0.1 — the control
// plane on an embedded SQLite file, the counting fake providers, the shop in three copies (live v1,
// candidate v2, secondary v1), and the sandbox mesh running envoy/envoy.yaml with the real filter. The
// seeded policy goes in through the REST API, like an operator's would (with API tokens, as the first
// editor token's holder, so the audit names them). The end-to-end and dashboard tests reuse it;
// start.ts adds the traffic loop, the printed URLs and Ctrl-C.
//
// Order matters: control plane and policy first (so the filters' first snapshot carries it), then
// providers and shops (the mesh's clusters map to their ports), then the mesh (the candidate and the
// secondary learn their egress listener ports lazily); startDemo resolves once every filter that
// streams to the control plane has accepted a config.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { DEFAULTS, type ControlPlaneConfig } from '../../control-plane/src/config.js';
import { start as startControlPlane, type RunningControlPlane } from '../../control-plane/src/main.js';
import type { PolicySpec } from '../../control-plane/src/domain/types.js';
import { startMesh, type Mesh, type MeshOptions } from '../mesh/index.js';
import { ControlPlaneClient } from './api-client.js';
import { DEMO_POLICY_NAME, demoPolicy } from './policy.js';
import {
  PROVIDER_NAMES,
  startProvider,
  type ProviderName,
  type ProviderStats,
  type RunningProvider,
} from './providers.js';
import { DEPENDENCIES, startShop, type Dependency, type DependencyAddress, type RunningShop } from './shop.js';
import { apiTokens, type DemoTokens } from './tokens.js';

export interface DemoOptions {
  /** SQLite directory; default: a fresh temp dir removed by close() */
  dataDir?: string;
  /** ports; 0 = ephemeral (the default for everything) */
  httpPort?: number;
  grpcPort?: number;
  edgePort?: number;
  /** the seeded policy (default demoPolicy()); null = seed nothing */
  policy?: PolicySpec | null;
  /** envoy bootstrap: a file (default envoy/envoy.yaml) or its text */
  envoyFile?: string;
  envoyYaml?: string;
  wasmPath?: string;
  /** passed to the mesh (e.g. rewrite a plugin's static configuration in a test) */
  pluginConfig?: MeshOptions['pluginConfig'];
  /** the wasm filters' log (level and sink), e.g. 'debug' while investigating */
  meshLogLevel?: MeshOptions['logLevel'];
  onMeshLog?: MeshOptions['onLog'];
  /** observes every mirrored copy the edge router sends */
  onShadow?: MeshOptions['onShadow'];
  /** more endpoint mappings for a test-local bootstrap ('inventory:8080' → port) */
  hostMap?: Record<string, number>;
  /** the control plane's API tokens (control-plane/src/config.ts `tokens`); none = REST API
   *  unauthenticated (dev mode, loopback). With tokens, the first editor token seeds the policies. */
  tokens?: DemoTokens;
  /** more policies, seeded with the demo's one (name → spec) */
  policies?: Record<string, PolicySpec>;
  /** where live v1 sends its dependency calls instead of the fake providers */
  liveDependencyUrls?: Partial<Record<Dependency, string>>;
  /** control plane pairing window (default 5 s: the demo's pairs complete in milliseconds) */
  pairingWindowMs?: number;
  logLevel?: ControlPlaneConfig['logLevel'];
  logger?: Logger;
  /** how long to wait for every filter's first config snapshot (default 10 s) */
  readyTimeoutMs?: number;
  /** `npm start`: the candidate also makes v2's new analytics call (denied by showcasePolicy) */
  showcase?: boolean;
  /** fixed provider ports (a busy one falls back to an ephemeral port); default ephemeral */
  providerPorts?: Partial<Record<ProviderName, number>>;
  /** more control-plane configuration (e.g. a shared store and pairing for the replicated mode) */
  controlPlane?: Partial<ControlPlaneConfig>;
}

export interface DemoUrls {
  /** where clients send traffic (Host: shop) */
  edge: string;
  /** control plane REST API base (…/api/v1) */
  api: string;
  reports: string;
  blastRadius: string;
  alerts: string;
  nodes: string;
  docs: string;
  providers: Record<ProviderName, string>;
  database: string;
}

export interface Demo {
  urls: DemoUrls;
  client: ControlPlaneClient;
  controlPlane: RunningControlPlane;
  mesh: Mesh;
  providers: Record<ProviderName, RunningProvider>;
  shops: { live: RunningShop; candidate: RunningShop; secondary: RunningShop };
  /** config versions each wasm filter (by plugin name) applied from the control plane, in order */
  appliedConfigs(): Record<string, string[]>;
  /** what each fake provider received so far */
  counts(): Record<ProviderName, ProviderStats>;
  /** stops the control plane (simulating a crash or a deploy); the mesh keeps running */
  stopControlPlane(): Promise<void>;
  /** starts it again on the same ports and the same SQLite file */
  restartControlPlane(): Promise<void>;
  close(): Promise<void>;
}

type Closer = () => Promise<unknown>;

export async function startDemo(opts: DemoOptions = {}): Promise<Demo> {
  const closers: Closer[] = [];
  const closeAll = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    const tempDir =
      opts.dataDir === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), 'shadowguard-demo-')) : undefined;
    if (tempDir) closers.push(async () => fs.rmSync(tempDir, { recursive: true, force: true }));
    const dataDir = opts.dataDir ?? tempDir!;
    const logLevel = opts.logLevel ?? 'warn';
    const tokens = apiTokens(opts.tokens);
    const editor = tokens.find((t) => t.role === 'editor');
    const policy = opts.policy === undefined ? demoPolicy() : opts.policy;
    const seeds = Object.entries(opts.policies ?? {});
    if (policy) seeds.unshift([DEMO_POLICY_NAME, policy]);
    if (tokens.length > 0 && !editor && seeds.length > 0)
      throw new Error('the demo seeds its policy through the REST API: with API tokens it needs an editor token');
    const logger = opts.logger ?? pino({ level: logLevel, base: { service: 'shadow-control-plane' } });
    const cpConfig: ControlPlaneConfig = {
      ...DEFAULTS,
      host: '127.0.0.1',
      httpPort: opts.httpPort ?? 0,
      grpcPort: opts.grpcPort ?? 0,
      dataDir,
      logLevel,
      tokens,
      pairing: { ...DEFAULTS.pairing, windowMs: opts.pairingWindowMs ?? 5000 },
      webhook: { ...DEFAULTS.webhook },
      persistIntervalMs: 2000,
      ...opts.controlPlane,
    };
    let controlPlane = await startControlPlane(cpConfig, { logger });
    // Restarts reuse the first run's ports, so the mesh's control-plane cluster stays valid.
    const fixedConfig: ControlPlaneConfig = {
      ...cpConfig,
      httpPort: controlPlane.httpPort,
      grpcPort: controlPlane.grpcPort,
    };
    let cpRunning = true;
    closers.push(async () => {
      if (cpRunning) await controlPlane.close();
    });
    // Seeded before the mesh starts, so every filter's first snapshot already carries the policy.
    const client = new ControlPlaneClient(controlPlane.httpUrl, (editor ?? tokens[0])?.token);
    for (const [name, spec] of seeds) await client.putPolicy(name, spec);

    const providerList = await Promise.all(
      PROVIDER_NAMES.map((name) => startProviderWithFallback(name, opts.providerPorts?.[name])),
    );
    for (const p of providerList) closers.push(() => p.close());
    const providers = Object.fromEntries(providerList.map((p) => [p.name, p])) as Record<ProviderName, RunningProvider>;
    const dependencies = Object.fromEntries(
      DEPENDENCIES.map((d) => [d, { authority: `${d}:8080`, url: providers[d].url }]),
    ) as Record<Dependency, DependencyAddress>;

    let mesh: Mesh | undefined;
    const applied: Record<string, string[]> = {};
    const egress = (listener: string) => () => {
      if (!mesh) return 'http://127.0.0.1:1'; // not up yet: fail, never bypass the sidecar
      const a = mesh.listenerAddress(listener);
      return `http://${a.host}:${a.port}`;
    };
    const [live, candidate, secondary] = await Promise.all([
      startShop({ version: 'v1', dependencies: liveDependencies(dependencies, opts.liveDependencyUrls) }),
      startShop({
        version: 'v2',
        dependencies,
        egressProxy: egress('candidate_egress'),
        ...(opts.showcase ? { analyticsAuthority: 'analytics:8080' } : {}),
      }),
      startShop({ version: 'v1', dependencies, egressProxy: egress('secondary_egress') }),
    ]);
    for (const s of [live, candidate, secondary]) closers.push(() => s.close());

    const m = await startMesh({
      ...(opts.envoyYaml !== undefined ? { yaml: opts.envoyYaml } : { file: opts.envoyFile ?? 'envoy/envoy.yaml' }),
      wasmPath: opts.wasmPath ?? 'build/shadowguard.wasm',
      hostMap: {
        'live:8080': live.port,
        'candidate:8080': candidate.port,
        'secondary:8080': secondary.port,
        'email:8080': providers.email.port,
        'payments:8080': providers.payments.port,
        'catalog:8080': providers.catalog.port,
        'control-plane:18000': controlPlane.grpcPort,
        ...opts.hostMap,
      },
      onShadow: opts.onShadow,
      portMap: opts.edgePort ? { edge_ingress: opts.edgePort } : undefined,
      pluginConfig: opts.pluginConfig,
      // info: the filters log "config <version> applied", which is how the demo knows they are ready.
      logLevel: lowerLevel(opts.meshLogLevel ?? 'warn', 'info'),
      onLog: (e) => {
        const m = /config (\S+) applied/.exec(e.message);
        if (m) (applied[e.plugin] ??= []).push(m[1]);
        if (opts.onMeshLog && LEVELS.indexOf(e.level as Level) >= LEVELS.indexOf(opts.meshLogLevel ?? 'warn'))
          opts.onMeshLog(e);
      },
    });
    mesh = m;
    closers.push(() => m.close());

    await waitForConfig(m, applied, opts.readyTimeoutMs ?? 10_000);

    const edge = m.listenerAddress('edge_ingress');
    const api = `${controlPlane.httpUrl}/api/v1`;
    const urls: DemoUrls = {
      edge: `http://${edge.host}:${edge.port}`,
      api,
      reports: `${api}/reports/${DEMO_POLICY_NAME}`,
      blastRadius: `${api}/blast-radius/${DEMO_POLICY_NAME}`,
      alerts: `${api}/alerts`,
      nodes: `${api}/nodes`,
      docs: `${controlPlane.httpUrl}/docs`,
      providers: Object.fromEntries(providerList.map((p) => [p.name, `${p.url}/stats`])) as Record<
        ProviderName,
        string
      >,
      database: path.join(dataDir, 'shadowguard.db'),
    };

    const demo: Demo = {
      urls,
      client,
      mesh: m,
      providers,
      shops: { live, candidate, secondary },
      get controlPlane() {
        return controlPlane;
      },
      appliedConfigs: () => Object.fromEntries(Object.entries(applied).map(([k, v]) => [k, [...v]])),
      counts: () =>
        Object.fromEntries(providerList.map((p) => [p.name, p.stats()])) as Record<ProviderName, ProviderStats>,
      async stopControlPlane() {
        if (!cpRunning) return;
        cpRunning = false;
        await controlPlane.close();
      },
      async restartControlPlane() {
        if (cpRunning) return;
        controlPlane = await startControlPlane(fixedConfig, { logger });
        cpRunning = true;
      },
      close: closeAll,
    };
    return demo;
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** A provider on its fixed port, or on an ephemeral one when that port is taken (the printed URLs say which). */
async function startProviderWithFallback(name: ProviderName, port: number | undefined): Promise<RunningProvider> {
  if (!port) return startProvider({ name });
  try {
    return await startProvider({ name, port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    return startProvider({ name });
  }
}

type Level = NonNullable<MeshOptions['logLevel']>;
const LEVELS: Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'critical'];
const lowerLevel = (a: Level, b: Level): Level => (LEVELS.indexOf(a) <= LEVELS.indexOf(b) ? a : b);

/** Names of the bootstrap's wasm filters that stream to the control plane (their static configuration names it). */
export function streamingFilters(mesh: Mesh): string[] {
  const names = new Set<string>();
  for (const l of mesh.bootstrap.listeners) {
    for (const f of l.hcm.wasmFilters) {
      try {
        if ((JSON.parse(f.configuration) as { controlPlane?: unknown }).controlPlane) names.add(f.name);
      } catch {
        /* not JSON: the plugin would have failed to load */
      }
    }
  }
  return [...names];
}

/** Waits until every streaming filter has applied a config pushed by the control plane. */
async function waitForConfig(mesh: Mesh, applied: Record<string, string[]>, timeoutMs: number): Promise<void> {
  const want = streamingFilters(mesh);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const missing = want.filter((n) => !applied[n]?.length);
    if (missing.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`no pushed config applied within ${timeoutMs} ms by: ${missing.join(', ')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function liveDependencies(
  base: Record<Dependency, DependencyAddress>,
  urls: Partial<Record<Dependency, string>> = {},
): Record<Dependency, DependencyAddress> {
  const out = { ...base };
  for (const [d, url] of Object.entries(urls) as Array<[Dependency, string]>)
    out[d] = { authority: base[d].authority, url };
  return out;
}
