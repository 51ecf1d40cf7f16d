// The alert sink: where every alert of the control plane goes, whoever raised it (ingest's mismatch
// alerts, the ramp controller's guard breaches). An alert is stored, announced on the dashboard's
// event feed once stored, and POSTed to the policy's webhook as {type: 'shadowguard.alert', alert}.
// Delivery is fire-and-forget with a timeout and a bound on webhook calls in flight: a slow or dead
// webhook never delays the caller, and beyond the bound alerts are still stored, only not POSTed.
// How one delivery is made (format, Standard Webhooks signature, retries, allowed targets) is
// webhook/deliver.ts; each alert's `delivery` says what became of it ('no webhook' when none is set).
// One sink is shared by every raiser so the bound, the counters and the drain at shutdown cover all.

import type { Logger } from 'pino';
import type { AlertInput, DeliveryStatus, Store, StoredAlert } from './store/types.js';
import { deliver, type DeliveryOptions, type WebhookFormat } from './webhook/deliver.js';
import { DEFAULT_TARGET_RULES, type TargetRules } from './webhook/target.js';

export interface WebhookOptions extends Partial<Omit<DeliveryOptions, 'rules'>> {
  // timeoutMs default 5000 per attempt; attempts default 4; backoffMs 500; maxBackoffMs 30000
  maxInFlight?: number; // default 32; alerts beyond it are stored but not POSTed
  /** Allowed targets (webhook/target.ts); default: https only, no loopback or link-local. */
  rules?: Partial<TargetRules>;
  /** The body format a policy's webhook wants (spec.alerts.webhookFormat); default 'standard'. */
  formatFor?(policy: string): WebhookFormat | undefined;
}

export interface AlertSinkOptions {
  store: Pick<Store, 'addAlert' | 'markAlertDelivered'> & Partial<Pick<Store, 'markAlertDelivery' | 'resolveAlerts'>>;
  logger: Logger;
  webhook?: WebhookOptions;
  /** A stored alert, with its extra fields (the dashboard's event feed: EventBus.publish('alert', …)). */
  onStored?(alert: StoredAlert & Record<string, unknown>): void;
}

/**
 * An alert as raised. Fields beyond the stored ones (a ramp's `source` and `guard`) are not persisted
 * (the alerts table has no column for them) but travel in the webhook payload and the feed event.
 */
export type RaisedAlert = AlertInput & Record<string, unknown>;

export interface AlertStats {
  alerts: number;
  webhookDelivered: number;
  webhookFailed: number;
  webhookSkipped: number;
  /** HTTP attempts, retries included */
  webhookAttempts: number;
}

export class AlertSink {
  private readonly counters: AlertStats = {
    alerts: 0,
    webhookDelivered: 0,
    webhookFailed: 0,
    webhookSkipped: 0,
    webhookAttempts: 0,
  };
  private readonly inFlight = new Set<Promise<unknown>>();
  private webhooksInFlight = 0;

  constructor(private readonly opts: AlertSinkOptions) {}

  raise(alert: RaisedAlert, webhook: string | undefined): Promise<StoredAlert | undefined> {
    this.counters.alerts++;
    const { policy, endpoint, rate, pairs, at, message } = alert;
    const stored = this.track(this.store({ policy, endpoint, rate, pairs, at, message }, alert, webhook !== undefined));
    if (webhook) this.track(stored.then((s) => this.deliver(webhook, alert, s)));
    return stored;
  }

  /** The endpoint recovered: its alerts that are not resolved yet are resolved by 'shadowguard' (state only, no webhook). */
  resolve(policy: string, endpoint: string, at: number): void {
    const resolve = this.opts.store.resolveAlerts;
    if (resolve) this.track(resolve.call(this.opts.store, policy, endpoint, 'shadowguard', at));
  }

  stats(): AlertStats {
    return { ...this.counters };
  }

  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async store(input: AlertInput, alert: RaisedAlert, hasWebhook: boolean): Promise<StoredAlert | undefined> {
    let stored: StoredAlert;
    try {
      stored = await this.opts.store.addAlert(input);
      if (!hasWebhook) stored = { ...stored, delivery: 'no webhook' };
      if (!hasWebhook) await this.mark(stored.id, 'no webhook');
    } catch (err) {
      this.opts.logger.error({ err, policy: input.policy, endpoint: input.endpoint }, 'alert could not be stored');
      return undefined;
    }
    try {
      this.opts.onStored?.({ ...alert, ...stored });
    } catch (err) {
      this.opts.logger.error({ err }, 'alert listener failed');
    }
    return stored;
  }

  private async deliver(url: string, alert: RaisedAlert, stored: StoredAlert | undefined): Promise<void> {
    const max = this.opts.webhook?.maxInFlight ?? 32;
    if (this.webhooksInFlight >= max) {
      this.counters.webhookSkipped++;
      if (stored) await this.mark(stored.id, 'skipped');
      this.opts.logger.warn(
        { policy: alert.policy, endpoint: alert.endpoint, inFlight: this.webhooksInFlight },
        'alert webhook skipped: too many deliveries in flight',
      );
      return;
    }
    this.webhooksInFlight++;
    try {
      const w = this.opts.webhook ?? {};
      // The id is stable across retries (receivers deduplicate on it); unique per control plane store.
      const id = `msg_${stored?.id ?? 'unstored'}_${alert.at}`;
      const r = await deliver(url, id, { ...alert, id: stored?.id }, w.formatFor?.(alert.policy) ?? 'standard', {
        rules: { ...DEFAULT_TARGET_RULES, ...w.rules },
        secret: w.secret,
        timeoutMs: w.timeoutMs ?? 5000,
        attempts: w.attempts ?? 4,
        backoffMs: w.backoffMs ?? 500,
        maxBackoffMs: w.maxBackoffMs ?? 30_000,
        sleep: w.sleep,
      });
      this.counters.webhookAttempts += r.attempts;
      if (r.ok) this.counters.webhookDelivered++;
      else {
        this.counters.webhookFailed++;
        // Never the URL: its path and query are often the secret (issue 14, finding 12).
        this.opts.logger.warn(
          { policy: alert.policy, endpoint: alert.endpoint, attempts: r.attempts, status: r.status, err: r.error },
          'alert webhook failed',
        );
      }
      if (stored) await this.mark(stored.id, r.ok ? 'delivered' : 'failed');
    } finally {
      this.webhooksInFlight--;
    }
  }

  private async mark(id: number, status: DeliveryStatus): Promise<void> {
    const s = this.opts.store;
    if (s.markAlertDelivery) await s.markAlertDelivery(id, status);
    else if (status === 'delivered') await s.markAlertDelivered(id, true);
  }

  /** Remembers work in flight for drain(); a failure is logged here, so callers may ignore the promise. */
  private track<T>(p: Promise<T>): Promise<T | undefined> {
    const done: Promise<T | undefined> = p
      .catch((err: unknown) => {
        this.opts.logger.error({ err }, 'alert handling failed');
        return undefined;
      })
      .finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
    return done;
  }
}
