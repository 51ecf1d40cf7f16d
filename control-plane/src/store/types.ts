// The storage contract of the control plane. Every method returns a Promise so that a PostgreSQL
// store (several replicas) can implement the same interface as the embedded SQLite one.
// Policies are versioned: a change never overwrites, it appends a version (a delete appends a
// tombstone, a rollback appends a copy of an old spec) and writes one audit entry.

import type { Policy, PolicySpec } from '../domain/types.js';

/** Policy writes, and the mirror-ramp commands (which change no version: from = to = current). */
export type AuditAction =
  | 'create'
  | 'update'
  | 'delete'
  | 'rollback'
  | 'ramp-start'
  | 'ramp-pause'
  | 'ramp-resume'
  | 'ramp-abort';

/** One changed path between two specs ('egress.defaultAction', 'sampling.rules'; arrays are leaves). */
export interface SpecChange {
  path: string;
  op: 'added' | 'removed' | 'changed';
}

export interface PolicyVersion {
  name: string;
  version: number;
  /** The spec of this version; undefined for a tombstone (delete). */
  spec?: PolicySpec;
  deleted: boolean;
  createdAt: string;
  createdBy: string;
}

export interface AuditEntry {
  id: number;
  at: string;
  who: string;
  action: AuditAction;
  policy: string;
  fromVersion: number | null;
  toVersion: number;
  changes: SpecChange[];
}

export interface PolicyHistory {
  name: string;
  /** Latest version number (a tombstone when deleted is true). */
  version: number;
  deleted: boolean;
  versions: PolicyVersion[];
  audit: AuditEntry[];
}

export interface AlertInput {
  at: number; // unix ms
  policy: string;
  endpoint: string;
  rate: number; // percent of pairs with a regression
  pairs: number;
  message: string;
}

/** What became of an alert's webhook delivery ('pending' while retrying, or for alerts stored before this existed). */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'skipped' | 'no webhook';
export type AlertState = 'open' | 'acknowledged' | 'resolved';

export interface StoredAlert extends AlertInput {
  id: number;
  /** delivery === 'delivered' (kept for existing clients) */
  delivered: boolean;
  delivery: DeliveryStatus;
  state: AlertState;
  /** who moved it to its state ('shadowguard' when the endpoint recovered); null while open */
  stateBy: string | null;
  /** unix ms of the last state change; null while open */
  stateAt: number | null;
}

/** Preconditions a writer may set (HTTP If-Match / If-None-Match). */
export interface WriteOptions {
  /** The write applies only when the latest version (tombstones count) is this one. */
  ifVersion?: number;
  /** The write applies only when the policy does not exist (or is deleted). */
  ifAbsent?: boolean;
}

export interface PutResult {
  policy: Policy;
  created: boolean;
  changed: boolean;
}

export type StoreErrorKind = 'not_found' | 'precondition_failed' | 'conflict';

/** A refused write. The API maps kind to an HTTP status; message is safe to show. */
export class StoreError extends Error {
  constructor(
    readonly kind: StoreErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface Store {
  /** Current (non-deleted) policies, by name. */
  listPolicies(): Promise<Policy[]>;
  /** The current version, or undefined when the policy never existed or is deleted. */
  getPolicy(name: string): Promise<Policy | undefined>;
  /** Creates or updates. An identical spec is a no-op (changed: false, no new version, no audit). */
  putPolicy(name: string, spec: PolicySpec, who: string, opts?: WriteOptions): Promise<PutResult>;
  /** Appends a tombstone. not_found when the policy does not exist or is already deleted. */
  deletePolicy(name: string, who: string, opts?: WriteOptions): Promise<{ version: number }>;
  /** Appends a new version whose spec equals version toVersion (also restores a deleted policy). */
  rollbackPolicy(name: string, toVersion: number, who: string, opts?: WriteOptions): Promise<Policy>;
  /** Every version (oldest first) and the audit entries; undefined when the name never existed. */
  history(name: string): Promise<PolicyHistory | undefined>;
  /** Latest audit entries across policies, newest first. */
  listAudit(opts?: { policy?: string; limit?: number }): Promise<AuditEntry[]>;
  /** Records an operator action that is not a policy write (a ramp command) against the current version. */
  recordAudit(policy: string, who: string, action: AuditAction, changes: SpecChange[]): Promise<AuditEntry>;

  /** Engine state blobs (report book, blast radius), keyed by a component or policy name. */
  saveState(key: string, state: unknown): Promise<void>;
  loadState(key: string): Promise<unknown | undefined>;

  addAlert(alert: AlertInput): Promise<StoredAlert>;
  markAlertDelivered(id: number, delivered: boolean): Promise<void>;
  markAlertDelivery(id: number, status: DeliveryStatus): Promise<void>;
  /** Newest first. */
  listAlerts(opts?: { policy?: string; limit?: number; state?: AlertState }): Promise<StoredAlert[]>;
  /** Moves one alert to acknowledged or resolved; not_found when there is no such alert. */
  setAlertState(id: number, state: 'acknowledged' | 'resolved', who: string, at: number): Promise<StoredAlert>;
  /** Resolves the alerts of an endpoint that are not resolved yet (its rate recovered); returns them. */
  resolveAlerts(policy: string, endpoint: string, who: string, at: number): Promise<StoredAlert[]>;

  /** Cheap liveness probe for /healthz. */
  ping(): Promise<void>;
  close(): Promise<void>;

  /** Where the data lives, for the start-up log (a file path, or a URL without its password). */
  readonly file: string;
  /**
   * Shared stores only (PostgreSQL): calls `listener` with each change a replica commits
   * ('policy:<name>', 'ramp:<name>'), and 'resync' when changes may have been missed. Returns the
   * unsubscribe function. Absent for the embedded store: one process sees its own writes.
   */
  watch?(listener: (change: string) => void): () => void;
  /** Shared stores only: announces a change this replica saved outside a policy write (a ramp transition). */
  notify?(change: string): Promise<void>;
}
