// The narrow view of a plugin that VMs, contexts and host functions need (kept apart from plugin.ts
// so that the VM layer does not import the public Plugin class).

import type { Clusters } from './clusters.js';
import type { Stats } from './metrics.js';
import type { SharedData, SharedQueues } from './shared.js';
import type { CalloutRecord } from './callouts/record.js';
import type { Vm } from './vm.js';

export interface HostServices {
  readonly sharedData: SharedData;
  readonly queues: SharedQueues;
  readonly stats: Stats;
  readonly clusters: Clusters;
  /** Envoy's wasm logger level as a proxy-wasm level (0 trace … 5 critical). */
  readonly logLevel: number;
}

export interface PluginCore {
  readonly host: HostServices;
  readonly name: string;
  readonly rootId: string;
  readonly vmId: string;
  readonly vmConfiguration: Buffer;
  readonly configuration: Buffer;
  readonly failOpen: boolean;
  readonly allowOnHeadersStopIteration: boolean;
  readonly environment: ReadonlyArray<readonly [string, string]>;
  /** Plugin-wide properties (xds.*, listener metadata, …) supplied by the test or the mesh. */
  readonly properties: ReadonlyMap<string, unknown>;
  log(vm: Vm, level: number, message: string, contextId: number): void;
  vmFailed(vm: Vm, reason: string, err: unknown): void;
  /** A host-side bug surfaced while running deferred work; logged, never thrown at the caller. */
  hostError(vm: Vm, err: unknown): void;
  recordCallout(record: CalloutRecord): void;
}
