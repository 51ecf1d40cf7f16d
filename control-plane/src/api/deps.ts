// What the REST API needs from the rest of the control plane, typed structurally so the API imports
// neither the engine nor the stream: main.ts adapts ReportBook, BlastRadius and NodeRegistry to these.
// Report and node payloads are JSON-shaped values that the API passes through unchanged.

import type { Policy } from '../domain/types.js';
import type { Store } from '../store/types.js';

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

export interface ApiDeps {
  store: Store;
  reports: ReportsProvider;
  blastRadius: BlastRadiusProvider;
  nodes: NodesProvider;
  /** Called after every successful policy write (tells the snapshot cache); errors are logged. */
  onPolicyChange(): void | Promise<void>;
  gauges?: readonly GaugeSource[];
}
