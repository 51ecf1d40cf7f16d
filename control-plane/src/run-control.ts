// Run control: the glue between the run book (reports/runs.ts), the report book, the report state in
// the store and the API. It decides which run a candidate half belongs to (a new version starts a
// run: the report book starts the policy over and the ended run's report is archived), starts a run
// by hand (reset), reads the report of any run, and gathers the inputs of the verdict
// (reports/verdict.ts) from the reports, the ramp and the blast-radius map. API timestamps are
// ISO-8601 here.
import type { Logger } from 'pino';
import type { RunsProvider, RunView } from './api/deps.js';
import type { Policy } from './domain/types.js';
import { policyConfig, type ReportBook } from './reports/aggregate.js';
import type { BlastRadius } from './reports/blast-radius.js';
import type { Run, RunBook } from './reports/runs.js';
import { judge, type RunRef, type Verdict } from './reports/verdict.js';
import type { ReportState } from './store/report-state.js';

export interface RunControlDeps {
  reports: ReportBook;
  runs: RunBook;
  state: ReportState;
  ramp: { view(policy: string): { status: string; transitions: Array<{ to: string; by: string; reason: string }> } };
  blast: Pick<BlastRadius, 'map'>;
  onReportsChanged(policy: string): void;
  logger: Logger;
  now: () => number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function runView(r: Run, current: boolean): RunView {
  return {
    id: r.id,
    candidateVersion: r.candidateVersion,
    policyVersion: r.policyVersion,
    startedAt: iso(r.startedAt),
    endedAt: r.endedAt === undefined ? null : iso(r.endedAt),
    startedBy: r.startedBy,
    current,
  };
}

export function runControl(d: RunControlDeps) {
  const start = (policy: string, started: Run, ended?: Run) => {
    if (ended) {
      const held = d.reports.restart(policy);
      if (held) d.state.archive(policy, ended.id, held);
    }
    d.logger.info({ policy, run: started.id, version: started.candidateVersion, by: started.startedBy }, 'run started');
    d.onReportsChanged(policy);
  };

  const runRef = (policy: string): RunRef | null => {
    const r = d.runs.current(policy);
    return r
      ? { id: r.id, candidateVersion: r.candidateVersion, policyVersion: r.policyVersion, startedAt: iso(r.startedAt) }
      : null;
  };

  /** The report book of a run: the live one for the current run (or when no run exists yet), else the archive. */
  const bookOf = async (policy: Policy | string, id: number | undefined): Promise<ReportBook | undefined> => {
    const name = typeof policy === 'string' ? policy : policy.name;
    const cur = d.runs.current(name);
    if (id === undefined || cur?.id === id) return d.reports;
    if (!d.runs.get(name, id)) return undefined;
    const book = await d.state.archived(name, id);
    if (book && typeof policy !== 'string') book.configure(name, policy.spec); // read through today's rules
    return book ?? undefined;
  };

  const runs: RunsProvider = {
    list(policy) {
      const cur = d.runs.current(policy);
      const all = d.runs.list(policy).map((r) => runView(r, r.id === cur?.id));
      return { current: all.find((r) => r.current) ?? null, runs: all.reverse() };
    },
    async reset(policy, who) {
      const { started, ended } = d.runs.reset(policy.name, policy.version, d.now(), who);
      start(policy.name, started, ended);
      return runView(started, true);
    },
    async endpoints(policy, id) {
      const book = await bookOf(policy, id);
      return book ? book.endpoints(policy.name) : undefined;
    },
    async endpoint(policy, id, endpoint) {
      const book = await bookOf(policy, id);
      if (!book) return undefined;
      return book.endpoint(policy.name, endpoint) ?? null;
    },
  };

  const verdict = (p: Policy): Verdict => {
    const endpoints = d.reports.endpoints(p.name);
    let ramp: { status: string; last?: { to: string; by: string; reason: string } } | undefined;
    if (p.spec.ramp) {
      try {
        const v = d.ramp.view(p.name);
        ramp = { status: v.status, ...(v.transitions[0] ? { last: v.transitions[0] } : {}) };
      } catch {
        ramp = undefined; // not loaded yet: the reports speak alone
      }
    }
    const overCapacity = d.blast
      .map(p.spec.services, p.spec.capacity ?? [])
      .services.flatMap((s) => s.destinations)
      .filter((x) => x.flagged && x.capacity !== undefined)
      .map((x) => ({ destination: x.destination, peakAllowedRate: x.peakAllowedRate, capacity: x.capacity! }));
    return judge({
      policy: p.name,
      endpoints: endpoints.map((e) => ({
        endpoint: e.endpoint,
        pairs: e.pairs,
        mismatchRate: e.mismatchRate,
        // issue 14 adds notCompared to the endpoint report; absent = 0
        notCompared: Number((e as unknown as { notCompared?: unknown }).notCompared) || 0,
        latencyVerdict: e.latencyVerdict,
      })),
      regressionFields: (endpoint) =>
        (d.reports.endpoint(p.name, endpoint)?.fields ?? [])
          .filter((f) => f.verdict === 'regression')
          .map((f) => f.path),
      alerts: policyConfig(p.spec).alerts,
      ...(p.spec.ramp?.guards?.coverage !== undefined ? { coverage: p.spec.ramp.guards.coverage } : {}),
      ...(ramp ? { ramp } : {}),
      overCapacity,
      run: runRef(p.name),
      now: d.now(),
    });
  };

  return {
    candidateVersion(policy: Policy, version: string): boolean {
      const o = d.runs.observe(policy.name, version, policy.version, d.now());
      if (o.state === 'superseded') return false;
      if (o.state === 'started') start(policy.name, o.started, o.ended);
      return true;
    },
    runs,
    verdict,
  };
}
