// Diff reports of a policy: one row per endpoint, worst first (the server's order: mismatch rate,
// then regression fields, then pairs), sortable by any column. Updates live as pairs arrive.

import { useState } from 'preact/hooks';
import { enc } from '../api';
import { pct, us, ago } from '../format';
import { on, useApi } from '../hooks';
import { paths } from '../router';
import type { EndpointReport } from '../types';

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

export function ReportsPage({ policy }: { policy: string }) {
  const r = useApi<{ policy: string; endpoints: EndpointReport[] }>(
    `/reports/${enc(policy)}`,
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
