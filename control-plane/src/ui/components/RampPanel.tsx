// The mirror ramp on a policy's page: status (paused and reverted look stopped, not running), the
// stage list with the current stage, each guard's value and pass/fail/inconclusive, why a stage holds
// and when it would pause for lack of evidence, the transition timeline, and — for editors — start,
// pause, resume and abort, each asking for confirmation in place before it is sent.
import { useState } from 'preact/hooks';
import { api, ApiError, enc } from '../api';
import { ago } from '../format';
import { on, useApi, useWhoami } from '../hooks';
import type { RampView } from '../types';

const STATUS_CLASS: Record<string, string> = {
  running: 'pill pill-ok',
  completed: 'pill pill-ok',
  paused: 'pill pill-warn',
  reverted: 'pill pill-bad',
  aborted: 'pill pill-muted',
  idle: 'pill pill-muted',
};
const GUARD_CLASS = { pass: 'pill pill-ok', fail: 'pill pill-bad', inconclusive: 'pill pill-warn' } as const;
const ACTIONS: Record<string, Array<'start' | 'pause' | 'resume' | 'abort'>> = {
  idle: ['start'],
  running: ['pause', 'abort'],
  paused: ['resume', 'abort'],
  reverted: ['resume', 'abort'],
  completed: ['start'],
  aborted: ['start'],
};
const CONSEQUENCE = {
  start: 'mirroring starts at the first stage',
  pause: 'the current percent is kept, stages stop advancing',
  resume: 'the stage restarts its hold and is judged on traffic after the resume',
  abort: 'mirroring stops (0 %)',
} as const;

export function RampPanel({ policy }: { policy: string }) {
  const r = useApi<RampView>(
    `/policies/${enc(policy)}/ramp`,
    on.any(on.policy, (e) => e.type === 'ramp'),
  );
  const me = useWhoami();
  const [asking, setAsking] = useState<keyof typeof CONSEQUENCE | undefined>();
  const [msg, setMsg] = useState<string | undefined>();
  if (!r.data) return null; // no ramp declared (409) or none on this control plane
  const v = r.data;
  const send = async (action: keyof typeof CONSEQUENCE) => {
    setAsking(undefined);
    try {
      await api(`/policies/${enc(policy)}/ramp/${action}`, { method: 'POST' });
      setMsg(undefined);
      r.reload();
    } catch (err) {
      setMsg(err instanceof ApiError ? `${err.status}: ${err.message}` : String(err));
    }
  };
  return (
    <div data-testid="ramp-panel">
      <h2>
        Mirror ramp{' '}
        <span class={STATUS_CLASS[v.status] ?? 'pill'} data-testid="ramp-status">
          {v.status === 'running' ? 'running' : v.status.toUpperCase()}
        </span>{' '}
        <span class="muted small">{v.percent}% mirrored</span>
      </h2>
      <ol class="stages" data-testid="ramp-stages">
        {v.stages.map((p, i) => (
          <li key={p} class={i + 1 === v.stage && v.status !== 'idle' ? 'current' : ''}>
            stage {i + 1}: {p}%{i + 1 === v.stage && v.status !== 'idle' ? ' ◀ current' : ''}
          </li>
        ))}
      </ol>
      {v.lastEvaluation && (
        <table class="grid" data-testid="ramp-guards">
          <tbody>
            {v.lastEvaluation.guards.map((g) => (
              <tr key={g.guard} data-guard={g.guard}>
                <td>{g.guard}</td>
                <td>
                  <span class={GUARD_CLASS[g.status]}>{g.status}</span>
                </td>
                <td class="small">{g.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {v.status === 'running' && v.lastEvaluation && v.lastEvaluation.inconclusive.length > 0 && (
        <p class="small" data-testid="ramp-holding">
          Holding for evidence
          {v.pausesInconclusiveAt ? `; pauses ${v.pausesInconclusiveAt} without it` : ''}.
        </p>
      )}
      {me?.role === 'editor' && (
        <p>
          {(ACTIONS[v.status] ?? []).map((a) => (
            <button type="button" key={a} data-testid={`ramp-${a}`} onClick={() => setAsking(a)}>
              {a}
            </button>
          ))}
        </p>
      )}
      {asking && (
        <div class="dialog" role="dialog" data-testid="ramp-confirm">
          <p>
            {asking[0].toUpperCase() + asking.slice(1)} the ramp of <b>{policy}</b>? {CONSEQUENCE[asking]}.
          </p>
          <button
            type="button"
            class={asking === 'abort' ? 'danger' : ''}
            data-testid="ramp-confirm-yes"
            onClick={() => send(asking)}
          >
            Yes, {asking}
          </button>{' '}
          <button type="button" onClick={() => setAsking(undefined)}>
            Cancel
          </button>
        </div>
      )}
      {msg && <p class="error">{msg}</p>}
      <h3>Timeline</h3>
      <ul class="small" data-testid="ramp-timeline">
        {v.transitions.map((t) => (
          <li key={`${t.at}-${t.to}-${t.stage}`}>
            {ago(t.at)}: {t.from} → <b>{t.to}</b> at stage {t.stage} ({t.percent}%) by {t.by}
            <div class="muted">{t.reason}</div>
          </li>
        ))}
      </ul>
    </div>
  );
}
