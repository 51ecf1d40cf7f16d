// `shadowguard report|verdict|alerts|nodes`: what the control plane concluded and what it sees.
// verdict --exit-code turns the verdict of GET /api/v1/policies/{name}/verdict into the exit status a
// CI step or an Argo Rollouts / Flagger job can gate on: pass 0, fail 3, inconclusive 4 (1 stays
// "the command itself failed", 2 "bad usage"), because no evidence is never a pass.

import type { Command } from 'commander';
import { CliError, enc, type ApiClient } from '../client.js';
import { age, emit, table, type Printer } from '../output.js';

export const VERDICT_EXIT = { pass: 0, fail: 3, inconclusive: 4 } as const;

type Row = Record<string, unknown>;

export function observeCommands(
  program: Command,
  ctx: () => { api: ApiClient; p: Printer },
  setExit: (code: number) => void,
): void {
  program
    .command('report')
    .description("A policy's per-endpoint report, or one endpoint's fields")
    .argument('[endpoint]', "an endpoint template, e.g. 'POST /refunds/{id}'")
    .requiredOption('-p, --policy <name>', 'policy name', process.env.SHADOWGUARD_POLICY)
    .action(async (endpoint: string | undefined, opts: { policy: string }) => {
      const { api, p } = ctx();
      if (endpoint) {
        const r = await api.call<{ fields?: Row[] } & Row>(
          'GET',
          `/reports/${enc(opts.policy)}/endpoints/${enc(endpoint)}`,
        );
        emit(p, r.body, () =>
          [
            `${endpoint}: ${r.body.pairs} pairs, ${fmt(r.body.mismatchRate)} % mismatched, verdict ${r.body.verdict}`,
            '',
            table(r.body.fields ?? [], [
              ['FIELD', 'path'],
              ['VERDICT', 'verdict'],
              ['KIND', 'kind'],
              ['PAIRS', 'count'],
            ]),
          ].join('\n'),
        );
        return;
      }
      const r = await api.call<{ endpoints: Row[] }>('GET', `/reports/${enc(opts.policy)}`);
      emit(p, r.body, () =>
        table(
          r.body.endpoints.map((e) => ({ ...e, alerting: e.alerting ? 'yes' : 'no' })),
          [
            ['ENDPOINT', 'endpoint'],
            ['PAIRS', 'pairs'],
            ['MISMATCH %', 'mismatchRate'],
            ['REGRESSIONS', 'regressionFields'],
            ['NOISE', 'noiseFields'],
            ['VERDICT', 'verdict'],
            ['ALERTING', 'alerting'],
          ],
        ),
      );
    });

  program
    .command('verdict')
    .description('Pass, fail or inconclusive for a policy (for CI gates)')
    .argument('<policy>', 'policy name')
    .option(
      '--exit-code',
      `exit ${VERDICT_EXIT.pass} on pass, ${VERDICT_EXIT.fail} on fail, ${VERDICT_EXIT.inconclusive} on inconclusive`,
    )
    .action(async (policy: string, opts: { exitCode?: boolean }) => {
      const { api, p } = ctx();
      const r = await api.call<{ verdict?: string; reasons?: unknown[] } & Row>(
        'GET',
        `/policies/${enc(policy)}/verdict`,
      );
      const v = r.body.verdict;
      if (v !== 'pass' && v !== 'fail' && v !== 'inconclusive')
        throw new CliError(`the control plane answered an unknown verdict '${String(v)}'`);
      emit(p, r.body, () =>
        [`${policy}: ${v.toUpperCase()}`, ...(r.body.reasons ?? []).map((x) => `  - ${reasonText(x)}`)].join('\n'),
      );
      if (opts.exitCode) setExit(VERDICT_EXIT[v]);
    });

  program
    .command('alerts')
    .description('Alerts, newest first')
    .option('-p, --policy <name>', 'only this policy')
    .option('--limit <n>', 'at most this many', '50')
    .action(async (opts: { policy?: string; limit: string }) => {
      const { api, p } = ctx();
      const q = new URLSearchParams({ limit: opts.limit, ...(opts.policy ? { policy: opts.policy } : {}) });
      const r = await api.call<{ alerts: Row[] }>('GET', `/alerts?${q}`);
      emit(p, r.body, () =>
        table(
          r.body.alerts.map((a) => ({ ...a, age: age(a.at as string) })),
          [
            ['ID', 'id'],
            ['POLICY', 'policy'],
            ['ENDPOINT', 'endpoint'],
            ['RATE %', 'rate'],
            ['PAIRS', 'pairs'],
            ['DELIVERY', 'delivery'],
            ['AGE', 'age'],
          ],
        ),
      );
    });

  program
    .command('nodes')
    .description('Filters connected to the control plane, with their config state')
    .action(async () => {
      const { api, p } = ctx();
      const r = await api.call<{ nodes: Row[] }>('GET', '/nodes');
      emit(p, r.body, () =>
        table(
          r.body.nodes.map((n) => {
            const c = (n.config ?? {}) as { acked?: string; nacked?: { version: string } };
            return {
              ...n,
              state: n.connected ? 'Connected' : 'Disconnected',
              config: c.nacked ? `NACK ${c.nacked.version.slice(0, 12)}` : (c.acked?.slice(0, 12) ?? ''),
              age: age(n.connectedAt as string),
            };
          }),
          [
            ['NODE', 'nodeId'],
            ['PLUGIN', 'plugin'],
            ['ROLE', 'role'],
            ['SERVICE', 'service'],
            ['STATE', 'state'],
            ['CONFIG', 'config'],
            ['AGE', 'age'],
          ],
        ),
      );
    });
}

/** A reason of the verdict API ({kind, verdict, endpoint?, message}) or a plain string, as one line. */
function reasonText(x: unknown): string {
  if (typeof x === 'string') return x;
  const r = x as { verdict?: string; message?: string };
  return r.message ? `${r.verdict ? `${r.verdict}: ` : ''}${r.message}` : JSON.stringify(x);
}

const fmt = (v: unknown) => (typeof v === 'number' ? v.toFixed(1) : String(v));
