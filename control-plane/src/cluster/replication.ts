// The replicated mode's parts, as main.ts wires them (docs/replicated.md): the leader lease on the
// shared PostgreSQL, the pairing window (in memory for one process, Redis for replicas), and where a
// compared pair or an egress event goes — straight into this process's engine, or through the
// observation log into every replica's. One process gets the same object with nothing shared, so
// main.ts has one path for both modes.
import os from 'node:os';
import type { Logger } from 'pino';
import type { AlertSink } from '../alerts.js';
import type { ComparedPair } from '../compare/index.js';
import type { ControlPlaneConfig } from '../config.js';
import type { EgressEvent, Policy, PolicySpec } from '../domain/types.js';
import type { IngestDeps } from '../ingest.js';
import { Pairer } from '../pairing/pairer.js';
import { RedisPairer } from '../pairing/redis-pairer.js';
import type { Alert } from '../reports/aggregate.js';
import { redactUrl } from '../store/postgres.js';
import type { Store } from '../store/types.js';
import { PgLease } from './lease.js';
import { ObservationLog } from './observation-log.js';

/** What this process does with a compared pair and an egress event (main.ts: report book, ramp, blast radius). */
export interface EngineSinks {
  /** replayed: an observation from before this replica started (a restart catching up): reports only */
  pair(r: ComparedPair, spec: PolicySpec, candidateStatus: number, replayed?: boolean): Alert[];
  egress(ev: EgressEvent): void;
  takeResolved(): Array<{ policy: string; endpoint: string }>;
  /** Whether a report would keep this pair's example (replicas send it through the log only then). */
  wantsExample(r: ComparedPair): boolean;
}

export class Replication {
  /** called when this replica becomes the leader (main.ts: reload the saved ramps first) */
  onLeadership: () => void = () => {};

  private constructor(
    readonly pairer: Pairer | RedisPairer,
    private readonly log: Logger,
    readonly lease?: PgLease,
    private readonly observations?: ObservationLog,
  ) {}

  /** The lease when the store is shared; Redis pairing and the observation log when Redis is configured. */
  static async start(config: Pick<ControlPlaneConfig, 'store' | 'pairing'>, log: Logger): Promise<Replication> {
    let self: Replication | undefined;
    const lease = config.store
      ? await PgLease.start({
          url: config.store.url,
          holder: `${os.hostname()}:${process.pid}`,
          logger: log.child({ component: 'lease' }),
          onChange: (leader) => {
            if (leader) self?.onLeadership();
          },
        })
      : undefined;
    const { redisUrl, ...window } = config.pairing;
    if (!redisUrl) return (self = new Replication(new Pairer(window), log, lease));
    const pairer = new RedisPairer({ url: redisUrl, ...window });
    try {
      await pairer.ready();
      await pairer.refresh();
    } catch (err) {
      await pairer.close();
      await lease?.close();
      throw new Error(`cannot reach Redis at ${redactUrl(redisUrl)}: ${(err as Error).message}`);
    }
    const observations = new ObservationLog({
      url: redisUrl,
      onError: (err) => log.warn({ err }, 'reading the observation log failed; retrying'),
    });
    self = new Replication(pairer, log, lease, observations);
    return self;
  }

  /** Whether this replica runs the ramps and raises alerts (always, in one process). */
  isLeader(): boolean {
    return this.lease ? this.lease.isLeader() : true;
  }

  /** For the ramp controller: re-checks the lease's session before each evaluation (undefined: one process). */
  get leaderCheck(): (() => Promise<boolean>) | undefined {
    const lease = this.lease;
    return lease ? () => lease.ok() : undefined;
  }

  /**
   * Ingest's report and blast-radius sinks. One process applies at once; replicas append to the
   * observation log and apply what it returns (start()), so every replica aggregates every pair.
   */
  ingestSinks(engine: EngineSinks): Pick<IngestDeps, 'reports' | 'blast'> {
    const log = this.observations;
    if (!log)
      return {
        reports: {
          add: (r, spec, pair) => engine.pair(r, spec, pair.candidate.status),
          takeResolved: () => engine.takeResolved(),
        },
        blast: { add: (ev) => engine.egress(ev) },
      };
    const failed = (err: unknown) => this.log.warn({ err }, 'an observation could not reach the shared log');
    const pairer = this.pairer as RedisPairer;
    return {
      reports: {
        add: (r, _spec, pair) => {
          const o = { kind: 'pair' as const, pair: r, candidateStatus: pair.candidate.status };
          // The example (two redacted bodies, most of an entry's bytes and of its building) goes only
          // with a pair whose example this replica's report would keep: every replica's report decides
          // alike (a first few per endpoint, then by pair id), and its view only lags the log.
          const example = r.candidate.length > 0 && engine.wantsExample(r);
          // A claimed pair's comparison is appended by the claim's commit (exactly once across replicas:
          // a commit refused because another replica took the pair over is counted there, `reclaimed`);
          // if this fails the claim expires and another replica compares the pair again.
          (pair.claim ? pairer.finish(pair.claim, log.entry(o, example)) : log.append(o, undefined, example)).catch(
            failed,
          );
          return []; // alerts come from the log, raised by the leader
        },
      },
      // The session acknowledges the event once the log has it (a failure ends the stream: resent).
      blast: { add: (ev, origin) => log.append({ kind: 'egress', event: ev }, origin) },
    };
  }

  /**
   * Replicas: applies every replica's observations to this engine, from `resumeAt` (the log position
   * the saved reports were taken at) or from now; the leader alone raises and resolves alerts.
   */
  async start(
    engine: EngineSinks,
    policy: (name: string) => Policy | undefined,
    alerts: AlertSink,
    resumeAt?: string,
  ): Promise<void> {
    await this.observations?.start((o, replayed) => {
      if (o.kind === 'egress') return engine.egress(o.event);
      const p = policy(o.pair.policy);
      if (!p) return;
      const raised = engine.pair(o.pair, p.spec, o.candidateStatus, replayed);
      const resolved = engine.takeResolved();
      if (replayed || !this.isLeader()) return;
      for (const a of raised) void alerts.raise({ ...a }, p.spec.alerts?.webhook);
      for (const r of resolved) alerts.resolve(r.policy, r.endpoint, Date.now());
    }, resumeAt);
    if (this.observations?.counters.gaps)
      this.log.warn({ resumeAt }, 'the saved log position was already trimmed: reports miss what came between');
  }

  /** Replicas: the observation-log position this replica's engine has applied (saved with the reports). */
  logPosition(): string | undefined {
    return this.observations?.position();
  }

  /** Whether this replica saves the engine's derived state: in one process always; among replicas the leader. */
  savesReports(): boolean {
    return !this.observations || this.isLeader();
  }

  /**
   * Replicas: another replica's policy write or ramp command reaches this one within a second
   * (PostgreSQL NOTIFY); returns the unsubscribe function.
   */
  watch(
    store: Pick<Store, 'watch'>,
    on: { policies(): Promise<void>; ramp(name: string): Promise<void>; ramps(): Promise<void> },
  ): (() => void) | undefined {
    return store.watch?.((change) => {
      const done = change.startsWith('ramp:')
        ? on.ramp(change.slice('ramp:'.length))
        : on.policies().then(() => (change === 'resync' ? on.ramps() : undefined));
      done.catch((err: unknown) => this.log.error({ err, change }, 'applying a change from another replica failed'));
    });
  }

  /** Each second: the shared pairing's counters for /metrics. */
  tick(): void {
    if (this.pairer instanceof RedisPairer) this.pairer.refresh().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.observations?.close();
    if (this.pairer instanceof RedisPairer) await this.pairer.close();
    await this.lease?.close();
  }
}
