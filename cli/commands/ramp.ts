// `shadowguard ramp start|pause|resume|abort|status POLICY`: the mirror ramp's controls
// (POST /api/v1/policies/{name}/ramp/{action}, audited under the token's name) and its state.

import type { Command } from 'commander';
import { enc, type ApiClient } from '../client.js';
import { age, emit, table, type Printer } from '../output.js';

interface RampView {
  policy: string;
  status: string;
  percent: number;
  stage: number;
  stages: number[];
  /** ISO-8601, like every time in the API */
  nextAdvanceAt: string | null;
  transitions: Array<{ at: string; from: string; to: string; reason?: string; by?: string }>;
  problem?: string;
}

function human(v: RampView): string {
  const head = table(
    [
      {
        ...v,
        stageOf: v.stages.length ? `${v.stage}/${v.stages.length}` : '<none>',
        next: v.nextAdvanceAt ?? '',
      },
    ],
    [
      ['POLICY', 'policy'],
      ['STATE', 'status'],
      ['PERCENT', 'percent'],
      ['STAGE', 'stageOf'],
      ['STAGES', 'stages'],
      ['NEXT ADVANCE', 'next'],
    ],
  );
  const recent = v.transitions.slice(0, 5).map((t) => ({ ...t, age: age(t.at) }));
  return [
    head,
    ...(v.problem ? [`Problem: ${v.problem}`] : []),
    ...(recent.length
      ? [
          '',
          table(recent, [
            ['FROM', 'from'],
            ['TO', 'to'],
            ['REASON', 'reason'],
            ['AGE', 'age'],
          ]),
        ]
      : []),
  ].join('\n');
}

export function rampCommands(program: Command, ctx: () => { api: ApiClient; p: Printer }): void {
  const ramp = program.command('ramp').description('Start, pause, resume, abort or show the mirror ramp of a policy');
  ramp
    .command('status')
    .description('The ramp state, current percent and stage, recent transitions')
    .argument('<policy>', 'policy name')
    .action(async (policy: string) => {
      const { api, p } = ctx();
      const r = await api.call<RampView>('GET', `/policies/${enc(policy)}/ramp`);
      emit(p, r.body, () => human(r.body));
    });
  for (const [action, what] of [
    ['start', 'Start the ramp at its first stage'],
    ['pause', 'Hold the ramp at its current percent'],
    ['resume', 'Resume a paused ramp'],
    ['abort', 'Stop the ramp and mirror nothing'],
  ] as const) {
    ramp
      .command(action)
      .description(what)
      .argument('<policy>', 'policy name')
      .action(async (policy: string) => {
        const { api, p } = ctx();
        const r = await api.call<RampView>('POST', `/policies/${enc(policy)}/ramp/${action}`);
        emit(p, r.body, () => `ramp/${policy} ${r.body.status} at ${r.body.percent} %`);
      });
  }
}
