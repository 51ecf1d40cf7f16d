// Envoy stats as Wasm custom metrics see them: one process-wide store keyed by name (defining the same
// name again, from any VM, refers to the same stat), typed counter / gauge / histogram. The per-VM id
// rules (ids encode the type; which operation each type accepts) live in imports/metrics.ts and follow
// Envoy source/extensions/common/wasm/context.cc defineMetric/incrementMetric/recordMetric/getMetric.

export type MetricKind = 'counter' | 'gauge' | 'histogram';
export const METRIC_KINDS: MetricKind[] = ['counter', 'gauge', 'histogram'];

export interface MetricSnapshot {
  type: MetricKind;
  /** Counter/gauge value; for a histogram the number of recorded samples. */
  value: number;
  /** Recorded histogram samples (empty for counters and gauges). */
  samples: number[];
}

export interface Stat {
  type: MetricKind;
  value: bigint;
  samples: bigint[];
}

export class Stats {
  private readonly stats = new Map<string, Stat>();

  /** Registers `name` if new. Envoy creates a counter and a gauge of the same name as distinct stats;
   *  this store keys by name only, so a later definition with a different type is reported. */
  define(type: MetricKind, name: string): Stat {
    let s = this.stats.get(name);
    if (!s) this.stats.set(name, (s = { type, value: 0n, samples: [] }));
    return s;
  }

  stat(name: string): Stat | undefined {
    return this.stats.get(name);
  }

  /** The value a test reads by name: counter/gauge value, histogram sample count. */
  value(name: string): number | undefined {
    const s = this.stats.get(name);
    if (!s) return undefined;
    return s.type === 'histogram' ? s.samples.length : Number(s.value);
  }

  snapshot(): Map<string, MetricSnapshot> {
    const out = new Map<string, MetricSnapshot>();
    for (const [name, s] of this.stats) {
      out.set(name, {
        type: s.type,
        value: s.type === 'histogram' ? s.samples.length : Number(s.value),
        samples: s.samples.map(Number),
      });
    }
    return out;
  }
}
