// The PostgreSQL schema, as an ordered list of migrations (the same tables as the SQLite store, see
// migrations.ts). Specs and state blobs are TEXT, not JSONB: JSONB reorders keys, and a policy is
// served exactly as written. Applied under an advisory lock, so replicas starting together never
// race; a database migrated by a newer control plane is refused. Never edit a released migration.
import type pg from 'pg';

export const PG_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE policies (
    name        TEXT PRIMARY KEY,
    version     INTEGER NOT NULL,
    deleted     BOOLEAN NOT NULL DEFAULT FALSE
  );
  CREATE TABLE policy_versions (
    name        TEXT NOT NULL REFERENCES policies(name),
    version     INTEGER NOT NULL,
    spec        TEXT,
    deleted     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    PRIMARY KEY (name, version)
  );
  CREATE TABLE audit (
    id           BIGSERIAL PRIMARY KEY,
    at           TEXT NOT NULL,
    who          TEXT NOT NULL,
    action       TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete', 'rollback',
                                                 'ramp-start', 'ramp-pause', 'ramp-resume', 'ramp-abort')),
    policy       TEXT NOT NULL,
    from_version INTEGER,
    to_version   INTEGER NOT NULL,
    summary      TEXT NOT NULL
  );
  CREATE INDEX audit_policy ON audit (policy, id);
  CREATE TABLE engine_state (
    key         TEXT PRIMARY KEY,
    state       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
  );
  CREATE TABLE alerts (
    id          BIGSERIAL PRIMARY KEY,
    at          BIGINT NOT NULL,
    policy      TEXT NOT NULL,
    endpoint    TEXT NOT NULL,
    rate        DOUBLE PRECISION NOT NULL,
    pairs       INTEGER NOT NULL,
    message     TEXT NOT NULL,
    delivered   INTEGER NOT NULL DEFAULT 0,
    state       TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged', 'resolved')),
    state_by    TEXT,
    state_at    BIGINT
  );
  CREATE INDEX alerts_policy ON alerts (policy, id);
  CREATE INDEX alerts_open ON alerts (policy, endpoint, state);
  `,
  // 2: the leader lease's fencing counter (cluster/lease.ts): one row per lease name
  `
  CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    fence       BIGINT NOT NULL,
    holder      TEXT NOT NULL,
    acquired_at TEXT NOT NULL
  );
  `,
];

/** Keys of the advisory locks the control plane takes (pg_advisory_lock takes one bigint). */
export const LOCKS = { migrate: 0x5347_0001, policies: 0x5347_0002 } as const;

export async function migratePg(pool: pg.Pool): Promise<number> {
  const c = await pool.connect();
  try {
    await c.query('SELECT pg_advisory_lock($1)', [LOCKS.migrate]);
    await c.query('CREATE TABLE IF NOT EXISTS shadowguard_schema (version INTEGER NOT NULL)');
    const r = await c.query<{ version: number }>('SELECT version FROM shadowguard_schema');
    const current = r.rows[0]?.version ?? 0;
    if (current > PG_MIGRATIONS.length)
      throw new Error(
        `database schema version ${current} is newer than this control plane (${PG_MIGRATIONS.length}); upgrade the control plane`,
      );
    if (current < PG_MIGRATIONS.length) {
      await c.query('BEGIN');
      try {
        for (let v = current; v < PG_MIGRATIONS.length; v++) await c.query(PG_MIGRATIONS[v]);
        await c.query('DELETE FROM shadowguard_schema');
        await c.query('INSERT INTO shadowguard_schema (version) VALUES ($1)', [PG_MIGRATIONS.length]);
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK');
        throw err;
      }
    }
    return PG_MIGRATIONS.length;
  } finally {
    await c.query('SELECT pg_advisory_unlock($1)', [LOCKS.migrate]).catch(() => undefined);
    c.release();
  }
}
