// The SQLite schema, as an ordered list of migrations. A database records the last applied one in
// PRAGMA user_version; opening applies the rest inside one transaction. Never edit a released
// migration: append a new one.

import type Database from 'better-sqlite3';

export const migrations: readonly string[] = [
  // 1: versioned policies, audit trail, engine state, alerts
  `
  CREATE TABLE policies (
    name        TEXT PRIMARY KEY,
    version     INTEGER NOT NULL,            -- latest version (may be a tombstone)
    deleted     INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE policy_versions (
    name        TEXT NOT NULL REFERENCES policies(name),
    version     INTEGER NOT NULL,
    spec        TEXT,                        -- JSON; NULL for a tombstone
    deleted     INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    PRIMARY KEY (name, version)
  );
  CREATE TABLE audit (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT NOT NULL,
    who          TEXT NOT NULL,
    action       TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete', 'rollback')),
    policy       TEXT NOT NULL,
    from_version INTEGER,
    to_version   INTEGER NOT NULL,
    summary      TEXT NOT NULL               -- JSON SpecChange[]
  );
  CREATE INDEX audit_policy ON audit (policy, id);
  CREATE TABLE report_state (
    key         TEXT PRIMARY KEY,
    state       TEXT NOT NULL,               -- JSON
    updated_at  TEXT NOT NULL
  );
  CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,            -- unix ms
    policy      TEXT NOT NULL,
    endpoint    TEXT NOT NULL,
    rate        REAL NOT NULL,
    pairs       INTEGER NOT NULL,
    message     TEXT NOT NULL,
    delivered   INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX alerts_policy ON alerts (policy, id);
  `,
  // 2: the audit trail also records mirror-ramp commands (SQLite cannot alter a CHECK: rebuild the table)
  `
  CREATE TABLE audit_v2 (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT NOT NULL,
    who          TEXT NOT NULL,
    action       TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete', 'rollback',
                                                 'ramp-start', 'ramp-pause', 'ramp-resume', 'ramp-abort')),
    policy       TEXT NOT NULL,
    from_version INTEGER,
    to_version   INTEGER NOT NULL,
    summary      TEXT NOT NULL               -- JSON SpecChange[]
  );
  INSERT INTO audit_v2 (id, at, who, action, policy, from_version, to_version, summary)
    SELECT id, at, who, action, policy, from_version, to_version, summary FROM audit;
  DROP TABLE audit;
  ALTER TABLE audit_v2 RENAME TO audit;
  CREATE INDEX audit_policy ON audit (policy, id);
  `,
  // 3: an alert has a state an operator moves: open → acknowledged → resolved (also resolved by the
  // engine when its endpoint recovers), with who and when
  `
  ALTER TABLE alerts ADD COLUMN state TEXT NOT NULL DEFAULT 'open'
    CHECK (state IN ('open', 'acknowledged', 'resolved'));
  ALTER TABLE alerts ADD COLUMN state_by TEXT;
  ALTER TABLE alerts ADD COLUMN state_at INTEGER;
  CREATE INDEX alerts_open ON alerts (policy, endpoint, state);
  `,
];

/** Applies pending migrations; refuses a database written by a newer version of the control plane. */
export function migrate(db: Database.Database): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new Error(
      `database schema version ${current} is newer than this control plane (${migrations.length}); upgrade the control plane`,
    );
  }
  const apply = db.transaction(() => {
    for (let v = current; v < migrations.length; v++) db.exec(migrations[v]);
    db.pragma(`user_version = ${migrations.length}`);
  });
  if (current < migrations.length) apply.immediate();
  return migrations.length;
}
