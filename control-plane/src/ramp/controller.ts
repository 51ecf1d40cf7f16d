// Ramp controller: runs the mirror ramps of ramp/state-machine.ts against the live control plane. It keeps
// one ramp per policy that declares `ramp`, answers the snapshot cache's question "what sampling cap
// does this policy's edge run under?" (capFor), evaluates running ramps every evaluateEverySeconds
// from what the engine saw (a StageMeter per stage), applies operator commands, and writes every
// change through the store: the record (state + meter) under `ramp:<policy>`, commands in the audit
// trail. A guard breach is an alert like any other: it goes to the shared alert sink (alerts.ts:
// stored, on the dashboard's event feed, POSTed to the policy's spec.alerts.webhook) with the guard
// named. A changed cap tells the cache (onCapChange), which pushes new versions to the edge filters.
//
// Time: `now` is injectable and evaluations happen in tick(); start() only adds an unref'd 1-s timer
// that calls tick(), so tests drive hours of ramp with a fake clock and explicit ticks. After a
// restart, load() restores each record: a running ramp keeps its stageStartedAt (its hold continues
// from the persisted timestamp) and its meter (its guard windows too); the first evaluation comes
// one period after the restart.
import type { Logger } from 'pino';
import type { AlertSink } from '../alerts.js';
import type { CapacitySpec, Policy } from '../domain/types.js';
import {
  command as applyCommand,
  evaluate,
  initialRampState,
  nextAdvanceAt,
  rampCap,
  resolveRamp,
  type RampAction,
  type RampEvent,
  type RampState,
  type ResolvedRamp,
} from './state-machine.js';
import type { AuditAction, Store } from '../store/types.js';
import { StageMeter, type BlastView, type EndpointCount, type NodeDrops } from './meter.js';
import { rampView, type RampView } from './view.js';

export type { RampView } from './view.js';

export interface RampControllerOptions {
  store: Pick<Store, 'saveState' | 'loadState' | 'recordAudit' | 'notify'>;
  /** Where breach alerts go: the sink ingest uses too (main.ts). */
  alerts: Pick<AlertSink, 'raise'>;
  reports: { endpointCounts(policy: string): readonly EndpointCount[] };
  blast: { map(services: string[], capacity?: CapacitySpec[]): BlastView };
  nodes: { list(): readonly NodeDrops[] };
  /** A cap changed: the snapshot cache rebuilds and pushes (SnapshotCache.refresh). */
  onCapChange(): void;
  logger?: Logger;
  now?: () => number;
  /**
   * Replicated mode (cluster/lease.ts): whether this replica runs the ramps now; re-checked before
   * each evaluation (a leader that lost its lease steps down). Default: always (one process).
   */
  leader?: () => boolean | Promise<boolean>;
}

/** A command that does not apply (kind 'conflict'): the API's error handler maps kinds to statuses. */
export class RampError extends Error {
  readonly kind = 'conflict';
  constructor(message: string) {
    super(message);
    this.name = 'RampError';
  }
}

interface Entry {
  policy: Policy;
  ramp: ResolvedRamp | string;
  state: RampState;
  meter?: StageMeter;
  nextEvalAt?: number;
}

export const rampKey = (policy: string): string => `ramp:${policy}`;
const _BY_RAMP = 'ramp';

export class RampController {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;

  constructor(private readonly opts: RampControllerOptions) {
    this.now = opts.now ?? Date.now;
  }

  async setPolicies(policies: Policy[]): Promise<void> {
    const seen = new Set<string>();
    for (const p of policies) {
      if (!p.spec.ramp) continue;
      seen.add(p.name);
      const e = this.entries.get(p.name);
      if (e) {
        e.policy = p;
        e.ramp = resolveRamp(p.spec.ramp, p.spec.alerts);
        continue;
      }
      this.entries.set(p.name, await this.load(p));
    }
    for (const [name, e] of this.entries) {
      if (seen.has(name)) continue;
      // Deleted, or its ramp removed: forget the ramp, so a ramp declared again starts from idle.
      this.entries.delete(name);
      if (e.state.status !== 'idle') await this.save({ ...e, state: initialRampState(name), meter: undefined });
    }
  }

  capFor(policy: Policy): number | undefined {
    if (!policy.spec.ramp) return undefined;
    const e = this.entries.get(policy.name);
    const ramp = e?.ramp ?? resolveRamp(policy.spec.ramp, policy.spec.alerts);
    // Not loaded yet or unusable: mirror nothing rather than the policy's uncapped sampling.
    if (!e || typeof ramp === 'string') return 0;
    return rampCap(e.state, ramp);
  }

  observePair(policy: string, candidateStatus: number, candidateLatencyUs: number): void {
    const e = this.entries.get(policy);
    if (e?.state.status === 'running' && e.meter) e.meter.addPair(candidateStatus, candidateLatencyUs);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      void this.tick();
    }, 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Saves every ramp with its meter (main.ts: periodically and at shutdown, so pairs seen since the last evaluation survive). */
  async persist(): Promise<void> {
    for (const e of this.entries.values()) if (e.state.status !== 'idle') await this.save(e);
  }

  /** Waits for an evaluation in flight (shutdown: before the store closes). */
  async drain(): Promise<void> {
    while (this.ticking) await this.ticking.catch(() => {}).then(() => new Promise((r) => setImmediate(r)));
  }

  /** Evaluates every running ramp whose period is due. Serialized: a slow store never overlaps ticks. */
  tick(): Promise<void> {
    const run = async () => {
      if (this.opts.leader && !(await this.opts.leader())) return;
      const now = this.now();
      for (const e of [...this.entries.values()]) {
        if (e.state.status !== 'running' || typeof e.ramp === 'string') continue;
        // undefined: restored after a restart, so evaluate at once (its windows were persisted).
        if (e.nextEvalAt !== undefined && now < e.nextEvalAt) continue;
        e.nextEvalAt = now + e.ramp.evaluateEveryMs;
        try {
          await this.evaluateOne(e, now);
        } catch (err) {
          this.opts.logger?.error({ err, policy: e.policy.name }, 'ramp evaluation failed');
        }
      }
    };
    const p: Promise<void> = (this.ticking ?? Promise.resolve()).then(run).finally(() => {
      if (this.ticking === p) this.ticking = undefined;
    });
    this.ticking = p;
    return p;
  }

  /**
   * Replicated mode: another replica changed this ramp (a command, or the leader's evaluation) and
   * saved it; read the saved state. The meter of the running stage is kept when the stage is the same
   * (this replica's observations since the last save are not thrown away).
   */
  async reload(policy: string): Promise<void> {
    const e = this.entries.get(policy);
    if (!e) return;
    const fresh = await this.load(e.policy);
    const ramp = fresh.ramp;
    const capBefore = typeof ramp === 'string' ? 0 : rampCap(e.state, ramp);
    const sameStage = e.meter && e.meter.stageStartedAt === fresh.state.stageStartedAt;
    e.state = fresh.state;
    if (!sameStage) {
      e.meter = fresh.meter;
      e.nextEvalAt = undefined;
    }
    if (typeof ramp !== 'string' && rampCap(e.state, ramp) !== capBefore) this.opts.onCapChange();
  }

  view(policy: string): RampView {
    const e = this.entry(policy);
    return rampView(e.state, e.ramp, e.nextEvalAt);
  }

  async command(policy: string, action: RampAction, who: string): Promise<RampView> {
    const e = this.entry(policy);
    // An unusable ramp already caps sampling at 0 % (capFor); the operator fixes the spec first.
    if (typeof e.ramp === 'string')
      throw new RampError(`the ramp of policy '${policy}' is invalid: ${e.ramp}; fix the policy first`);
    const r = applyCommand(e.state, e.ramp, action, this.now(), who);
    if (!r.ok) throw new RampError(r.error);
    await this.apply(e, r.state, r.events);
    await this.opts.store.recordAudit(policy, who, `ramp-${action}` as AuditAction, [
      { path: 'ramp.status', op: 'changed' },
    ]);
    return this.view(policy);
  }

  private entry(policy: string): Entry {
    const e = this.entries.get(policy);
    if (!e) throw new RampError(`policy '${policy}' declares no ramp (add "ramp" to its spec), or does not exist`);
    e.ramp = resolveRamp(e.policy.spec.ramp!, e.policy.spec.alerts);
    return e;
  }

  private async evaluateOne(e: Entry, now: number): Promise<void> {
    if (typeof e.ramp === 'string') return;
    e.meter ??= StageMeter.start(e.state.stageStartedAt ?? now, this.sources(e.policy));
    const observations = e.meter.observe(this.sources(e.policy), now);
    const r = evaluate(e.state, e.ramp, observations, now);
    await this.apply(e, r.state, r.events);
  }

  /** Installs a new state: rebaselines the meter when a stage run began, persists, raises alerts, moves the cap. */
  private async apply(e: Entry, state: RampState, events: RampEvent[]): Promise<void> {
    const ramp = e.ramp as ResolvedRamp;
    const capBefore = rampCap(e.state, ramp);
    e.state = state;
    if (state.status === 'running' && (!e.meter || e.meter.stageStartedAt !== state.stageStartedAt)) {
      e.meter = StageMeter.start(state.stageStartedAt ?? this.now(), this.sources(e.policy));
      e.nextEvalAt = this.now() + ramp.evaluateEveryMs;
    }
    if (rampCap(state, ramp) !== capBefore) this.opts.onCapChange();
    await this.save(e);
    // Replicated mode: the other replicas reload it (their snapshots carry the cap, their API the view).
    if (events.some((ev) => ev.type === 'transition')) await this.opts.store.notify?.(`ramp:${e.policy.name}`);
    for (const ev of events) {
      if (ev.type === 'transition') {
        this.opts.logger?.info(
          { policy: e.policy.name, ...ev.transition, nextAdvanceAt: nextAdvanceAt(state, ramp) },
          'ramp transition',
        );
      } else {
        this.opts.logger?.warn({ policy: ev.policy, guard: ev.guard, value: ev.value }, ev.message);
        // Waits for the alert to be stored (as for the ramp record); the webhook call goes on without us.
        await this.opts.alerts.raise(
          {
            at: ev.at,
            policy: ev.policy,
            endpoint: ev.endpoint ?? `(ramp guard ${ev.guard})`,
            rate: ev.value,
            pairs: ev.pairs,
            message: ev.message,
            source: 'ramp',
            guard: ev.guard,
            kind: ev.kind,
          },
          e.policy.spec.alerts?.webhook,
        );
      }
    }
  }

  private sources(p: Policy) {
    const services = new Set(p.spec.services);
    return {
      endpointCounts: this.opts.reports.endpointCounts(p.name),
      nodes: this.opts.nodes.list().filter((n) => services.has(n.service)),
      blast: this.opts.blast.map(p.spec.services, p.spec.capacity ?? []),
    };
  }

  private async load(p: Policy): Promise<Entry> {
    const e: Entry = { policy: p, ramp: resolveRamp(p.spec.ramp!, p.spec.alerts), state: initialRampState(p.name) };
    let saved: unknown;
    try {
      saved = await this.opts.store.loadState(rampKey(p.name));
      const rec = saved as { version?: number; state?: RampState; meter?: unknown } | undefined;
      if (rec === undefined) return e;
      if (
        rec.version !== 1 ||
        !rec.state ||
        typeof rec.state.status !== 'string' ||
        !Array.isArray(rec.state.transitions)
      ) {
        throw new Error('expected { version: 1, state, meter? }');
      }
      e.state = { ...rec.state, policy: p.name };
      if (rec.meter !== undefined) e.meter = StageMeter.fromJSON(rec.meter);
    } catch (err) {
      // Fail safe: an unreadable ramp restarts idle, which mirrors nothing until an operator starts it.
      this.opts.logger?.error({ err, policy: p.name }, 'saved ramp state is unreadable; the ramp is idle');
      e.state = initialRampState(p.name);
    }
    return e;
  }

  private async save(e: Entry): Promise<void> {
    await this.opts.store.saveState(rampKey(e.policy.name), {
      version: 1,
      state: e.state,
      ...(e.meter ? { meter: e.meter.toJSON() } : {}),
    });
  }
}
