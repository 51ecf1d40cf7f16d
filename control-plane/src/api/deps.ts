// What the REST API needs from the rest of the control plane, typed structurally so the API imports
// neither the engine nor the stream: main.ts adapts ReportBook, BlastRadius and NodeRegistry to these.
// Report and node payloads are JSON-shaped values that the API passes through unchanged.

import type { Policy } from '../domain/types.js';
import type { Store } from '../store/types.js';
import type { BusEvent } from './event-bus.js';

export interface ReportsProvider {
  /** Per-endpoint summaries of a policy; undefined or [] when nothing was compared yet. */
  endpoints(policy: string): readonly unknown[] | undefined;
  /** Fields and redacted examples of one endpoint ('GET /users/{id}'); undefined when unknown. */
  endpoint(policy: string, endpoint: string): unknown | undefined;
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

/** The mirror-ramp controller (ramp/controller.ts); errors carry statusCode 404/409 and a message. */
export interface RampProvider {
  view(policy: string): unknown;
  command(policy: string, action: 'start' | 'pause' | 'resume' | 'abort', who: string): Promise<unknown>;
}

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
  ready?(): { grpc: boolean };
  /** Why a webhook URL may not receive alerts (webhook/target.ts with the configured rules); undefined = fine. */
  webhookProblem?(url: string): string | undefined;
  /** Without it GET /api/v1/events answers 503. */
  events?: EventsProvider;
}
