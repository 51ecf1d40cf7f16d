// Diff reports of a policy: one row per endpoint, worst first (the server's order: mismatch rate,
// then regression fields, then pairs), sortable by any column. Updates live as pairs arrive. Runs: switch to an earlier run's
// report, or start a new one (reset).

import { useState } from 'preact/hooks';
import { api, enc } from '../api';
import { pct, us, ago } from '../format';
import { on, useApi, useWhoami } from '../hooks';
import { paths } from '../router';
import type { EndpointReport, RunView } from '../types';

type Key =
  | 'worst'
  | 'endpoint'
  | 'pairs'
  | 'matchRate'
  | 'statusMismatches'
  | 'regressionFields'
  | 'p50'
  | 'p99'
  | 'alerting';
const value: Record<Exclude<Key, 'worst'>, (e: EndpointReport) => number | string> = {
  endpoint: (e) => e.endpoint,
  pairs: (e) => e.pairs,
  matchRate: (e) => e.matchRate,
  statusMismatches: (e) => e.statusMismatches,
  regressionFields: (e) => e.regressionFields,
  p50: (e) => e.latency.deltaP50Us,
  p99: (e) => e.latency.deltaP99Us,
  alerting: (e) => (e.alerting ? 1 : 0),
};

function MatchBar({ rate }: { rate: number }) {
  const cls = rate >= 99 ? 'good' : rate >= 90 ? 'warn' : 'badbar';
  return (
    <span class="bar">
      <span class="track">
        <span class={cls} style={{ width: `${Math.max(2, rate)}%` }} />
      </span>
      <em>{pct(rate)}</em>
    </span>
  );
}

/** Runs of the report: switch between them (the current one live, earlier ones archived) and reset. */
function Runs({ policy, run, onRun }: { policy: string; run?: number; onRun(id?: number): void }) {
  const runs = useApi<{ runs: RunView[] }>(`/policies/${enc(policy)}/runs`, on.any(on.reports(policy), on.policy));
  const me = useWhoami();
  const [asking, setAsking] = useState(false);
  if (!runs.data || runs.data.runs.length === 0) return null;
  const reset = async () => {
    setAsking(false);
    await api(`/policies/${enc(policy)}/runs/reset`, { method: 'POST' });
    onRun(undefined);
    runs.reload();
  };
  return (
    <p class="small" data-testid="runs">
      Run{' '}
      <select
        data-testid="run-select"
        value={String(run ?? runs.data.runs.find((x) => x.current)?.id ?? '')}
        onChange={(e) => {
          const id = Number((e.target as HTMLSelectElement).value);
          onRun(runs.data!.runs.find((x) => x.id === id)?.current ? undefined : id);
        }}
      >
        {runs.data.runs.map((x) => (
          <option key={x.id} value={String(x.id)}>
            {x.id}: {x.candidateVersion || '(unknown version)'} {x.current ? '(current)' : `(ended ${x.endedAt})`}
          </option>
        ))}
      </select>{' '}
      {me?.role === 'editor' &&
        (asking ? (
          <span class="dialog" data-testid="run-reset-confirm">
            Start a new run? Its report starts empty; this one stays readable.{' '}
            <button type="button" data-testid="run-reset-yes" onClick={reset}>
              Yes, new run
            </button>{' '}
            <button type="button" onClick={() => setAsking(false)}>
              Cancel
            </button>
          </span>
        ) : (
          <button type="button" class="small-btn" data-testid="run-reset" onClick={() => setAsking(true)}>
            new run (reset)
          </button>
        ))}
    </p>
  );
}

export function ReportsPage({ policy }: { policy: string }) {
  const [run, setRun] = useState<number | undefined>();
  const r = useApi<{ policy: string; run?: number; endpoints: EndpointReport[] }>(
    `/reports/${enc(policy)}${run !== undefined ? `?run=${run}` : ''}`,
    on.any(on.reports(policy), on.policy),
  );
  const [sort, setSort] = useState<{ key: Key; desc: boolean }>({ key: 'worst', desc: true });
  if (r.error && !r.data) return <p class="error">{r.error.message}</p>;
  if (!r.data) return <p class="empty">Loading…</p>;
  const eps = [...r.data.endpoints];
  if (sort.key !== 'worst') {
    const f = value[sort.key];
    eps.sort((a, b) => {
      const x = f(a),
        y = f(b);
      const c = typeof x === 'string' ? x.localeCompare(y as string) : (x as number) - (y as number);
      return sort.desc ? -c : c;
    });
  }
  const pairs = eps.reduce((n, e) => n + e.pairs, 0);
  const matching = eps.reduce((n, e) => n + e.matching, 0);
  const alerting = eps.filter((e) => e.alerting).length;
  const th = (key: Key, label: string, title?: string) => (
    <th
      class="sortable"
      title={title}
      onClick={() =>
        setSort((s) => ({ key, desc: s.key === key ? !s.desc : key !== 'endpoint' && key !== 'matchRate' }))
      }
    >
      {label}
      {sort.key === key ? (sort.desc ? ' ▾' : ' ▴') : ''}
    </th>
  );
  return (
    <section>
      <h1>Diff reports</h1>
      <Runs policy={policy} run={run} onRun={setRun} />
      <p class="summary" data-testid="summary">
        <b>{pairs}</b> pairs · overall match <b>{pct(pairs ? (matching / pairs) * 100 : 100)}</b> · {eps.length}{' '}
        endpoints
        {alerting > 0 && (
          <>
            {' '}
            · <span class="bad">{alerting} alerting</span>
          </>
        )}
        <span class="muted"> — an aggregate hides a regression on one endpoint: read the rows.</span>
      </p>
      {eps.length === 0 ? (
        <p class="empty">No pairs compared yet for this policy.</p>
      ) : (
        <table class="grid endpoints" data-testid="endpoints">
          <thead>
            <tr>
              {th('endpoint', 'Endpoint')}
              {th('pairs', 'Pairs')}
              {th('matchRate', 'Match rate')}
              {th('statusMismatches', 'Status ≠')}
              {th('regressionFields', 'Regressions', 'fields judged regressions (noise and ignored fields excluded)')}
              {th('p50', 'p50 live → shadow')}
              {th('p99', 'p99 live → shadow')}
              {th('alerting', 'Alert')}
              <th class="sortable" onClick={() => setSort({ key: 'worst', desc: true })}>
                {sort.key === 'worst' ? 'worst first ▾' : 'worst first'}
              </th>
            </tr>
          </thead>
          <tbody>
            {eps.map((e) => (
              <tr key={e.endpoint} class={e.verdict === 'critical' ? 'row-bad' : ''} data-endpoint={e.endpoint}>
                <td>
                  <a href={paths.endpoint(policy, e.endpoint)}>
                    <code>{e.endpoint}</code>
                  </a>
                </td>
                <td class="num">{e.pairs}</td>
                <td>
                  <MatchBar rate={e.matchRate} />
                </td>
                <td class="num">{e.statusMismatches || <span class="muted">0</span>}</td>
                <td class="num">
                  {e.regressionFields > 0 ? (
                    <span class="bad">{e.regressionFields}</span>
                  ) : (
                    <span class="muted">0</span>
                  )}
                  {e.noiseFields + e.likelyNoiseFields + (e.ignoredFields ?? 0) > 0 && (
                    <span class="muted small">
                      {' '}
                      +{e.noiseFields + e.likelyNoiseFields + (e.ignoredFields ?? 0)} noise
                    </span>
                  )}
                </td>
                <td class="num small">
                  {us(e.latency.live.p50Us)} → {us(e.latency.shadow.p50Us)}
                </td>
                <td class="num small">
                  {us(e.latency.live.p99Us)} → {us(e.latency.shadow.p99Us)}
                </td>
                <td>
                  {e.alerting ? (
                    <span class="pill pill-bad">alerting</span>
                  ) : e.verdict === 'critical' ? (
                    <span class="pill pill-warn">regression</span>
                  ) : (
                    <span class="pill pill-ok">ok</span>
                  )}
                </td>
                <td class="muted small">{ago(e.lastAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
