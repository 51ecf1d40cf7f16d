// The report_state and alerts tables: engine state blobs saved periodically and on shutdown, and
// the alerts the engine raised (with whether the webhook delivered them).

import type Database from 'better-sqlite3';
import type { AlertInput, AlertState, DeliveryStatus, StoredAlert } from './types.js';

// The alerts.delivered column (INTEGER since migration 1) holds a delivery code: 0 and 1 keep their
// old meaning (pending, delivered), so no migration is needed and old rows read as before.
export const DELIVERY_CODES: DeliveryStatus[] = ['pending', 'delivered', 'failed', 'skipped', 'no webhook'];

export interface AlertRow {
  id: number;
  at: number;
  policy: string;
  endpoint: string;
  rate: number;
  pairs: number;
  message: string;
  delivered: number;
  state: AlertState;
  state_by: string | null;
  state_at: number | null;
}

export const toAlert = (r: AlertRow): StoredAlert => ({
  id: r.id,
  at: r.at,
  policy: r.policy,
  endpoint: r.endpoint,
  rate: r.rate,
  pairs: r.pairs,
  message: r.message,
  delivered: r.delivered === 1,
  delivery: DELIVERY_CODES[r.delivered] ?? 'pending',
  state: r.state,
  stateBy: r.state_by,
  stateAt: r.state_at,
});

export class StateRepository {
  private readonly upsert;
  private readonly select;

  constructor(
    db: Database.Database,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.upsert = db.prepare(`INSERT INTO report_state (key, state, updated_at) VALUES (?, ?, ?)
                              ON CONFLICT (key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`);
    this.select = db.prepare('SELECT state FROM report_state WHERE key = ?');
  }

  save(key: string, state: unknown): void {
    this.upsert.run(key, JSON.stringify(state), this.now().toISOString());
  }

  load(key: string): unknown | undefined {
    const r = this.select.get(key) as { state: string } | undefined;
    return r && JSON.parse(r.state);
  }
}

export class AlertRepository {
  private readonly insert;
  private readonly mark;
  private readonly latest;
  private readonly latestFor;
  private readonly setState;
  private readonly byId;
  private readonly unresolved;

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare(
      'INSERT INTO alerts (at, policy, endpoint, rate, pairs, message, delivered) VALUES (?, ?, ?, ?, ?, ?, 0)',
    );
    this.mark = db.prepare('UPDATE alerts SET delivered = ? WHERE id = ?');
    this.latest = db.prepare('SELECT * FROM alerts ORDER BY id DESC LIMIT ?');
    this.latestFor = db.prepare('SELECT * FROM alerts WHERE policy = ? ORDER BY id DESC LIMIT ?');
    this.setState = db.prepare('UPDATE alerts SET state = ?, state_by = ?, state_at = ? WHERE id = ?');
    this.byId = db.prepare('SELECT * FROM alerts WHERE id = ?');
    this.unresolved = db.prepare(
      "SELECT * FROM alerts WHERE policy = ? AND endpoint = ? AND state != 'resolved' ORDER BY id",
    );
  }

  get(id: number): StoredAlert | undefined {
    const r = this.byId.get(id) as AlertRow | undefined;
    return r && toAlert(r);
  }

  setStateOf(id: number, state: AlertState, who: string, at: number): StoredAlert | undefined {
    if (this.setState.run(state, who, at, id).changes === 0) return undefined;
    return this.get(id);
  }

  resolve(policy: string, endpoint: string, who: string, at: number): StoredAlert[] {
    return this.db.transaction(() => {
      const rows = (this.unresolved.all(policy, endpoint) as AlertRow[]).map(toAlert);
      for (const a of rows) this.setState.run('resolved', who, at, a.id);
      return rows.map((a) => ({ ...a, state: 'resolved' as const, stateBy: who, stateAt: at }));
    })();
  }

  add(a: AlertInput): StoredAlert {
    const r = this.insert.run(a.at, a.policy, a.endpoint, a.rate, a.pairs, a.message);
    return {
      ...a,
      id: Number(r.lastInsertRowid),
      delivered: false,
      delivery: 'pending',
      state: 'open',
      stateBy: null,
      stateAt: null,
    };
  }

  markDelivered(id: number, status: DeliveryStatus): void {
    this.mark.run(DELIVERY_CODES.indexOf(status), id);
  }

  list(opts: { policy?: string; limit?: number; state?: AlertState } = {}): StoredAlert[] {
    const limit = opts.limit ?? 100;
    if (opts.state !== undefined) {
      const where = opts.policy === undefined ? 'state = ?' : 'state = ? AND policy = ?';
      const args: unknown[] = opts.policy === undefined ? [opts.state] : [opts.state, opts.policy];
      const rows = this.db.prepare(`SELECT * FROM alerts WHERE ${where} ORDER BY id DESC LIMIT ?`).all(...args, limit);
      return (rows as AlertRow[]).map(toAlert);
    }
    const rows = opts.policy === undefined ? this.latest.all(limit) : this.latestFor.all(opts.policy, limit);
    return (rows as AlertRow[]).map(toAlert);
  }
}
