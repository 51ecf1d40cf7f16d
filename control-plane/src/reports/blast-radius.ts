// Blast radius: what each shadow service touched outside itself, from the filter's egress events —
// per destination the count of every decision (allowed, mocked, denied, rate_limited), the method +
// route template called (compare/endpoint.ts inference), the event rate over a sliding window of
// 1-s buckets (default 60 s, injectable clock: events are bucketed by arrival, not by the filter's
// clock, so a skewed node cannot place load in the past), and the capacity the policy declares for
// that destination (spec.capacity host glob → requests per second): a destination is flagged when the
// shadow load that actually reached it passes its capacity at its PEAK — the highest allowed rate over
// any PEAK_WINDOW_S consecutive seconds of the window — not on the window's average: overload happens
// in bursts (6 rps for 10 s against 3 rps of capacity averages 1 rps over 60 s). The ramp's capacity
// guard reads the same flag and figure.
// TCP destinations (network-filter role, events with a protocol) carry the protocol and, for
// readonly guards, statement counts by class (reads allowed / writes blocked / escapes blocked);
// a statement event stands for `count` statements, and allowed reads count toward the allowed rate.
// Bounded: ≤ MAX_SERVICES services (service names come from the filters; events of further services
// are dropped and counted), ≤ 1000 destinations per service and ≤ 200 routes per destination (then one
// overflow row).
import type { CapacitySpec, Decision, EgressEvent } from '../domain/types.js';
import { compileEndpoints } from '../compare/endpoint.js';
import { hostGlobMatch } from '../compare/glob.js';

export type DecisionCounts = Record<Decision, number>;
export interface RouteBlast {
  route: string;
  total: number;
  decisions: DecisionCounts;
}
export interface StatementCounts {
  read: number;
  write: number;
  blockedEscape: number;
}
export interface DestinationBlast {
  destination: string;
  /** TCP destinations: 'tcp' | 'postgres' | 'redis' */
  protocol?: string;
  /** readonly guards: statements by class (reads allowed, writes and escapes blocked) */
  statements?: StatementCounts;
  total: number;
  decisions: DecisionCounts;
  variants: Record<string, number>;
  /** all events per second over the window */
  rate: number;
  /** allowed events per second over the window: the load the destination really took */
  allowedRate: number;
  /** highest allowed events in one 1-s bucket of the window */
  peakAllowedPerSecond: number;
  /** highest allowed events per second averaged over PEAK_WINDOW_S consecutive seconds: what `flagged` compares */
  peakAllowedRate: number;
  capacity?: number;
  capacityRule?: string;
  flagged: boolean;
  lastAt: number;
  routes: RouteBlast[];
}
export interface ServiceBlast {
  service: string;
  total: number;
  destinations: DestinationBlast[];
}
export interface BlastRadiusMap {
  windowS: number;
  at: number;
  flagged: number;
  services: ServiceBlast[];
}

const DECISIONS: readonly Decision[] = ['allowed', 'mocked', 'denied', 'rate_limited'];
/** the short window of the peak rate: long enough to smooth a bucket boundary, short enough for a burst */
export const PEAK_WINDOW_S = 5;
export const MAX_SERVICES = 1000;
const MAX_DESTINATIONS = 1000;
const MAX_ROUTES = 200;
const OTHER_DEST = '(other destinations)';
const OTHER_ROUTE = '(other routes)';
const resolver = compileEndpoints();

interface Dest {
  total: number;
  decisions: DecisionCounts;
  variants: Record<string, number>;
  routes: Map<string, { total: number; decisions: DecisionCounts }>;
  /** per slot: the second it holds, all events, allowed events */
  stamp: number[];
  all: number[];
  allowed: number[];
  lastAt: number;
  protocol?: string;
  statements?: StatementCounts;
}

function zero(): DecisionCounts {
  return { allowed: 0, mocked: 0, denied: 0, rate_limited: 0 };
}

export class BlastRadius {
  private readonly now: () => number;
  private readonly windowS: number;
  private readonly services = new Map<string, Map<string, Dest>>();
  private events = 0;
  private invalid = 0;
  private dropped = 0;

  constructor(opts: { now?: () => number; windowS?: number } = {}) {
    this.now = opts.now ?? Date.now;
    const w = opts.windowS ?? 60;
    if (!Number.isInteger(w) || w < 1 || w > 3600)
      throw new RangeError(`BlastRadius: windowS must be an integer in 1..3600, got ${w}`);
    this.windowS = w;
  }

  add(ev: EgressEvent): void {
    if (
      !ev ||
      typeof ev.service !== 'string' ||
      typeof ev.destination !== 'string' ||
      !DECISIONS.includes(ev.decision)
    ) {
      this.invalid++;
      return;
    }
    let dests = this.services.get(ev.service);
    if (!dests) {
      if (this.services.size >= MAX_SERVICES) {
        this.dropped++;
        return;
      }
      dests = new Map();
      this.services.set(ev.service, dests);
    }
    this.events++;
    let name = ev.destination.toLowerCase();
    let d = dests.get(name);
    if (!d) {
      if (dests.size >= MAX_DESTINATIONS) name = OTHER_DEST;
      d = dests.get(name);
      if (!d) {
        d = this.newDest();
        dests.set(name, d);
      }
    }
    const nowMs = this.now();
    if (ev.protocol) d.protocol = ev.protocol;
    if (ev.statementClass) return this.addStatements(d, ev, nowMs);
    d.total++;
    d.decisions[ev.decision]++;
    d.variants[ev.variant] = (d.variants[ev.variant] ?? 0) + 1;
    d.lastAt = nowMs;
    let routeName = ev.protocol
      ? `${ev.protocol} connection`
      : resolver.resolve(String(ev.method || 'GET'), String(ev.path || '/'));
    let r = d.routes.get(routeName);
    if (!r) {
      if (d.routes.size >= MAX_ROUTES) routeName = OTHER_ROUTE;
      r = d.routes.get(routeName);
      if (!r) {
        r = { total: 0, decisions: zero() };
        d.routes.set(routeName, r);
      }
    }
    r.total++;
    r.decisions[ev.decision]++;
    this.countRate(d, nowMs, 1, ev.decision === 'allowed');
  }

  private addStatements(d: Dest, ev: EgressEvent, nowMs: number): void {
    const n = Math.max(1, Math.floor(Number(ev.count) || 1));
    const st = (d.statements ??= { read: 0, write: 0, blockedEscape: 0 });
    if (ev.statementClass === 'read') st.read += n;
    else if (ev.statementClass === 'write') st.write += n;
    else st.blockedEscape += n;
    d.lastAt = nowMs;
    this.countRate(d, nowMs, n, ev.statementClass === 'read');
  }

  /** Adds `n` to the current second's slot of the rate ring, clearing a slot left from an earlier lap. */
  private countRate(d: Dest, nowMs: number, n: number, allowed: boolean): void {
    const sec = Math.floor(nowMs / 1000);
    const slot = sec % this.windowS;
    if (d.stamp[slot] !== sec) {
      d.stamp[slot] = sec;
      d.all[slot] = 0;
      d.allowed[slot] = 0;
    }
    d.all[slot] += n;
    if (allowed) d.allowed[slot] += n;
  }

  map(policyServices: string[], capacity: CapacitySpec[] = []): BlastRadiusMap {
    const nowMs = this.now();
    const sec = Math.floor(nowMs / 1000);
    const rules = capacity.map((c) => ({ rps: c.requestsPerSecond, host: c.host }));
    const services: ServiceBlast[] = [];
    let flagged = 0;
    for (const service of [...new Set(policyServices)].sort()) {
      const dests = this.services.get(service);
      if (!dests) {
        services.push({ service, total: 0, destinations: [] });
        continue;
      }
      const out: DestinationBlast[] = [];
      let total = 0;
      for (const [destination, d] of dests) {
        let all = 0,
          allowed = 0,
          peak = 0;
        const perSecond = new Map<number, number>();
        for (let i = 0; i < this.windowS; i++) {
          if (d.stamp[i] > sec - this.windowS && d.stamp[i] <= sec) {
            all += d.all[i];
            allowed += d.allowed[i];
            if (d.allowed[i] > peak) peak = d.allowed[i];
            perSecond.set(d.stamp[i], d.allowed[i]);
          }
        }
        const allowedRate = allowed / this.windowS;
        const peakRate = peakOver(perSecond, sec, Math.min(PEAK_WINDOW_S, this.windowS), this.windowS);
        const host = destination.replace(/:\d+$/, '');
        const rule = rules.find((r) => hostGlobMatch(r.host, destination) || hostGlobMatch(r.host, host));
        const row: DestinationBlast = {
          destination,
          total: d.total,
          decisions: { ...d.decisions },
          variants: { ...d.variants },
          rate: all / this.windowS,
          allowedRate,
          peakAllowedPerSecond: peak,
          peakAllowedRate: peakRate,
          flagged: rule !== undefined && peakRate > rule.rps,
          lastAt: d.lastAt,
          routes: [...d.routes]
            .map(([route, r]) => ({ route, total: r.total, decisions: { ...r.decisions } }))
            .sort((a, b) => b.total - a.total),
        };
        if (d.protocol) row.protocol = d.protocol;
        if (d.statements) row.statements = { ...d.statements };
        if (rule) {
          row.capacity = rule.rps;
          row.capacityRule = rule.host;
        }
        if (row.flagged) flagged++;
        total += d.total;
        out.push(row);
      }
      out.sort(
        (a, b) => Number(b.flagged) - Number(a.flagged) || b.peakAllowedRate - a.peakAllowedRate || b.total - a.total,
      );
      services.push({ service, total, destinations: out });
    }
    return { windowS: this.windowS, at: nowMs, flagged, services };
  }

  stats(): { events: number; invalid: number; dropped: number } {
    return { events: this.events, invalid: this.invalid, dropped: this.dropped };
  }

  toJSON(): unknown {
    const services: Record<string, Record<string, unknown>> = {};
    for (const [s, dests] of this.services) {
      const o: Record<string, unknown> = {};
      for (const [name, d] of dests) o[name] = { ...d, routes: [...d.routes] };
      services[s] = o;
    }
    return {
      version: 1,
      windowS: this.windowS,
      events: this.events,
      invalid: this.invalid,
      dropped: this.dropped,
      services,
    };
  }

  static fromJSON(v: unknown, opts: { now?: () => number } = {}): BlastRadius {
    const o = v as {
      version?: number;
      windowS?: number;
      events?: number;
      invalid?: number;
      dropped?: number;
      services?: Record<string, Record<string, Dest & { routes: unknown }>>;
    };
    if (o?.version !== 1 || typeof o.services !== 'object' || o.services === null) {
      throw new Error('BlastRadius.fromJSON: expected { version: 1, windowS, services }');
    }
    const b = new BlastRadius({ now: opts.now, windowS: o.windowS });
    b.events = Number(o.events) || 0;
    b.invalid = Number(o.invalid) || 0;
    b.dropped = Number(o.dropped) || 0;
    for (const [s, dests] of Object.entries(o.services)) {
      const m = new Map<string, Dest>();
      for (const [name, d] of Object.entries(dests ?? {})) {
        if (!d || !Array.isArray(d.routes) || !Array.isArray(d.stamp) || d.stamp.length !== b.windowS) {
          throw new Error(`BlastRadius.fromJSON: bad destination ${s} → ${name}`);
        }
        m.set(name, {
          total: Number(d.total) || 0,
          decisions: { ...zero(), ...d.decisions },
          variants: { ...d.variants },
          routes: new Map(d.routes as Array<[string, { total: number; decisions: DecisionCounts }]>),
          stamp: d.stamp.map(Number),
          all: d.all.map(Number),
          allowed: d.allowed.map(Number),
          lastAt: Number(d.lastAt) || 0,
          ...(d.protocol ? { protocol: String(d.protocol) } : {}),
          ...(d.statements
            ? {
                statements: {
                  read: Number(d.statements.read) || 0,
                  write: Number(d.statements.write) || 0,
                  blockedEscape: Number(d.statements.blockedEscape) || 0,
                },
              }
            : {}),
        });
      }
      b.services.set(s, m);
    }
    return b;
  }

  private newDest(): Dest {
    const w = this.windowS;
    return {
      total: 0,
      decisions: zero(),
      variants: {},
      routes: new Map(),
      stamp: new Array<number>(w).fill(-1),
      all: new Array<number>(w).fill(0),
      allowed: new Array<number>(w).fill(0),
      lastAt: 0,
    };
  }
}

/** The highest sum over `span` consecutive seconds ending in (now − window, now], divided by span. */
function peakOver(perSecond: Map<number, number>, now: number, span: number, window: number): number {
  let sum = 0,
    best = 0;
  for (let s = now - window + 1; s <= now; s++) {
    sum += perSecond.get(s) ?? 0;
    if (s - span >= now - window + 1) sum -= perSecond.get(s - span) ?? 0;
    if (sum > best) best = sum;
  }
  return Math.round((best / span) * 100) / 100;
}
