// The embedded store: one SQLite file (default ./data/shadowguard.db) in WAL mode, so readers never
// wait for the writer and a crash loses at most the last transaction. better-sqlite3 is synchronous;
// the Store interface is async for the PostgreSQL store to come, so each method wraps a sync call.

import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Policy, PolicySpec } from '../domain/types.js';
import { migrate } from './migrations.js';
import { PolicyRepository } from './policies.js';
import { AlertRepository, StateRepository } from './state.js';
import {
  StoreError,
  type AlertInput,
  type AlertState,
  type AuditAction,
  type AuditEntry,
  type DeliveryStatus,
  type PolicyHistory,
  type PutResult,
  type SpecChange,
  type Store,
  type StoredAlert,
  type WriteOptions,
} from './types.js';

export const DB_FILE = 'shadowguard.db';

export interface SqliteStoreOptions {
  /** Directory of the database file, created if missing. ':memory:' for a throw-away database. */
  dataDir: string;
  now?: () => Date;
}

export class SqliteStore implements Store {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly policies: PolicyRepository;
  private readonly state: StateRepository;
  private readonly alerts: AlertRepository;

  constructor(opts: SqliteStoreOptions) {
    if (opts.dataDir === ':memory:') {
      this.file = ':memory:';
    } else {
      fs.mkdirSync(opts.dataDir, { recursive: true });
      this.file = path.join(opts.dataDir, DB_FILE);
    }
    try {
      this.db = new Database(this.file, { timeout: 5000 });
    } catch (err) {
      throw new Error(`cannot open database ${this.file}: ${(err as Error).message}`);
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    migrate(this.db);
    this.policies = new PolicyRepository(this.db, opts.now);
    this.state = new StateRepository(this.db, opts.now);
    this.alerts = new AlertRepository(this.db);
  }

  async listPolicies(): Promise<Policy[]> {
    return this.policies.list();
  }
  async getPolicy(name: string): Promise<Policy | undefined> {
    return this.policies.get(name);
  }
  async putPolicy(name: string, spec: PolicySpec, who: string, opts?: WriteOptions): Promise<PutResult> {
    return this.policies.put(name, spec, who, opts);
  }
  async deletePolicy(name: string, who: string, opts?: WriteOptions): Promise<{ version: number }> {
    return this.policies.delete(name, who, opts);
  }
  async rollbackPolicy(name: string, toVersion: number, who: string, opts?: WriteOptions): Promise<Policy> {
    return this.policies.rollback(name, toVersion, who, opts);
  }
  async history(name: string): Promise<PolicyHistory | undefined> {
    return this.policies.history(name);
  }
  async listAudit(opts?: { policy?: string; limit?: number }): Promise<AuditEntry[]> {
    return this.policies.audit(opts);
  }
  async recordAudit(policy: string, who: string, action: AuditAction, changes: SpecChange[]): Promise<AuditEntry> {
    return this.policies.record(policy, who, action, changes);
  }

  async saveState(key: string, state: unknown): Promise<void> {
    this.state.save(key, state);
  }
  async loadState(key: string): Promise<unknown | undefined> {
    return this.state.load(key);
  }

  async addAlert(alert: AlertInput): Promise<StoredAlert> {
    return this.alerts.add(alert);
  }
  async markAlertDelivered(id: number, delivered: boolean): Promise<void> {
    this.alerts.markDelivered(id, delivered ? 'delivered' : 'failed');
  }
  async markAlertDelivery(id: number, status: DeliveryStatus): Promise<void> {
    this.alerts.markDelivered(id, status);
  }
  async listAlerts(opts?: { policy?: string; limit?: number; state?: AlertState }): Promise<StoredAlert[]> {
    return this.alerts.list(opts);
  }
  async setAlertState(id: number, state: 'acknowledged' | 'resolved', who: string, at: number): Promise<StoredAlert> {
    const a = this.alerts.setStateOf(id, state, who, at);
    if (!a) throw new StoreError('not_found', `alert ${id} does not exist`);
    return a;
  }
  async resolveAlerts(policy: string, endpoint: string, who: string, at: number): Promise<StoredAlert[]> {
    return this.alerts.resolve(policy, endpoint, who, at);
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    // Fold the WAL back into the main file so a stopped control plane leaves one self-contained file.
    if (!this.db.open) return;
    if (this.file !== ':memory:') this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }
}
