// One policy: its status (sampling, ramp, the filter workers it covers with config versions and NACK
// reasons, recent alerts) and its version history (components/History.tsx: each version with the diff
// from the one before, and an editor's rollback).

import { enc } from '../api';
import { HistoryList } from '../components/History';
import { RampCell } from '../components/Ramp';
import { RampPanel } from '../components/RampPanel';
import { NodesTable } from '../components/Nodes';
import { ago } from '../format';
import { on, useApi } from '../hooks';
import { paths } from '../router';
import { nodesOf, samplingText } from '../status';
import type { Alert, History, NodeStatus, Policy } from '../types';

export function PolicyPage({ name }: { name: string }) {
  const policy = useApi<Policy>(`/policies/${enc(name)}`, on.policy);
  const history = useApi<History>(`/policies/${enc(name)}/history`, on.policy);
  const nodes = useApi<{ nodes: NodeStatus[] }>('/nodes', on.any(on.nodes, on.policy));
  const alerts = useApi<{ alerts: Alert[] }>(`/alerts?policy=${enc(name)}&limit=5`, on.alert);
  const p = policy.data;
  if (policy.error && !p) return <p class="error">{policy.error.message}</p>;
  if (!p) return <p class="empty">Loading…</p>;
  const ns = nodesOf(p, nodes.data?.nodes);
  return (
    <section>
      <h1>
        {p.name} <span class="muted">v{p.version}</span>
      </h1>
      {p.spec.description && <p>{p.spec.description}</p>}
      <dl class="facts">
        <dt>Services</dt>
        <dd>{p.spec.services.join(', ')}</dd>
        <dt>Sampling</dt>
        <dd data-testid="sampling">{samplingText(p.spec)}</dd>
        <dt>Ramp</dt>
        <dd>
          <RampCell policy={p.name} />
        </dd>
        <dt>Ignored paths</dt>
        <dd>
          {p.spec.normalize?.ignorePaths?.map((x) => (
            <code class="chip" key={x}>
              {x}
            </code>
          )) ?? <span class="muted">none</span>}
        </dd>
        <dt>Reports</dt>
        <dd>
          <a href={paths.reports(p.name)}>diff reports</a> · <a href={paths.blast(p.name)}>blast radius</a>
        </dd>
      </dl>
      <RampPanel policy={p.name} />
      <h2>Recent alerts</h2>
      {(alerts.data?.alerts.length ?? 0) === 0 ? (
        <p class="empty">None.</p>
      ) : (
        <ul class="alerts">
          {alerts.data!.alerts.map((a) => (
            <li key={a.id}>
              <span class="bad">●</span> {ago(a.at)}: <a href={paths.endpoint(p.name, a.endpoint)}>{a.endpoint}</a> —{' '}
              {a.message}
            </li>
          ))}
        </ul>
      )}
      <h2>Filters</h2>
      <NodesTable nodes={ns} empty="No filter has connected for these services yet." />
      <h2>History</h2>
      {history.data ? (
        <HistoryList
          history={history.data}
          onChanged={() => {
            history.reload();
            policy.reload();
          }}
        />
      ) : (
        <p class="empty">Loading…</p>
      )}
    </section>
  );
}
