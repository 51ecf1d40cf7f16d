// Stage meter: turns what the control plane sees (cumulative, all-time counters of the report book,
// the blast-radius map and the node registry, plus the pairs tapped from ingest) into the windowed
// RampObservations the ramp state machine judges (ramp/state-machine.ts documents each window).
//
// One meter belongs to one stage run (its stageStartedAt). It holds:
//   - accumulators fed per pair since the stage started: pairs, candidate 5xx, candidate latency sketch;
//   - baselines taken when the stage started: per-endpoint (pairs, mismatched) of the report book;
//   - running baselines moved at every evaluation: egress denied/rate-limited totals, and each
//     node's last reported drop counter (filters report cumulative Stats per VM; a counter that went
//     down means the VM restarted, so its new value is all new drops).
// A cumulative source that went backwards (report state lost on a restart) rebases instead of
// producing negative counts. Serializable, so a stage keeps its window across a control-plane restart.
import type { Decision } from '../domain/types.js';
import { LatencySketch } from '../reports/latency.js';
import type { Percentiles } from '../reports/latency-verdict.js';
import type { RampObservations } from './state-machine.js';

export interface EndpointCount {
  endpoint: string;
  pairs: number;
  mismatched: number;
  /** pairs the engine could not compare (absent = 0); windowed like pairs */
  notCompared?: number;
  /** over the run, not the stage: the report's latency sketches (the latencyRatio guard) */
  latency?: { pairs: number; live: Percentiles; shadow: Percentiles };
}
export interface NodeDrops {
  key: string;
  service: string;
  stats?: unknown;
  dropsReported: number;
}
/** The part of BlastRadius.map the meter reads. */
export interface BlastView {
  services: ReadonlyArray<{
    destinations: ReadonlyArray<{
      destination: string;
      decisions: Record<Decision, number>;
      allowedRate: number;
      /** the peak (blast-radius.ts PEAK_WINDOW_S) the capacity flag compares */
      peakAllowedRate?: number;
      capacity?: number;
      flagged: boolean;
    }>;
  }>;
}

/** Read-only views of the engine the controller hands to the meter at each evaluation. */
export interface MeterSources {
  endpointCounts: readonly EndpointCount[];
  nodes: readonly NodeDrops[];
  blast: BlastView;
}

export interface MeterJSON {
  stageStartedAt: number;
  pairs: number;
  shadow5xx: number;
  latency: unknown;
  endpoints: Record<string, { pairs: number; mismatched: number; notCompared?: number }>;
  egress: { denied: number; rateLimited: number; at: number };
  nodeDrops: Record<string, number>;
  drops: number;
}

function egressTotals(blast: BlastView): { denied: number; rateLimited: number } {
  let denied = 0,
    rateLimited = 0;
  for (const s of blast.services)
    for (const d of s.destinations) {
      denied += d.decisions.denied;
      rateLimited += d.decisions.rate_limited;
    }
  return { denied, rateLimited };
}

export class StageMeter {
  pairs = 0;
  shadow5xx = 0;
  private latency = new LatencySketch();
  private drops = 0;

  private constructor(
    readonly stageStartedAt: number,
    private endpoints: Map<string, { pairs: number; mismatched: number; notCompared?: number }>,
    private egress: { denied: number; rateLimited: number; at: number },
    private nodeDrops: Map<string, number>,
  ) {}

  /** A meter whose windows start now, at the sources' current totals. */
  static start(stageStartedAt: number, src: MeterSources): StageMeter {
    const endpoints = new Map(
      src.endpointCounts.map((e) => [
        e.endpoint,
        { pairs: e.pairs, mismatched: e.mismatched, notCompared: e.notCompared ?? 0 },
      ]),
    );
    const nodes = new Map(src.nodes.filter((n) => n.stats !== undefined).map((n) => [n.key, n.dropsReported]));
    return new StageMeter(stageStartedAt, endpoints, { ...egressTotals(src.blast), at: stageStartedAt }, nodes);
  }

  /** A compared pair of the policy: candidate status and latency. */
  addPair(candidateStatus: number, candidateLatencyUs: number): void {
    this.pairs++;
    if (candidateStatus >= 500 && candidateStatus <= 599) this.shadow5xx++;
    this.latency.add(candidateLatencyUs);
  }

  /** The observations at `now`; moves the egress and node-drop baselines (call once per evaluation). */
  observe(src: MeterSources, now: number): RampObservations {
    const endpoints: EndpointCount[] = [];
    for (const e of src.endpointCounts) {
      let base = this.endpoints.get(e.endpoint);
      if (base && (e.pairs < base.pairs || e.mismatched < base.mismatched)) {
        base = { pairs: e.pairs, mismatched: e.mismatched, notCompared: e.notCompared ?? 0 };
        this.endpoints.set(e.endpoint, base);
      }
      const pairs = e.pairs - (base?.pairs ?? 0);
      if (pairs > 0)
        endpoints.push({
          endpoint: e.endpoint,
          pairs,
          mismatched: Math.max(0, e.mismatched - (base?.mismatched ?? 0)),
          notCompared: Math.max(0, (e.notCompared ?? 0) - (base?.notCompared ?? 0)),
          ...(e.latency ? { latency: e.latency } : {}),
        });
    }

    const totals = egressTotals(src.blast);
    const egressDenied = totals.denied >= this.egress.denied ? totals.denied - this.egress.denied : totals.denied;
    const egressRateLimited =
      totals.rateLimited >= this.egress.rateLimited ? totals.rateLimited - this.egress.rateLimited : totals.rateLimited;
    const egressWindowS = Math.max(0, (now - this.egress.at) / 1000);
    this.egress = { ...totals, at: now };

    for (const n of src.nodes) {
      if (n.stats === undefined) continue; // connected, no Stats yet: nothing known
      const last = this.nodeDrops.get(n.key);
      this.drops += last === undefined || n.dropsReported < last ? n.dropsReported : n.dropsReported - last;
      this.nodeDrops.set(n.key, n.dropsReported);
    }

    const overCapacity = [];
    for (const s of src.blast.services) {
      for (const d of s.destinations) {
        if (d.flagged && d.capacity !== undefined)
          overCapacity.push({
            destination: d.destination,
            allowedRate: d.peakAllowedRate ?? d.allowedRate,
            capacity: d.capacity,
          });
      }
    }
    const o: RampObservations = {
      pairs: this.pairs,
      shadow5xx: this.shadow5xx,
      endpoints,
      egressDenied,
      egressRateLimited,
      egressWindowS,
      filterDrops: this.drops,
      overCapacity,
    };
    if (this.latency.count > 0) o.shadowLatencyP99Ms = this.latency.quantile(0.99) / 1000;
    return o;
  }

  toJSON(): MeterJSON {
    return {
      stageStartedAt: this.stageStartedAt,
      pairs: this.pairs,
      shadow5xx: this.shadow5xx,
      latency: this.latency.toJSON(),
      endpoints: Object.fromEntries(this.endpoints),
      egress: { ...this.egress },
      nodeDrops: Object.fromEntries(this.nodeDrops),
      drops: this.drops,
    };
  }

  static fromJSON(v: unknown): StageMeter {
    const o = v as MeterJSON;
    if (
      !o ||
      typeof o !== 'object' ||
      typeof o.stageStartedAt !== 'number' ||
      typeof o.endpoints !== 'object' ||
      !o.egress
    ) {
      throw new Error('StageMeter.fromJSON: expected { stageStartedAt, endpoints, egress, ... }');
    }
    const m = new StageMeter(
      o.stageStartedAt,
      new Map(Object.entries(o.endpoints ?? {})),
      {
        denied: Number(o.egress.denied) || 0,
        rateLimited: Number(o.egress.rateLimited) || 0,
        at: Number(o.egress.at) || o.stageStartedAt,
      },
      new Map(Object.entries(o.nodeDrops ?? {}).map(([k, n]) => [k, Number(n) || 0])),
    );
    m.pairs = Number(o.pairs) || 0;
    m.shadow5xx = Number(o.shadow5xx) || 0;
    m.drops = Number(o.drops) || 0;
    m.latency = LatencySketch.fromJSON(o.latency);
    return m;
  }
}
