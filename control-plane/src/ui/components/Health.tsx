// A policy's health at a glance (the landing page): the verdict of its current run (pass, fail,
// inconclusive, from GET /policies/{name}/verdict), the first reason, and the alerting and slow
// endpoints of its report — so a regression is visible on the first page, not two clicks deep.
import { enc } from '../api';
import { on, useApi } from '../hooks';
import type { EndpointReport, PolicyVerdict } from '../types';

const CLASS = { pass: 'pill pill-ok', fail: 'pill pill-bad', inconclusive: 'pill pill-warn' } as const;

export function HealthCell({ policy }: { policy: string }) {
  const v = useApi<PolicyVerdict>(`/policies/${enc(policy)}/verdict`, on.any(on.reports(policy), on.policy, on.alert));
  const r = useApi<{ endpoints: EndpointReport[] }>(`/reports/${enc(policy)}`, on.any(on.reports(policy), on.policy));
  if (!v.data) return <span class="muted">–</span>;
  const eps = r.data?.endpoints ?? [];
  const alerting = eps.filter((e) => e.alerting).length;
  const slow = eps.filter((e) => e.latencyVerdict?.verdict === 'fail').length;
  const worst = eps.reduce((m, e) => Math.max(m, e.mismatchRate), 0);
  return (
    <div data-testid={`health-${policy}`} class="small">
      <span class={CLASS[v.data.verdict]} data-testid="verdict">
        {v.data.verdict}
      </span>{' '}
      {v.data.run && (
        <span class="muted">
          run {v.data.run.id} ({v.data.run.candidateVersion})
        </span>
      )}
      <div>
        {v.data.pairs} pairs · worst mismatch {Math.round(worst * 100) / 100}%
        {alerting > 0 && <span class="bad"> · {alerting} alerting</span>}
        {slow > 0 && <span class="bad"> · {slow} slower</span>}
      </div>
      {v.data.reasons[0] && <div class="muted">{v.data.reasons[0].message}</div>}
    </div>
  );
}
