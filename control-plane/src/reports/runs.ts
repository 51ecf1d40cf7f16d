// Runs: a report belongs to a run — one candidate version (from the shadow filter's Hello: its
// `version`, else its workload name) under the policy version current when the run started. A
// candidate half from a new version starts a new run (its report starts empty; the previous run's
// report is archived, still readable); an operator can start one by hand (reset). A half from the
// version of an earlier run, while a newer one is current, is superseded: ingest drops it, so a
// candidate rollout with old and new pods side by side never mixes two versions in one report.
// Pure and bounded (MAX_RUNS per policy, oldest forgotten first); serializable for the store.

export interface Run {
  /** 1, 2, 3… per policy */
  id: number;
  candidateVersion: string;
  /** the policy version current when the run started */
  policyVersion: number;
  /** unix ms */
  startedAt: number;
  endedAt?: number;
  /** 'candidate' (a new version said Hello) or the principal who reset */
  startedBy: string;
}

export type Observation =
  | { state: 'current' }
  | { state: 'superseded' }
  | { state: 'started'; started: Run; ended?: Run };

export const MAX_RUNS = 50;
const MAX_VERSION = 128;

export class RunBook {
  private readonly runs = new Map<string, Run[]>();

  current(policy: string): Run | undefined {
    const list = this.runs.get(policy);
    const last = list?.[list.length - 1];
    return last && last.endedAt === undefined ? last : undefined;
  }

  list(policy: string): Run[] {
    return [...(this.runs.get(policy) ?? [])];
  }

  get(policy: string, id: number): Run | undefined {
    return this.runs.get(policy)?.find((r) => r.id === id);
  }

  observe(policy: string, version: string, policyVersion: number, now: number): Observation {
    const v = version.slice(0, MAX_VERSION);
    const cur = this.current(policy);
    if (cur?.candidateVersion === v) return { state: 'current' };
    if (cur && this.list(policy).some((r) => r.candidateVersion === v)) return { state: 'superseded' };
    return { state: 'started', ...this.begin(policy, v, policyVersion, now, 'candidate') };
  }

  reset(policy: string, policyVersion: number, now: number, by: string): { started: Run; ended?: Run } {
    const version = this.current(policy)?.candidateVersion ?? this.list(policy).at(-1)?.candidateVersion ?? '';
    return this.begin(policy, version, policyVersion, now, by);
  }

  private begin(
    policy: string,
    candidateVersion: string,
    policyVersion: number,
    now: number,
    by: string,
  ): { started: Run; ended?: Run } {
    const list = this.runs.get(policy) ?? [];
    const cur = this.current(policy);
    let ended: Run | undefined;
    if (cur) {
      cur.endedAt = now;
      ended = { ...cur };
    }
    const started: Run = {
      id: (list.at(-1)?.id ?? 0) + 1,
      candidateVersion,
      policyVersion,
      startedAt: now,
      startedBy: by,
    };
    list.push(started);
    this.runs.set(policy, list.slice(-MAX_RUNS));
    return { started: { ...started }, ...(ended ? { ended } : {}) };
  }

  toJSON(): { version: 1; policies: Record<string, Run[]> } {
    return { version: 1, policies: Object.fromEntries(this.runs) };
  }

  static fromJSON(v: unknown): RunBook {
    const o = v as { version?: number; policies?: Record<string, unknown> };
    if (o?.version !== 1 || !o.policies || typeof o.policies !== 'object')
      throw new Error('RunBook.fromJSON: expected { version: 1, policies: {...} }');
    const book = new RunBook();
    for (const [policy, list] of Object.entries(o.policies)) {
      if (!Array.isArray(list)) throw new Error(`RunBook.fromJSON: runs of ${policy} must be an array`);
      const runs: Run[] = list
        .filter(
          (r): r is Run =>
            !!r && Number.isInteger(r.id) && typeof r.candidateVersion === 'string' && typeof r.startedAt === 'number',
        )
        .map((r) => ({
          id: r.id,
          candidateVersion: r.candidateVersion,
          policyVersion: Number(r.policyVersion) || 0,
          startedAt: r.startedAt,
          ...(typeof r.endedAt === 'number' ? { endedAt: r.endedAt } : {}),
          startedBy: typeof r.startedBy === 'string' ? r.startedBy : 'candidate',
        }));
      book.runs.set(policy, runs.slice(-MAX_RUNS));
    }
    return book;
  }
}
