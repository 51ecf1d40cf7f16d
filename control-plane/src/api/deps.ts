// What the REST API needs from the rest of the control plane, typed structurally so the API imports
// neither the engine nor the stream: main.ts adapts ReportBook, BlastRadius and NodeRegistry to these.
// Report and node payloads are JSON-shaped values that the API passes through unchanged.

import type { FromSchema } from 'json-schema-to-ts';
import type { Policy, PolicySpec } from '../domain/types.js';
import type { Store } from '../store/types.js';
import type { BusEvent } from './event-bus.js';
import type { runSchema } from './schemas/verdict.js';

export interface ReportsProvider {
  /** Per-endpoint summaries of a policy; undefined or [] when nothing was compared yet. */
  endpoints(policy: string): readonly unknown[] | undefined;
  /** Fields and redacted examples of one endpoint ('GET /users/{id}'); undefined when unknown. */
  endpoint(policy: string, endpoint: string): unknown | undefined;
  /** What a change of ignore rules would silence (ReportBook.preview): one entry per changed endpoint. */
  preview?(
    policy: string,
    spec: PolicySpec,
  ): ReadonlyArray<{ endpoint: string; fields: Array<{ path: string; verdict: string }> }>;
}

export interface BlastRadiusProvider {
  /** The blast-radius map of a live policy (its services and capacity). */
  forPolicy(policy: Policy): unknown;
}

/** The dashboard's change feed (event-bus.ts implements it; GET /api/v1/events reads it). */
export interface EventsProvider {
  subscribe(listener: (e: BusEvent) => void): () => void;
}

export interface NodesProvider {
  list(): readonly unknown[];
}

/** A gauge /metrics reads at scrape time (engine and stream state). */
export interface GaugeSource {
  name: string;
  help: string;
  labelNames?: readonly string[];
  /** A number, or one value per label set. */
  read(): number | ReadonlyArray<{ labels: Record<string, string>; value: number }>;
}

/** The mirror-ramp controller (ramp/controller.ts); errors carry a `kind` ('conflict') the error handler maps. */
export interface RampProvider {
  view(policy: string): unknown;
  command(policy: string, action: 'start' | 'pause' | 'resume' | 'abort', who: string): Promise<unknown>;
}

/** A run as the API shows it (run-control.ts runView): the runs routes' answer schema. */
export type RunView = FromSchema<typeof runSchema>;

/** Runs of a policy's report (reports/runs.ts via run-control.ts). */
export interface RunsProvider {
  /** newest first */
  list(policy: string): { current: RunView | null; runs: RunView[] };
  reset(policy: Policy, who: string): Promise<RunView>;
  /** A run's endpoint reports; the current run when id is undefined; undefined when there is no such run. */
  endpoints(policy: Policy, id: number | undefined): Promise<readonly unknown[] | undefined>;
  /** undefined: no such run; null: no such endpoint in it */
  endpoint(policy: Policy, id: number | undefined, endpoint: string): Promise<unknown | null | undefined>;
}

/** The verdict of a policy's current run (reports/verdict.ts). */
export type VerdictProvider = (policy: Policy) => { verdict: 'pass' | 'fail' | 'inconclusive' };

export interface ApiDeps {
  store: Store;
  reports: ReportsProvider;
  blastRadius: BlastRadiusProvider;
  nodes: NodesProvider;
  /** Called after every successful policy write (tells the snapshot cache); errors are logged. */
  onPolicyChange(): void | Promise<void>;
  gauges?: readonly GaugeSource[];
  /** Without it the /policies/{name}/ramp routes are not registered. */
  ramp?: RampProvider;
  /** Readiness beyond the store (GET /readyz): the gRPC server listens and is not draining. Default ready. */
  ready?(): { grpc: boolean; leader?: boolean };
  /** Why a webhook URL may not receive alerts (webhook/target.ts with the configured rules); undefined = fine. */
  webhookProblem?(url: string): string | undefined;
  /** Without it GET /api/v1/events answers 503. */
  events?: EventsProvider;
  /** Without them the runs and verdict routes are not registered. */
  runs?: RunsProvider;
  verdict?: VerdictProvider;
}
