// A Prometheus histogram whose series are bound once and then observed with a bucket search and
// three additions. prom-client's Histogram validates and hashes the label set on every observe():
// with two latency observations per compared pair that was ~7 µs a pair in the stream profile,
// more than the pairer. The exposition (text and JSON) is prom-client's own: it registers as a
// metric of its registry and hands over values in the shape Histogram does.

import type { Registry } from 'prom-client';

export interface BoundSeries {
  /** Throws TypeError on a non-finite value, as prom-client does. */
  observe(value: number): void;
}

interface Series extends BoundSeries {
  labels: Record<string, string>;
  /** per bucket, not cumulative; an observation above the last bound only counts in sum and count */
  counts: number[];
  sum: number;
  count: number;
}

interface ValuePair {
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string>;
  value: number;
  metricName: string;
  exemplar?: null;
}

export class BoundHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly labelNames: readonly L[];
  private readonly buckets: readonly number[];
  private readonly series = new Map<string, Series>();
  /** series observed since the last reset(), in first-observed order (what prom-client exposes) */
  private live: Series[] = [];

  constructor(opts: {
    name: string;
    help: string;
    labelNames: readonly L[];
    buckets: readonly number[];
    registers: Registry[];
  }) {
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = opts.labelNames;
    this.buckets = [...opts.buckets].sort((a, b) => a - b);
    for (const r of opts.registers) r.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The series of one label set: bind once and keep it (the caller bounds the label sets). */
  bind(labels: Record<L, string>): BoundSeries {
    const key = this.labelNames.map((n) => labels[n]).join('\u0000');
    let s = this.series.get(key);
    if (s) return s;
    const buckets = this.buckets;
    const live = () => this.live;
    s = {
      labels: { ...labels },
      counts: buckets.map(() => 0),
      sum: 0,
      count: 0,
      observe(value: number) {
        if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
        if (this.count === 0) live().push(this);
        for (let i = 0; i < buckets.length; i++) {
          if (value <= buckets[i]) {
            this.counts[i]++;
            break;
          }
        }
        this.sum += value;
        this.count++;
      },
    };
    this.series.set(key, s);
    return s;
  }

  /** What prom-client's Registry calls for the text exposition (get() for JSON, reset()). */
  async getForPromString(): Promise<{
    name: string;
    help: string;
    type: string;
    values: ValuePair[];
    aggregator: string;
  }> {
    const values: ValuePair[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.live) {
      let acc = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        acc += s.counts[i];
        values.push({
          labels: { le: this.buckets[i] },
          sharedLabels: s.labels,
          value: acc,
          metricName: bucket,
          exemplar: null,
        });
      }
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucket, exemplar: null },
        { labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum` },
        { labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  async get() {
    const data = await this.getForPromString();
    return {
      ...data,
      values: data.values.map(({ sharedLabels, labels, ...v }) => ({ ...v, labels: { ...labels, ...sharedLabels } })),
    };
  }

  /** Forgets every observation (the bound series stay valid and reappear when next observed). */
  reset(): void {
    for (const s of this.live) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
    this.live = [];
  }
}
