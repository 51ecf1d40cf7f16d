// BoundHistogram must expose exactly what prom-client's Histogram does for the same observations:
// Prometheus and the dashboards read the text, tests and tools the JSON.
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BoundHistogram } from '../../../control-plane/src/metrics/bound-histogram.js';
import { LATENCY_BUCKETS } from '../../../control-plane/src/metrics/observed.js';

const spec = {
  name: 'x_latency_seconds',
  help: 'Latency, "quoted" and \\ escaped',
  labelNames: ['policy', 'endpoint', 'side'] as const,
};
const observations: Array<[Record<'policy' | 'endpoint' | 'side', string>, number]> = [
  [{ policy: 'p', endpoint: 'GET /a/{id}', side: 'live' }, 0.0004],
  [{ policy: 'p', endpoint: 'GET /a/{id}', side: 'shadow' }, 0.003],
  [{ policy: 'q', endpoint: 'POST /"b"\n', side: 'live' }, 42], // above the last bucket
  [{ policy: 'p', endpoint: 'GET /a/{id}', side: 'live' }, 0.001], // on a bound
  [{ policy: 'p', endpoint: 'other', side: 'shadow' }, 0],
];

function both() {
  const [a, b] = [new Registry(), new Registry()];
  const reference = new Histogram({
    ...spec,
    labelNames: [...spec.labelNames],
    buckets: LATENCY_BUCKETS,
    registers: [a],
  });
  const bound = new BoundHistogram({ ...spec, buckets: LATENCY_BUCKETS, registers: [b] });
  return { a, b, reference, bound };
}

describe('BoundHistogram', () => {
  it('exposes the same text and JSON as prom-client Histogram', async () => {
    const { a, b, reference, bound } = both();
    for (const [labels, v] of observations) {
      reference.observe(labels, v);
      bound.bind(labels).observe(v);
    }
    const text = await a.metrics();
    expect(text).toContain('x_latency_seconds_bucket{le="+Inf",policy="q"');
    expect(await b.metrics()).toBe(text);
    expect(await b.getMetricsAsJSON()).toEqual(await a.getMetricsAsJSON());
  });

  it('exposes nothing before an observation and after reset(); a series bound before reset still counts', async () => {
    const { a, b, reference, bound } = both();
    const series = bound.bind(observations[0][0]);
    expect(await b.metrics()).toBe(await a.metrics());
    series.observe(1);
    reference.observe(observations[0][0], 1);
    a.resetMetrics();
    b.resetMetrics();
    expect(await b.metrics()).toBe(await a.metrics());
    series.observe(0.002);
    reference.observe(observations[0][0], 0.002);
    expect(await b.metrics()).toBe(await a.metrics());
  });

  it('refuses a non-finite value like prom-client', () => {
    const { reference, bound } = both();
    expect(() => reference.observe(observations[0][0], Number.NaN)).toThrow(TypeError);
    expect(() => bound.bind(observations[0][0]).observe(Number.NaN)).toThrow(TypeError);
  });
});
