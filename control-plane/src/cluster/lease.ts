// One leader among the control-plane replicas: the one that runs the mirror ramps. Leadership is a
// PostgreSQL session advisory lock held on a dedicated connection: the server releases it when that
// session ends (a SIGKILLed replica's socket closes, or pg_terminate_backend), and a follower's next
// pg_try_advisory_lock (every pollMs) takes it over. No home-made consensus: PostgreSQL arbitrates.
//
// Each acquisition increments a fencing counter (table leases) and the leader re-checks its session
// before each unit of work (ok()); a leader that lost its session steps down at once. What remains is
// the usual lease window: work already in flight when the session died may still commit (≤ one ramp
// evaluation), which the ramp tolerates because every replica reloads ramp state on each change.
import pg from 'pg';
import type { Logger } from 'pino';

export const LEADER_LOCK = 0x5347_0003;

export interface LeaseOptions {
  url: string;
  /** who holds it, for the leases table and logs (host:port of the replica) */
  holder: string;
  /** how often a follower tries to take the lease and a leader checks its session (default 1000 ms) */
  pollMs?: number;
  onChange?(leader: boolean): void;
  logger?: Logger;
}

export class PgLease {
  private client?: pg.Client;
  private leader = false;
  private fenceValue = 0;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private polling?: Promise<void>;

  private constructor(private readonly opts: LeaseOptions) {}

  /** Starts trying at once; resolves after the first attempt (so a lone replica starts as leader). */
  static async start(opts: LeaseOptions): Promise<PgLease> {
    const l = new PgLease(opts);
    await l.poll();
    l.timer = setInterval(() => void l.poll(), opts.pollMs ?? 1000);
    l.timer.unref();
    return l;
  }

  isLeader(): boolean {
    return this.leader;
  }

  /** The fencing token of the current leadership (0 when not leader). */
  get fence(): number {
    return this.leader ? this.fenceValue : 0;
  }

  /** Leader only: true when its session still holds the lock (one round trip); steps down otherwise. */
  async ok(): Promise<boolean> {
    if (!this.leader || !this.client) return false;
    try {
      await this.client.query('SELECT 1');
      return true;
    } catch (err) {
      this.lost(err);
      return false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.polling?.catch(() => undefined);
    const c = this.client;
    this.client = undefined;
    if (this.leader) this.setLeader(false);
    if (c) {
      c.removeAllListeners();
      c.on('error', () => undefined);
      await c.query('SELECT pg_advisory_unlock($1)', [LEADER_LOCK]).catch(() => undefined);
      await c.end().catch(() => undefined);
    }
  }

  private poll(): Promise<void> {
    this.polling ??= this.attempt().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async attempt(): Promise<void> {
    if (this.closed) return;
    if (this.leader) {
      await this.ok();
      return;
    }
    try {
      if (!this.client) {
        const c = new pg.Client({ connectionString: this.opts.url, connectionTimeoutMillis: 5000 });
        c.on('error', (err) => this.lost(err));
        await c.connect();
        this.client = c;
      }
      const r = await this.client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [LEADER_LOCK]);
      if (!r.rows[0]?.ok || this.closed) return;
      const f = await this.client.query<{ fence: number }>(
        `INSERT INTO leases (name, fence, holder, acquired_at) VALUES ('ramp', 1, $1, $2)
         ON CONFLICT (name) DO UPDATE SET fence = leases.fence + 1, holder = EXCLUDED.holder, acquired_at = EXCLUDED.acquired_at
         RETURNING fence::float8 AS fence`,
        [this.opts.holder, new Date().toISOString()],
      );
      this.fenceValue = f.rows[0].fence;
      this.setLeader(true);
    } catch (err) {
      this.lost(err);
    }
  }

  private lost(err: unknown): void {
    const c = this.client;
    this.client = undefined;
    if (c) {
      c.removeAllListeners();
      c.on('error', () => undefined);
      void c.end().catch(() => undefined);
    }
    if (this.leader) {
      this.opts.logger?.warn({ err }, 'leader lease lost: this replica stops running ramps');
      this.setLeader(false);
    }
  }

  private setLeader(leader: boolean): void {
    if (this.leader === leader) return;
    this.leader = leader;
    if (leader) this.opts.logger?.info({ fence: this.fenceValue, holder: this.opts.holder }, 'leader lease acquired');
    this.opts.onChange?.(leader);
  }
}
