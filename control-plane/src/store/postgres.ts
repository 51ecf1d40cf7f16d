// The replicated store: PostgreSQL behind the same Store contract as the embedded SQLite file, so
// several control-plane replicas share policies (versions, audit), alerts and engine state.
//
// Every policy write runs in one transaction under a transaction-scoped advisory lock: replicas
// writing at once are serialized (policy writes are rare), the precondition and the one-policy-per-
// service rule are checked against committed state, and history and audit never disagree. Each write
// also NOTIFYs `shadowguard_changes` in its transaction, delivered at commit: watch() hands those to
// the other replicas (main.ts refreshes their snapshots, so the filters connected to them get the
// change within a second). The row shapes and rules are the SQLite repositories' (policies.ts,
// state.ts), so both stores answer alike.
import pg from 'pg';
import type { Policy, PolicySpec } from '../domain/types.js';
import {
  checkPreconditions,
  checkServices,
  rollbackSpec,
  toAudit,
  toPolicy,
  toVersion,
  type AuditRow,
  type HeadRow,
  type VersionRow,
} from './policies.js';
import { LOCKS, migratePg } from './postgres-schema.js';
import { specChanges, specsEqual } from './spec-diff.js';
import { DELIVERY_CODES, toAlert, type AlertRow } from './state.js';
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

export const CHANGES_CHANNEL = 'shadowguard_changes';

/** What changed, as other replicas hear it: 'policy:<name>', 'ramp:<name>', or 'resync' (a reconnect: reload everything). */
export type ChangeListener = (change: string) => void;

export interface PostgresStoreOptions {
  url: string;
  now?: () => Date;
  /** pool size (default 5) */
  max?: number;
}

type Q = Pick<pg.PoolClient, 'query'>;

// int8 columns arrive as strings from pg; ids and unix-ms times fit a double.
const HEAD = 'SELECT name, version, deleted::int AS deleted FROM policies WHERE name = $1';
const VERSION_COLS = 'v.name, v.version, v.spec, v.deleted::int AS deleted, v.created_at, v.created_by';
const CURRENT = `SELECT ${VERSION_COLS} FROM policies p JOIN policy_versions v ON v.name = p.name AND v.version = p.version
                 WHERE NOT p.deleted`;
const AUDIT_COLS = 'id::float8 AS id, at, who, action, policy, from_version, to_version, summary';
const ALERT_COLS =
  'id::float8 AS id, at::float8 AS at, policy, endpoint, rate, pairs, message, delivered, state, state_by, state_at::float8 AS state_at';

/** Redacts the password of a connection URL for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export class PostgresStore implements Store {
  readonly file: string;
  private readonly pool: pg.Pool;
  private readonly now: () => Date;
  private listener?: pg.Client;
  private closed = false;

  private constructor(private readonly opts: PostgresStoreOptions) {
    this.file = redactUrl(opts.url);
    this.now = opts.now ?? (() => new Date());
    this.pool = new pg.Pool({ connectionString: opts.url, max: opts.max ?? 5, connectionTimeoutMillis: 5000 });
    // An idle client losing its server must not crash the process: the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  /** Connects and applies pending migrations; the error names the (redacted) URL. */
  static async open(opts: PostgresStoreOptions): Promise<PostgresStore> {
    const s = new PostgresStore(opts);
    try {
      await migratePg(s.pool);
    } catch (err) {
      await s.pool.end().catch(() => undefined);
      throw new Error(`cannot open database ${s.file}: ${(err as Error).message}`);
    }
    return s;
  }

  async listPolicies(): Promise<Policy[]> {
    return this.list(this.pool);
  }

  async getPolicy(name: string): Promise<Policy | undefined> {
    const r = await this.pool.query<VersionRow>(`${CURRENT} AND p.name = $1`, [name]);
    return r.rows[0] && toPolicy(r.rows[0]);
  }

  putPolicy(name: string, spec: PolicySpec, who: string, opts: WriteOptions = {}): Promise<PutResult> {
    return this.policyWrite<PutResult>(name, async (c, head) => {
      checkPreconditions(name, head, opts);
      checkServices(name, spec, await this.list(c));
      const live = head && head.deleted === 0 ? await this.current(c, name) : undefined;
      if (live && specsEqual(JSON.parse(live.spec ?? '{}'), spec))
        return { result: { policy: toPolicy(live), created: false, changed: false }, changed: false };
      const before = live ? JSON.parse(live.spec ?? '{}') : {};
      const action = live ? 'update' : 'create';
      const policy = await this.append(c, name, head, spec, who, action, specChanges(before, spec));
      return { result: { policy, created: !live, changed: true }, changed: true };
    });
  }

  deletePolicy(name: string, who: string, opts: WriteOptions = {}): Promise<{ version: number }> {
    return this.policyWrite(name, async (c, head) => {
      if (!head || head.deleted === 1) throw new StoreError('not_found', `policy '${name}' does not exist`);
      checkPreconditions(name, head, opts);
      const live = (await this.current(c, name)) as VersionRow;
      const version = head.version + 1;
      const at = this.now().toISOString();
      await c.query(
        'INSERT INTO policy_versions (name, version, spec, deleted, created_at, created_by) VALUES ($1, $2, NULL, TRUE, $3, $4)',
        [name, version, at, who],
      );
      await c.query('UPDATE policies SET version = $1, deleted = TRUE WHERE name = $2', [version, name]);
      const changes = specChanges(JSON.parse(live.spec ?? '{}'), {});
      await this.audit(c, at, who, 'delete', name, head.version, version, changes);
      return { result: { version }, changed: true };
    });
  }

  rollbackPolicy(name: string, toVersion: number, who: string, opts: WriteOptions = {}): Promise<Policy> {
    return this.policyWrite(name, async (c, head) => {
      if (!head) throw new StoreError('not_found', `policy '${name}' does not exist`);
      checkPreconditions(name, head, opts);
      const target = await c.query<VersionRow>(
        `SELECT ${VERSION_COLS} FROM policy_versions v WHERE v.name = $1 AND v.version = $2`,
        [name, toVersion],
      );
      const spec = rollbackSpec(name, toVersion, target.rows[0]);
      checkServices(name, spec, await this.list(c));
      const live = head.deleted === 0 ? await this.current(c, name) : undefined;
      const before = live ? JSON.parse(live.spec ?? '{}') : {};
      const policy = await this.append(c, name, head, spec, who, 'rollback', specChanges(before, spec));
      return { result: policy, changed: true };
    });
  }

  async history(name: string): Promise<PolicyHistory | undefined> {
    const head = (await this.pool.query<HeadRow>(HEAD, [name])).rows[0];
    if (!head) return undefined;
    const versions = await this.pool.query<VersionRow>(
      `SELECT ${VERSION_COLS} FROM policy_versions v WHERE v.name = $1 ORDER BY v.version`,
      [name],
    );
    const audit = await this.pool.query<AuditRow>(`SELECT ${AUDIT_COLS} FROM audit WHERE policy = $1 ORDER BY id`, [
      name,
    ]);
    return {
      name,
      version: head.version,
      deleted: head.deleted === 1,
      versions: versions.rows.map(toVersion),
      audit: audit.rows.map(toAudit),
    };
  }

  async listAudit(opts: { policy?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    const limit = opts.limit ?? 100;
    const r =
      opts.policy === undefined
        ? await this.pool.query<AuditRow>(`SELECT ${AUDIT_COLS} FROM audit ORDER BY id DESC LIMIT $1`, [limit])
        : await this.pool.query<AuditRow>(
            `SELECT ${AUDIT_COLS} FROM audit WHERE policy = $1 ORDER BY id DESC LIMIT $2`,
            [opts.policy, limit],
          );
    return r.rows.map(toAudit);
  }

  /** A ramp command: an audit entry against the current version, and a 'ramp:<name>' change for the other replicas. */
  recordAudit(policy: string, who: string, action: AuditAction, changes: SpecChange[]): Promise<AuditEntry> {
    return this.tx(async (c) => {
      const head = (await c.query<HeadRow>(HEAD, [policy])).rows[0];
      if (!head || head.deleted === 1) throw new StoreError('not_found', `policy '${policy}' does not exist`);
      const entry = await this.audit(
        c,
        this.now().toISOString(),
        who,
        action,
        policy,
        head.version,
        head.version,
        changes,
      );
      await c.query('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, `ramp:${policy}`]);
      return entry;
    });
  }

  async saveState(key: string, state: unknown): Promise<void> {
    await this.pool.query(
      `INSERT INTO engine_state (key, state, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at`,
      [key, JSON.stringify(state), this.now().toISOString()],
    );
  }

  async loadState(key: string): Promise<unknown | undefined> {
    const r = await this.pool.query<{ state: string }>('SELECT state FROM engine_state WHERE key = $1', [key]);
    return r.rows[0] && JSON.parse(r.rows[0].state);
  }

  async addAlert(a: AlertInput): Promise<StoredAlert> {
    const r = await this.pool.query<{ id: number }>(
      'INSERT INTO alerts (at, policy, endpoint, rate, pairs, message) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id::float8 AS id',
      [a.at, a.policy, a.endpoint, a.rate, a.pairs, a.message],
    );
    return {
      ...a,
      id: r.rows[0].id,
      delivered: false,
      delivery: 'pending',
      state: 'open',
      stateBy: null,
      stateAt: null,
    };
  }

  async markAlertDelivered(id: number, delivered: boolean): Promise<void> {
    await this.markAlertDelivery(id, delivered ? 'delivered' : 'failed');
  }

  async markAlertDelivery(id: number, status: DeliveryStatus): Promise<void> {
    await this.pool.query('UPDATE alerts SET delivered = $1 WHERE id = $2', [DELIVERY_CODES.indexOf(status), id]);
  }

  async listAlerts(opts: { policy?: string; limit?: number; state?: AlertState } = {}): Promise<StoredAlert[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (opts.state !== undefined) where.push(`state = $${args.push(opts.state)}`);
    if (opts.policy !== undefined) where.push(`policy = $${args.push(opts.policy)}`);
    const limit = `$${args.push(opts.limit ?? 100)}`;
    const r = await this.pool.query<AlertRow>(
      `SELECT ${ALERT_COLS} FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit}`,
      args,
    );
    return r.rows.map(toAlert);
  }

  async setAlertState(id: number, state: 'acknowledged' | 'resolved', who: string, at: number): Promise<StoredAlert> {
    const r = await this.pool.query<AlertRow>(
      `UPDATE alerts SET state = $1, state_by = $2, state_at = $3 WHERE id = $4 RETURNING ${ALERT_COLS}`,
      [state, who, at, id],
    );
    if (!r.rows[0]) throw new StoreError('not_found', `alert ${id} does not exist`);
    return toAlert(r.rows[0]);
  }

  async resolveAlerts(policy: string, endpoint: string, who: string, at: number): Promise<StoredAlert[]> {
    const r = await this.pool.query<AlertRow>(
      `UPDATE alerts SET state = 'resolved', state_by = $3, state_at = $4
       WHERE policy = $1 AND endpoint = $2 AND state <> 'resolved' RETURNING ${ALERT_COLS}`,
      [policy, endpoint, who, at],
    );
    return r.rows.map(toAlert).sort((a, b) => a.id - b.id);
  }

  async notify(change: string): Promise<void> {
    await this.pool.query('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, change]);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  /**
   * Calls `listener` with every change another replica (or this one) commits. A lost LISTEN
   * connection is reopened after a second, then `listener('resync')`: notifications sent meanwhile
   * are lost, so the caller reloads everything. Returns the unsubscribe function.
   */
  watch(listener: ChangeListener): () => void {
    let stopped = false;
    const connect = async (): Promise<void> => {
      if (stopped || this.closed) return;
      const c = new pg.Client({ connectionString: this.opts.url, connectionTimeoutMillis: 5000 });
      const retry = () => {
        c.removeAllListeners();
        c.end().catch(() => undefined);
        if (this.listener === c) this.listener = undefined;
        if (!stopped && !this.closed) setTimeout(() => void connect().then(() => listener('resync')), 1000).unref();
      };
      c.on('error', retry);
      c.on('end', retry);
      c.on('notification', (n) => {
        if (n.channel === CHANGES_CHANNEL && n.payload) listener(n.payload);
      });
      try {
        await c.connect();
        await c.query(`LISTEN ${CHANGES_CHANNEL}`);
        this.listener = c;
      } catch {
        retry();
      }
    };
    void connect();
    return () => {
      stopped = true;
      const c = this.listener;
      this.listener = undefined;
      c?.removeAllListeners();
      void c?.end().catch(() => undefined);
    };
  }

  /** A pool the lease (cluster/lease.ts) may share: the same server and credentials. */
  get url(): string {
    return this.opts.url;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const c = this.listener;
    this.listener = undefined;
    c?.removeAllListeners();
    await c?.end().catch(() => undefined);
    await this.pool.end();
  }

  // ---- internals ----

  private async list(q: Q): Promise<Policy[]> {
    return (await q.query<VersionRow>(`${CURRENT} ORDER BY p.name`)).rows.map(toPolicy);
  }

  private async current(q: Q, name: string): Promise<VersionRow | undefined> {
    return (await q.query<VersionRow>(`${CURRENT} AND p.name = $1`, [name])).rows[0];
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  /** One policy write: serialized across replicas, checked against committed state, announced at commit. */
  private policyWrite<T>(
    name: string,
    fn: (c: pg.PoolClient, head: HeadRow | undefined) => Promise<{ result: T; changed: boolean }>,
  ): Promise<T> {
    return this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [LOCKS.policies]);
      const head = (await c.query<HeadRow>(HEAD, [name])).rows[0];
      const { result, changed } = await fn(c, head);
      if (changed) await c.query('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, `policy:${name}`]);
      return result;
    });
  }

  private async append(
    c: pg.PoolClient,
    name: string,
    head: HeadRow | undefined,
    spec: PolicySpec,
    who: string,
    action: AuditAction,
    changes: SpecChange[],
  ): Promise<Policy> {
    const version = (head?.version ?? 0) + 1;
    const at = this.now().toISOString();
    if (head) await c.query('UPDATE policies SET version = $1, deleted = FALSE WHERE name = $2', [version, name]);
    else await c.query('INSERT INTO policies (name, version, deleted) VALUES ($1, $2, FALSE)', [name, version]);
    await c.query(
      'INSERT INTO policy_versions (name, version, spec, deleted, created_at, created_by) VALUES ($1, $2, $3, FALSE, $4, $5)',
      [name, version, JSON.stringify(spec), at, who],
    );
    await this.audit(c, at, who, action, name, head?.version ?? null, version, changes);
    return { name, version, spec, updatedAt: at, updatedBy: who };
  }

  private async audit(
    c: Q,
    at: string,
    who: string,
    action: AuditAction,
    policy: string,
    from: number | null,
    to: number,
    changes: SpecChange[],
  ): Promise<AuditEntry> {
    const r = await c.query<AuditRow>(
      `INSERT INTO audit (at, who, action, policy, from_version, to_version, summary)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${AUDIT_COLS}`,
      [at, who, action, policy, from, to, JSON.stringify(changes)],
    );
    return toAudit(r.rows[0]);
  }
}
