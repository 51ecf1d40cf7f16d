// Ingest: the one sequencer between the stream and the reports. A half finds its policy by service,
// waits in the pairer for its other sides, and a complete pair is compared and added to the report
// book; the alerts that raises are stored and POSTed to the policy's webhook. Egress events feed the
// blast-radius map. Everything here runs synchronously inside the stream's message callback except
// alert storage and delivery, which are fire-and-forget with a timeout and a bound on work in flight:
// a slow webhook or store never delays a half.

import type { Logger } from 'pino';
import type { EgressEvent, Half, Policy, PolicySpec } from './domain/types.js';
import type { ComparedPair } from './compare/index.js';
import type { CompletePair, Pairer } from './pairing/pairer.js';
import type { Alert, ReportBook } from './reports/aggregate.js';
import type { BlastRadius } from './reports/blast-radius.js';
import type { Store } from './store/types.js';
import type { StreamHandlers } from './stream/server.js';

/** The engine pieces ingest drives; main.ts passes Pairer, comparePair, ReportBook and BlastRadius. */
export interface IngestDeps {
  policyFor(service: string): Policy | undefined;
  pairer: Pick<Pairer, 'add' | 'expire'>;
  compare(pair: CompletePair, policyName: string, spec: PolicySpec): ComparedPair;
  reports: Pick<ReportBook, 'add'>;
  blast: Pick<BlastRadius, 'add'>;
  store: Pick<Store, 'addAlert' | 'markAlertDelivered'>;
  logger: Logger;
  webhook?: {
    timeoutMs?: number;           // default 5000
    maxInFlight?: number;         // default 32; alerts beyond it are stored but not POSTed
    fetch?: typeof fetch;         // injectable for tests
  };
}

export interface IngestStats {
  halves: number;
  /** halves of a service no policy covers: nothing to compare them with */
  unmatched: number;
  pairs: number;
  compareErrors: number;
  egressEvents: number;
  alerts: number;
  webhookDelivered: number;
  webhookFailed: number;
  webhookSkipped: number;
}

export class Ingest {
  readonly handlers: StreamHandlers;
  private readonly counters: IngestStats = {
    halves: 0, unmatched: 0, pairs: 0, compareErrors: 0, egressEvents: 0, alerts: 0, webhookDelivered: 0, webhookFailed: 0, webhookSkipped: 0,
  };
  private readonly inFlight = new Set<Promise<void>>();
  private webhooksInFlight = 0;

  constructor(private readonly deps: IngestDeps) {
    this.handlers = {
      onHalf: (half) => this.half(half),
      onEgress: (ev) => this.egress(ev),
    };
  }

  half(half: Half): void {
    this.counters.halves++;
    const policy = this.deps.policyFor(half.service);
    if (!policy) {
      this.counters.unmatched++;
      return;
    }
    const pair = this.deps.pairer.add(half, policy.spec.secondary === true);
    if (pair) this.complete(pair, policy);
  }

  egress(ev: EgressEvent): void {
    this.counters.egressEvents++;
    this.deps.blast.add(ev);
  }

  /** Expiry tick: incomplete pairs past the window are dropped; those missing only a secondary are compared. */
  tick(): void {
    for (const pair of this.deps.pairer.expire()) {
      const policy = this.deps.policyFor(pair.candidate.service) ?? this.deps.policyFor(pair.live.service);
      if (policy) this.complete(pair, policy);
    }
  }

  stats(): IngestStats {
    return { ...this.counters };
  }

  /** Waits for alert writes and webhook calls in flight (each bounded by its timeout). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private complete(pair: CompletePair, policy: Policy): void {
    let alerts: Alert[];
    try {
      alerts = this.deps.reports.add(this.deps.compare(pair, policy.name, policy.spec), policy.spec);
    } catch (err) {
      // A pair the engine cannot handle is one lost comparison, never a stopped stream.
      this.counters.compareErrors++;
      this.deps.logger.warn({ err, pairId: pair.pairId, policy: policy.name }, 'pair could not be compared');
      return;
    }
    this.counters.pairs++;
    for (const alert of alerts) this.raise(alert, policy.spec.alerts?.webhook);
  }

  private raise(alert: Alert, webhook: string | undefined): void {
    this.counters.alerts++;
    this.deps.logger.warn({ policy: alert.policy, endpoint: alert.endpoint, rate: alert.rate, pairs: alert.pairs }, alert.message);
    const { policy, endpoint, rate, pairs, at, message } = alert;
    this.track((async () => {
      let stored;
      try {
        stored = await this.deps.store.addAlert({ policy, endpoint, rate, pairs, at, message });
      } catch (err) {
        this.deps.logger.error({ err, policy, endpoint }, 'alert could not be stored');
      }
      if (!webhook) return;
      const max = this.deps.webhook?.maxInFlight ?? 32;
      if (this.webhooksInFlight >= max) {
        this.counters.webhookSkipped++;
        this.deps.logger.warn({ policy, endpoint, inFlight: this.webhooksInFlight }, 'alert webhook skipped: too many deliveries in flight');
        return;
      }
      this.webhooksInFlight++;
      try {
        const delivered = await this.post(webhook, { ...alert, id: stored?.id });
        if (delivered && stored) await this.deps.store.markAlertDelivered(stored.id, true);
      } finally {
        this.webhooksInFlight--;
      }
    })());
  }

  private async post(url: string, body: unknown): Promise<boolean> {
    const doFetch = this.deps.webhook?.fetch ?? fetch;
    try {
      const res = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'shadowguard-control-plane' },
        body: JSON.stringify({ type: 'shadowguard.alert', alert: body }),
        signal: AbortSignal.timeout(this.deps.webhook?.timeoutMs ?? 5000),
        redirect: 'error',
      });
      await res.body?.cancel();
      if (res.ok) {
        this.counters.webhookDelivered++;
        return true;
      }
      this.counters.webhookFailed++;
      this.deps.logger.warn({ url, status: res.status }, 'alert webhook refused the alert');
    } catch (err) {
      this.counters.webhookFailed++;
      this.deps.logger.warn({ url, err: (err as Error).message }, 'alert webhook failed');
    }
    return false;
  }

  private track(p: Promise<void>): void {
    const done = p.catch((err: unknown) => this.deps.logger.error({ err }, 'alert handling failed')).finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }
}
