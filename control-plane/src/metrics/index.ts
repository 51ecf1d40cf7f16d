// The control plane's domain metrics on one prom-client registry: the scrape-time collectors over the
// engine's own counters (scraped.ts) and the few event metrics main.ts feeds from its hooks
// (observed.ts). docs/metrics.md lists every series, its labels and how cardinality is capped.

import type { Registry } from 'prom-client';
import { DEFAULT_LIMITS, ObservedMetrics, type CardinalityLimits } from './observed.js';
import { registerScraped, type MetricSources } from './scraped.js';

export type { CardinalityLimits } from './observed.js';
export type { MetricSources } from './scraped.js';
export { DEFAULT_LIMITS, ObservedMetrics } from './observed.js';

/** Registers every domain metric on `registry`; returns the recorder main.ts's hooks call. */
export function domainMetrics(
  registry: Registry,
  sources: MetricSources,
  limits: CardinalityLimits = DEFAULT_LIMITS,
): ObservedMetrics {
  const observed = new ObservedMetrics(registry, limits);
  registerScraped(registry, sources, observed.endpoints);
  return observed;
}
