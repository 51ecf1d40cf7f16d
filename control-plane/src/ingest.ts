// Ingest: the one sequencer between the stream and the reports. A half finds its policy by service,
// waits in the pairer for its other sides, and a complete pair is compared and added to the report
// book; the alerts that raises go to the alert sink (alerts.ts: stored, on the event feed, POSTed to
// the policy's webhook). Egress events feed the blast-radius map. Everything here runs synchronously
// inside the stream's message callback; the sink's storage and delivery are fire-and-forget with a
// timeout and a bound on work in flight, so a slow webhook or store never delays a half.

import type { Logger } from 'pino';
import { AlertSink, type AlertStats, type WebhookOptions } from './alerts.js';
import type { EgressEvent, Half, NodeHello, Policy, PolicySpec } from './domain/types.js';
import type { ComparedPair } from './compare/index.js';
import type { CompletePair } from './pairing/pairer.js';
import type { Alert, ReportBook } from './reports/aggregate.js';
import type { Store } from './store/types.js';
import type { ReportOrigin } from './stream/delivery.js';
import type { StreamHandlers } from './stream/server.js';

/** What ingest needs of a pairing window: answers now (Pairer) or once the half is stored (RedisPairer). */
export interface PairingWindow {
  add(
    half: Half,
    needsSecondary: boolean,
    scope?: string,
  ): CompletePair | undefined | Promise<CompletePair | undefined>;
  expire(): CompletePair[] | Promise<CompletePair[]>;
  flushDegraded(): CompletePair[];
  /** shared pairing: lets go of a claimed pair nobody will compare (no policy, or the engine refused it) */
  discard?(pair: CompletePair): void;
}

/** Where an egress event goes; a promise when it is stored asynchronously (the session acks after it). */
export interface EgressSink {
  add(ev: EgressEvent, origin?: ReportOrigin): unknown;
}

/** The engine pieces ingest drives; main.ts passes Pairer, comparePair, ReportBook and BlastRadius. */
export interface IngestDeps {
  policyFor(service: string): Policy | undefined;
  /** The in-memory Pairer, or the replicated mode's RedisPairer (asynchronous: halves meet in Redis). */
  pairer: PairingWindow;
  compare(pair: CompletePair, policyName: string, spec: PolicySpec): ComparedPair;
  /** The report book, or the replicated mode's observation log; `pair` is what was compared (its candidate status feeds the ramp). */
  reports: {
    add(result: ComparedPair, spec: PolicySpec, pair: CompletePair): Alert[];
  } & Partial<Pick<ReportBook, 'takeResolved'>>;
  blast: EgressSink;
  logger: Logger;
  /** The shared alert sink (main.ts: the one the ramp controller uses too); else one of ingest's own over store and webhook. */
  alerts?: AlertSink;
  store?: Pick<Store, 'addAlert' | 'markAlertDelivered'>;
  webhook?: WebhookOptions;
  /**
   * A candidate half arrived from a filter of this version (Hello version, else workload): the run
   * book decides (reports/runs.ts). false = the version was superseded by a newer run: drop the half.
   */
  candidateVersion?(policy: Policy, version: string): boolean;
}

/** Ingest's own counters, plus the counters of its alert sink (shared in main.ts: they count ramp alerts too). */
export interface IngestStats extends AlertStats {
  halves: number;
  /** halves of a service no policy covers: nothing to compare them with */
  unmatched: number;
  pairs: number;
  compareErrors: number;
  egressEvents: number;
  /** candidate halves of a version an newer run superseded: dropped, never mixed into its report */
  superseded: number;
}

export class Ingest {
  readonly handlers: StreamHandlers;
  private readonly counters = { halves: 0, unmatched: 0, pairs: 0, compareErrors: 0, egressEvents: 0, superseded: 0 };
  private readonly alerts: AlertSink;

  constructor(private readonly deps: IngestDeps) {
    if (deps.alerts) this.alerts = deps.alerts;
    else if (deps.store) this.alerts = new AlertSink({ store: deps.store, logger: deps.logger, webhook: deps.webhook });
    else throw new Error('Ingest needs an alert sink or a store');
    this.handlers = {
      onHalf: (half, node) => this.half(half, node),
      onEgress: (ev, node, origin) => this.egress(ev, node, origin),
    };
  }

  // The policy comes from the service of the stream's Hello (the filter's authenticated identity), not
  // from the service a message names: a filter cannot report into another service's policy.
  /** Returns a promise when pairing is shared (Redis): it settles once the half is stored, for the ack. */
  half(half: Half, node?: Pick<NodeHello, 'service'> & Partial<NodeHello>): void | Promise<void> {
    this.counters.halves++;
    const policy = this.deps.policyFor(node?.service || half.service);
    if (!policy) {
      this.counters.unmatched++;
      return;
    }
    if (node?.role === 'shadow' && node.variant === 'candidate' && this.deps.candidateVersion) {
      const version = node.version || node.workload || '';
      if (!this.deps.candidateVersion(policy, version)) {
        this.counters.superseded++;
        return;
      }
    }
    const pair = this.deps.pairer.add(half, policy.spec.secondary === true, policy.name);
    if (pair instanceof Promise) return pair.then((p) => (p ? this.complete(p, policy) : undefined));
    if (pair) this.complete(pair, policy);
  }

  /** origin: the event's sender and number on a numbered stream, so a resent copy is recognised across replicas. */
  egress(ev: EgressEvent, node?: Pick<NodeHello, 'service'>, origin?: ReportOrigin): unknown {
    this.counters.egressEvents++;
    return this.deps.blast.add(
      node?.service && node.service !== ev.service ? { ...ev, service: node.service } : ev,
      origin,
    );
  }

  /** Expiry tick: incomplete pairs past the window are dropped; those missing only a secondary are compared. */
  tick(): void {
    const expired = this.deps.pairer.expire();
    if (!(expired instanceof Promise)) return this.completeDegraded(expired);
    expired.then(
      (pairs) => this.completeDegraded(pairs),
      (err: unknown) => this.deps.logger.warn({ err }, 'expiring shared pairs failed; the next tick retries'),
    );
  }

  /**
   * Shutdown: pairs that have live and candidate and wait only for a secondary are compared now, as
   * expiry would have compared them, instead of being lost with the process. Call it after the streams
   * are closed (no more halves) and before report state is saved.
   */
  flush(): void {
    this.completeDegraded(this.deps.pairer.flushDegraded());
  }

  stats(): IngestStats {
    return { ...this.counters, ...this.alerts.stats() };
  }

  /** Waits for alert writes and webhook calls in flight (each bounded by its timeout). */
  drain(): Promise<void> {
    return this.alerts.drain();
  }

  private completeDegraded(pairs: CompletePair[]): void {
    for (const pair of pairs) {
      const policy = this.deps.policyFor(pair.candidate.service) ?? this.deps.policyFor(pair.live.service);
      if (policy) this.complete(pair, policy);
      else this.deps.pairer.discard?.(pair);
    }
  }

  private complete(pair: CompletePair, policy: Policy): void {
    let alerts: Alert[];
    try {
      alerts = this.deps.reports.add(this.deps.compare(pair, policy.name, policy.spec), policy.spec, pair);
    } catch (err) {
      // A pair the engine cannot handle is one lost comparison, never a stopped stream.
      this.counters.compareErrors++;
      this.deps.pairer.discard?.(pair);
      this.deps.logger.warn({ err, pairId: pair.pairId, policy: policy.name }, 'pair could not be compared');
      return;
    }
    this.counters.pairs++;
    for (const alert of alerts) {
      this.deps.logger.warn(
        { policy: alert.policy, endpoint: alert.endpoint, rate: alert.rate, pairs: alert.pairs },
        alert.message,
      );
      void this.alerts.raise({ ...alert }, policy.spec.alerts?.webhook);
    }
    for (const r of this.deps.reports.takeResolved?.() ?? []) this.alerts.resolve(r.policy, r.endpoint, Date.now());
  }
}
