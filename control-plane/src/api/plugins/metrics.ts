// Prometheus metrics of the API: request counts and latencies per route template (never per raw
// URL, which would grow without bound), plus gauges the engine and the stream expose through deps,
// read at scrape time. Each app has its own registry, so several apps can live in one process.

import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, type Registry, collectDefaultMetrics } from 'prom-client';
import type { GaugeSource } from '../deps.js';

export interface MetricsOptions {
  registry: Registry;
  gauges?: readonly GaugeSource[];
  /** Node process metrics (event loop, heap, fds); on in production, off in tests. */
  processMetrics?: boolean;
}

export const metricsPlugin = fp<MetricsOptions>(
  async (app: FastifyInstance, opts) => {
    const register = opts.registry;
    if (opts.processMetrics) {
      collectDefaultMetrics({ register, prefix: 'shadowguard_' });
      // prom-client names three gauges *_total, which Prometheus reserves for counters (promtool check
      // metrics flags them); each is the sum over the by-type gauge of the same stem that stays.
      for (const stem of ['active_handles', 'active_requests', 'active_resources'])
        register.removeSingleMetric(`shadowguard_nodejs_${stem}_total`);
    }
    const labelNames = ['method', 'route', 'status'] as const;
    const requests = new Counter({
      name: 'shadowguard_http_requests_total',
      help: 'HTTP requests served by the REST API',
      labelNames,
      registers: [register],
    });
    const duration = new Histogram({
      name: 'shadowguard_http_request_duration_seconds',
      help: 'HTTP request latency of the REST API',
      labelNames,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [register],
    });

    for (const g of opts.gauges ?? []) {
      new Gauge({
        name: g.name,
        help: g.help,
        labelNames: [...(g.labelNames ?? [])],
        registers: [register],
        collect() {
          const v = g.read();
          this.reset();
          if (typeof v === 'number') this.set(v);
          else for (const { labels, value } of v) this.set(labels, value);
        },
      });
    }

    app.addHook('onResponse', async (request, reply) => {
      const labels = {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      };
      requests.inc(labels);
      duration.observe(labels, reply.elapsedTime / 1000);
    });
  },
  { name: 'metrics', fastify: '5.x' },
);
