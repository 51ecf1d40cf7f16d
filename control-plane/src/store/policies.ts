// The policy repository: tables policies, policy_versions and audit. Every write runs in one
// IMMEDIATE transaction that checks its precondition, appends a version and writes the audit entry,
// so history and audit can never disagree. Also enforces that a service is covered by at most one
// live policy: the snapshot cache and ingest look policies up by service.

import type Database from 'better-sqlite3';
import type { Policy, PolicySpec } from '../domain/types.js';
import { specChanges, specsEqual } from './spec-diff.js';
import {
  StoreError,
  type AuditAction,
  type AuditEntry,
  type PolicyHistory,
  type PolicyVersion,
  type PutResult,
  type SpecChange,
  type WriteOptions,
} from './types.js';

// Row shapes shared with the PostgreSQL store (store/postgres.ts selects into the same shapes).
export interface HeadRow {
  name: string;
  version: number;
  deleted: number;
}
export interface VersionRow {
  name: string;
  version: number;
  spec: string | null;
  deleted: number;
  created_at: string;
  created_by: string;
}
export interface AuditRow {
  id: number;
  at: string;
  who: string;
  action: AuditAction;
  policy: string;
  from_version: number | null;
  to_version: number;
  summary: string;
}

export function toPolicy(r: VersionRow): Policy {
  return {
    name: r.name,
    version: r.version,
    spec: JSON.parse(r.spec ?? '{}') as PolicySpec,
    updatedAt: r.created_at,
    updatedBy: r.created_by,
  };
}

export function toVersion(r: VersionRow): PolicyVersion {
  const v: PolicyVersion = {
    name: r.name,
    version: r.version,
    deleted: r.deleted === 1,
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
  if (r.spec !== null) v.spec = JSON.parse(r.spec) as PolicySpec;
  return v;
}

export function toAudit(r: AuditRow): AuditEntry {
  return {
    id: r.id,
    at: r.at,
    who: r.who,
    action: r.action,
    policy: r.policy,
    fromVersion: r.from_version,
    toVersion: r.to_version,
    changes: JSON.parse(r.summary),
  };
}

function prepare(db: Database.Database) {
  return {
    head: db.prepare('SELECT name, version, deleted FROM policies WHERE name = ?'),
    current: db.prepare(`SELECT v.* FROM policies p JOIN policy_versions v ON v.name = p.name AND v.version = p.version
                         WHERE p.deleted = 0 ORDER BY p.name`),
    currentOne:
      db.prepare(`SELECT v.* FROM policies p JOIN policy_versions v ON v.name = p.name AND v.version = p.version
                            WHERE p.deleted = 0 AND p.name = ?`),
    version: db.prepare('SELECT * FROM policy_versions WHERE name = ? AND version = ?'),
    versions: db.prepare('SELECT * FROM policy_versions WHERE name = ? ORDER BY version'),
    insertHead: db.prepare('INSERT INTO policies (name, version, deleted) VALUES (?, ?, ?)'),
    updateHead: db.prepare('UPDATE policies SET version = ?, deleted = ? WHERE name = ?'),
    insertVersion: db.prepare(
      'INSERT INTO policy_versions (name, version, spec, deleted, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    insertAudit: db.prepare(
      'INSERT INTO audit (at, who, action, policy, from_version, to_version, summary) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    auditFor: db.prepare('SELECT * FROM audit WHERE policy = ? ORDER BY id'),
    auditById: db.prepare('SELECT * FROM audit WHERE id = ?'),
    auditLatest: db.prepare('SELECT * FROM audit ORDER BY id DESC LIMIT ?'),
    auditLatestFor: db.prepare('SELECT * FROM audit WHERE policy = ? ORDER BY id DESC LIMIT ?'),
  };
}

export class PolicyRepository {
  private readonly q: ReturnType<typeof prepare>;

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.q = prepare(db);
  }

  list(): Policy[] {
    return (this.q.current.all() as VersionRow[]).map(toPolicy);
  }

  get(name: string): Policy | undefined {
    const r = this.q.currentOne.get(name) as VersionRow | undefined;
    return r && toPolicy(r);
  }

  put(name: string, spec: PolicySpec, who: string, opts: WriteOptions = {}): PutResult {
    return this.db
      .transaction(() => {
        const head = this.q.head.get(name) as HeadRow | undefined;
        checkPreconditions(name, head, opts);
        checkServices(name, spec, this.list());
        const live = head && head.deleted === 0 ? (this.q.currentOne.get(name) as VersionRow) : undefined;
        if (live && specsEqual(JSON.parse(live.spec ?? '{}'), spec)) {
          return { policy: toPolicy(live), created: false, changed: false };
        }
        const before = live ? JSON.parse(live.spec ?? '{}') : {};
        const policy = this.append(name, head, spec, who, live ? 'update' : 'create', specChanges(before, spec));
        return { policy, created: !live, changed: true };
      })
      .immediate();
  }

  delete(name: string, who: string, opts: WriteOptions = {}): { version: number } {
    return this.db
      .transaction(() => {
        const head = this.q.head.get(name) as HeadRow | undefined;
        if (!head || head.deleted === 1) throw new StoreError('not_found', `policy '${name}' does not exist`);
        checkPreconditions(name, head, opts);
        const live = this.q.currentOne.get(name) as VersionRow;
        const version = head.version + 1;
        const at = this.now().toISOString();
        this.q.insertVersion.run(name, version, null, 1, at, who);
        this.q.updateHead.run(version, 1, name);
        this.q.insertAudit.run(
          at,
          who,
          'delete',
          name,
          head.version,
          version,
          JSON.stringify(specChanges(JSON.parse(live.spec ?? '{}'), {})),
        );
        return { version };
      })
      .immediate();
  }

  rollback(name: string, toVersion: number, who: string, opts: WriteOptions = {}): Policy {
    return this.db
      .transaction(() => {
        const head = this.q.head.get(name) as HeadRow | undefined;
        if (!head) throw new StoreError('not_found', `policy '${name}' does not exist`);
        checkPreconditions(name, head, opts);
        const spec = rollbackSpec(name, toVersion, this.q.version.get(name, toVersion) as VersionRow | undefined);
        checkServices(name, spec, this.list());
        const live = head.deleted === 0 ? (this.q.currentOne.get(name) as VersionRow) : undefined;
        const before = live ? JSON.parse(live.spec ?? '{}') : {};
        return this.append(name, head, spec, who, 'rollback', specChanges(before, spec));
      })
      .immediate();
  }

  history(name: string): PolicyHistory | undefined {
    const head = this.q.head.get(name) as HeadRow | undefined;
    if (!head) return undefined;
    return {
      name,
      version: head.version,
      deleted: head.deleted === 1,
      versions: (this.q.versions.all(name) as VersionRow[]).map(toVersion),
      audit: (this.q.auditFor.all(name) as AuditRow[]).map(toAudit),
    };
  }

  audit(opts: { policy?: string; limit?: number } = {}): AuditEntry[] {
    const limit = opts.limit ?? 100;
    const rows =
      opts.policy === undefined ? this.q.auditLatest.all(limit) : this.q.auditLatestFor.all(opts.policy, limit);
    return (rows as AuditRow[]).map(toAudit);
  }

  /** An audit entry for an action that writes no version (ramp commands): from = to = current version. */
  record(name: string, who: string, action: AuditAction, changes: SpecChange[]): AuditEntry {
    return this.db
      .transaction(() => {
        const head = this.q.head.get(name) as HeadRow | undefined;
        if (!head || head.deleted === 1) throw new StoreError('not_found', `policy '${name}' does not exist`);
        const r = this.q.insertAudit.run(
          this.now().toISOString(),
          who,
          action,
          name,
          head.version,
          head.version,
          JSON.stringify(changes),
        );
        return toAudit(this.q.auditById.get(Number(r.lastInsertRowid)) as AuditRow);
      })
      .immediate();
  }

  private append(
    name: string,
    head: HeadRow | undefined,
    spec: PolicySpec,
    who: string,
    action: AuditAction,
    changes: ReturnType<typeof specChanges>,
  ): Policy {
    const version = (head?.version ?? 0) + 1;
    const at = this.now().toISOString();
    if (head) this.q.updateHead.run(version, 0, name);
    else this.q.insertHead.run(name, version, 0);
    this.q.insertVersion.run(name, version, JSON.stringify(spec), 0, at, who);
    this.q.insertAudit.run(at, who, action, name, head?.version ?? null, version, JSON.stringify(changes));
    return { name, version, spec, updatedAt: at, updatedBy: who };
  }
}

/** The spec a rollback restores: the target version's, refused when it does not exist or is a deletion. */
export function rollbackSpec(name: string, toVersion: number, target: VersionRow | undefined): PolicySpec {
  if (!target) throw new StoreError('not_found', `policy '${name}' has no version ${toVersion}`);
  if (target.spec === null)
    throw new StoreError(
      'conflict',
      `version ${toVersion} of policy '${name}' is a deletion; roll back to a version with a spec`,
    );
  return JSON.parse(target.spec) as PolicySpec;
}

/** The write preconditions (HTTP If-Match / If-None-Match) against the policy's head row. */
export function checkPreconditions(name: string, head: HeadRow | undefined, opts: WriteOptions): void {
  if (opts.ifAbsent && head && head.deleted === 0) {
    throw new StoreError('precondition_failed', `policy '${name}' already exists (version ${head.version})`);
  }
  if (opts.ifVersion !== undefined && head?.version !== opts.ifVersion) {
    throw new StoreError(
      'precondition_failed',
      `policy '${name}' is at version ${head?.version ?? 'none'}, not ${opts.ifVersion}; reload and retry`,
    );
  }
}

/** A service belongs to at most one live policy: the snapshot cache and ingest look policies up by service. */
export function checkServices(name: string, spec: PolicySpec, current: Policy[]): void {
  for (const other of current) {
    if (other.name === name) continue;
    const shared = spec.services.find((s) => other.spec.services.includes(s));
    if (shared !== undefined) {
      throw new StoreError(
        'conflict',
        `service '${shared}' is already covered by policy '${other.name}'; a service belongs to one policy`,
      );
    }
  }
}
