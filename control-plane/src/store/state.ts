// The report_state and alerts tables: engine state blobs saved periodically and on shutdown, and
// the alerts the engine raised (with whether the webhook delivered them).

import type Database from 'better-sqlite3';
import type { AlertInput, DeliveryStatus, StoredAlert } from './types.js';

// The alerts.delivered column (INTEGER since migration 1) holds a delivery code: 0 and 1 keep their
// old meaning (pending, delivered), so no migration is needed and old rows read as before.
const DELIVERY_CODES: DeliveryStatus[] = ['pending', 'delivered', 'failed', 'skipped', 'no webhook'];

interface AlertRow {
  id: number;
  at: number;
  policy: string;
  endpoint: string;
  rate: number;
  pairs: number;
  message: string;
  delivered: number;
}

const toAlert = (r: AlertRow): StoredAlert => ({
  id: r.id,
  at: r.at,
  policy: r.policy,
  endpoint: r.endpoint,
  rate: r.rate,
  pairs: r.pairs,
  message: r.message,
  delivered: r.delivered === 1,
  delivery: DELIVERY_CODES[r.delivered] ?? 'pending',
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

  constructor(db: Database.Database) {
    this.insert = db.prepare(
      'INSERT INTO alerts (at, policy, endpoint, rate, pairs, message, delivered) VALUES (?, ?, ?, ?, ?, ?, 0)',
    );
    this.mark = db.prepare('UPDATE alerts SET delivered = ? WHERE id = ?');
    this.latest = db.prepare('SELECT * FROM alerts ORDER BY id DESC LIMIT ?');
    this.latestFor = db.prepare('SELECT * FROM alerts WHERE policy = ? ORDER BY id DESC LIMIT ?');
  }

  add(a: AlertInput): StoredAlert {
    const r = this.insert.run(a.at, a.policy, a.endpoint, a.rate, a.pairs, a.message);
    return { ...a, id: Number(r.lastInsertRowid), delivered: false, delivery: 'pending' };
  }

  markDelivered(id: number, status: DeliveryStatus): void {
    this.mark.run(DELIVERY_CODES.indexOf(status), id);
  }

  list(opts: { policy?: string; limit?: number } = {}): StoredAlert[] {
    const limit = opts.limit ?? 100;
    const rows = opts.policy === undefined ? this.latest.all(limit) : this.latestFor.all(opts.policy, limit);
    return (rows as AlertRow[]).map(toAlert);
  }
}
