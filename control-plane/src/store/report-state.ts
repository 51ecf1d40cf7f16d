// Report state in the store: each policy's current report saved under its own key (one oversized or
// unreadable policy no longer stops or spoils every other's save), the run book, and the archived
// report of every ended run (readable through GET …/reports/{policy}?run=N). Keys:
//   report-book:index         the policy names saved
//   report-book:<policy>      that policy's current run (ReportBook.policyJSON)
//   report-run:<policy>:<id>  an ended run's report, written once when the run ends
//   runs                      RunBook.toJSON()
// The legacy single blob 'report-book' is read once when no index exists (and then superseded).
import type { Logger } from 'pino';
import { ReportBook } from '../reports/aggregate.js';
import { RunBook } from '../reports/runs.js';
import type { Store } from './types.js';

const INDEX = 'report-book:index';
const LEGACY = 'report-book';
const RUNS = 'runs';
const policyKey = (p: string) => `report-book:${p}`;
const runKey = (p: string, id: number) => `report-run:${p}:${id}`;

export class ReportState {
  private readonly inFlight = new Set<Promise<void>>();

  private constructor(
    private readonly store: Pick<Store, 'saveState' | 'loadState'>,
    private readonly log: Logger,
  ) {}

  static async load(
    store: Pick<Store, 'saveState' | 'loadState'>,
    log: Logger,
  ): Promise<{ state: ReportState; reports: ReportBook; runs: RunBook }> {
    const state = new ReportState(store, log);
    const reports = new ReportBook();
    const index = await store.loadState(INDEX);
    if (Array.isArray(index)) {
      for (const p of index) {
        if (typeof p !== 'string') continue;
        try {
          const saved = await store.loadState(policyKey(p));
          if (saved !== undefined) reports.adopt(p, saved);
        } catch (err) {
          // Reports are derived data: this policy starts empty, the others load; the operator sees why.
          log.error({ err, policy: p }, 'saved report of a policy is unreadable; it starts empty');
        }
      }
    } else {
      const legacy = await store.loadState(LEGACY);
      if (legacy !== undefined) {
        try {
          const old = ReportBook.fromJSON(legacy);
          for (const p of old.policies()) reports.adopt(p, old.policyJSON(p));
        } catch (err) {
          log.error({ err }, 'saved report state is unreadable; starting with empty state');
        }
      }
    }
    let runs = new RunBook();
    const savedRuns = await store.loadState(RUNS);
    if (savedRuns !== undefined) {
      try {
        runs = RunBook.fromJSON(savedRuns);
      } catch (err) {
        log.error({ err }, 'saved runs are unreadable; the next candidate Hello starts run 1');
      }
    }
    return { state, reports, runs };
  }

  /**
   * Every policy's report is taken at one instant (synchronously, before the first write), so the
   * saved books agree with each other and with an observation-log position read at the same instant.
   */
  async save(reports: ReportBook, runs: RunBook): Promise<void> {
    const saved: string[] = [];
    const books = reports.policies().map((p) => [p, reports.policyJSON(p)] as const);
    const runsJSON = runs.toJSON();
    for (const [p, book] of books) {
      try {
        await this.store.saveState(policyKey(p), book);
        saved.push(p);
      } catch (err) {
        this.log.error({ err, policy: p }, 'report of a policy could not be saved; the others are');
      }
    }
    await this.store.saveState(INDEX, saved);
    await this.store.saveState(RUNS, runsJSON);
  }

  archive(policy: string, runId: number, json: unknown): void {
    const p: Promise<void> = this.store
      .saveState(runKey(policy, runId), json)
      .catch((err: unknown) =>
        this.log.error({ err, policy, run: runId }, 'report of an ended run could not be archived'),
      )
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  async archived(policy: string, runId: number): Promise<ReportBook | undefined> {
    await Promise.allSettled([...this.inFlight]); // an archive just written is readable at once
    const saved = await this.store.loadState(runKey(policy, runId));
    if (saved === undefined) return undefined;
    const book = new ReportBook();
    book.adopt(policy, saved);
    return book;
  }

  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
