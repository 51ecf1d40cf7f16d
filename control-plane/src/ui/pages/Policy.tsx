// One policy: its status (sampling, ramp, the filter workers it covers with config versions and NACK
// reasons, recent alerts) and its version history (components/History.tsx: each version with the diff
// from the one before, and an editor's rollback).

import { enc } from '../api';
import { HistoryList } from '../components/History';
import { RampCell } from '../components/Ramp';
import { RampPanel } from '../components/RampPanel';
import { ago, shortHash } from '../format';
import { on, useApi } from '../hooks';
import { paths } from '../router';
import { nodeLabel, nodesOf, pluginName, samplingText } from '../status';
import type { Alert, History, NodeStatus, Policy } from '../types';

/** What was pushed. Nothing pushed but a version applied: the filter (re)connected already running the
 *  current snapshot (snapshot/cache.ts sends nothing then; every change since would have been pushed). */
function ConfigSent({ c }: { c: NodeStatus['config'] }) {
  if (c.sent === undefined && c.acked !== undefined) {
    return (
      <span class="nowrap" title="the filter connected already running the current version, so nothing was sent">
        <span class="muted">none needed</span>
        {!c.nacked && <span class="ok"> ✓ in sync</span>}
      </span>
    );
  }
  return (
    <span class="nowrap">
      <code title={c.sent}>{shortHash(c.sent)}</code>
      {c.sent && c.sent === c.acked && <span class="ok"> ✓ in sync</span>}
    </span>
  );
}

function Nodes({ nodes }: { nodes: NodeStatus[] }) {
  if (nodes.length === 0) return <p class="empty">No filter has connected for these services yet.</p>;
  return (
    <table class="grid" data-testid="nodes">
      <thead>
        <tr>
          <th>Node</th>
          <th>Filter</th>
          <th>Role</th>
          <th>Workload</th>
          <th>State</th>
          <th>Config applied</th>
          <th>Config sent</th>
          <th>Halves / events</th>
        </tr>
      </thead>
      <tbody>
        {nodes.map((n) => (
          <tr key={n.key} class={n.config.nacked ? 'row-bad' : ''}>
            <td>{n.nodeId}</td>
            <td>
              {pluginName(n)}
              <span class="muted" title="VM number among the filters sharing its vm_id">
                #{n.worker}
              </span>
            </td>
            <td>{nodeLabel(n)}</td>
            <td>{n.workload}</td>
            <td>
              {n.connected ? <span class="ok">connected</span> : <span class="muted">gone {ago(n.lastSeen)}</span>}
            </td>
            <td>
              <code title={n.config.acked}>{shortHash(n.config.acked)}</code>
              {n.config.nacked && (
                <div class="bad" data-testid="nack">
                  NACK of <code>{shortHash(n.config.nacked.version)}</code>: {n.config.nacked.reason}
                </div>
              )}
            </td>
            <td>
              <ConfigSent c={n.config} />
            </td>
            <td>
              {n.halvesReceived} / {n.eventsReceived}
              {n.dropsReported > 0 && <span class="bad"> ({n.dropsReported} dropped)</span>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

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
      <Nodes nodes={ns} />
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
