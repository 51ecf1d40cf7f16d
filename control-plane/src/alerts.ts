// The alert sink: where every alert of the control plane goes, whoever raised it (ingest's mismatch
// alerts, the ramp controller's guard breaches). An alert is stored, announced on the dashboard's
// event feed once stored, and POSTed to the policy's webhook as {type: 'shadowguard.alert', alert}.
// Delivery is fire-and-forget with a timeout and a bound on webhook calls in flight: a slow or dead
// webhook never delays the caller, and beyond the bound alerts are still stored, only not POSTed.
// One sink is shared by every raiser so the bound, the counters and the drain at shutdown cover all.
//
// API:
//   new AlertSink(opts: AlertSinkOptions)
//   raise(alert: RaisedAlert, webhook?: string): Promise<StoredAlert | undefined>
//       resolves once the alert is stored (undefined when the store refused it; never rejects);
//       the webhook call goes on in the background
//   stats(): AlertStats;  drain(): Promise<void>   (waits for stores and webhook calls in flight)

import type { Logger } from 'pino';
import type { AlertInput, Store, StoredAlert } from './store/types.js';

export interface WebhookOptions {
  timeoutMs?: number; // default 5000
  maxInFlight?: number; // default 32; alerts beyond it are stored but not POSTed
  fetch?: typeof fetch; // injectable for tests
}

export interface AlertSinkOptions {
  store: Pick<Store, 'addAlert' | 'markAlertDelivered'> & Partial<Pick<Store, 'resolveAlerts'>>;
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
}

export class AlertSink {
  private readonly counters: AlertStats = { alerts: 0, webhookDelivered: 0, webhookFailed: 0, webhookSkipped: 0 };
  private readonly inFlight = new Set<Promise<unknown>>();
  private webhooksInFlight = 0;

  constructor(private readonly opts: AlertSinkOptions) {}

  raise(alert: RaisedAlert, webhook: string | undefined): Promise<StoredAlert | undefined> {
    this.counters.alerts++;
    const { policy, endpoint, rate, pairs, at, message } = alert;
    const stored = this.track(this.store({ policy, endpoint, rate, pairs, at, message }, alert));
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

  private async store(input: AlertInput, alert: RaisedAlert): Promise<StoredAlert | undefined> {
    let stored: StoredAlert;
    try {
      stored = await this.opts.store.addAlert(input);
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
      this.opts.logger.warn(
        { policy: alert.policy, endpoint: alert.endpoint, inFlight: this.webhooksInFlight },
        'alert webhook skipped: too many deliveries in flight',
      );
      return;
    }
    this.webhooksInFlight++;
    try {
      const delivered = await this.post(url, { ...alert, id: stored?.id });
      if (delivered && stored) await this.opts.store.markAlertDelivered(stored.id, true);
    } finally {
      this.webhooksInFlight--;
    }
  }

  private async post(url: string, body: unknown): Promise<boolean> {
    const doFetch = this.opts.webhook?.fetch ?? fetch;
    try {
      const res = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'shadowguard-control-plane' },
        body: JSON.stringify({ type: 'shadowguard.alert', alert: body }),
        signal: AbortSignal.timeout(this.opts.webhook?.timeoutMs ?? 5000),
        redirect: 'error',
      });
      await res.body?.cancel();
      if (res.ok) {
        this.counters.webhookDelivered++;
        return true;
      }
      this.counters.webhookFailed++;
      this.opts.logger.warn({ webhook: origin(url), status: res.status }, 'alert webhook refused the alert');
    } catch (err) {
      this.counters.webhookFailed++;
      this.opts.logger.warn({ webhook: origin(url), err: (err as Error).message }, 'alert webhook failed');
    }
    return false;
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

/** A webhook URL's path and query often hold its secret (Slack, Teams): logs name only the origin. */
function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}
