// Policies: every current policy with its status at a glance — version, sampling, ramp stage (when
// the ramp routes exist), the filter workers it covers with their config state, NACKs with reasons.

import { useApi, on } from '../hooks';
import { ago } from '../format';
import { paths } from '../router';
import { nodeLabel, nodesOf, pluginName, samplingText } from '../status';
import type { NodeStatus, Policy } from '../types';
import { RampCell } from '../components/Ramp';
import { HealthCell } from '../components/Health';

export function PoliciesPage() {
  const policies = useApi<{ policies: Policy[] }>('/policies', on.policy);
  const nodes = useApi<{ nodes: NodeStatus[] }>('/nodes', on.any(on.nodes, on.policy));
  if (policies.error && !policies.data) return <p class="error">{policies.error.message}</p>;
  if (!policies.data) return <p class="empty">Loading…</p>;
  const list = policies.data.policies;
  return (
    <section>
      <h1>Policies</h1>
      {list.length === 0 && (
        <p class="empty">
          No policy yet. Create one with <code>PUT /api/v1/policies/&lt;name&gt;</code> (see <a href="/docs">/docs</a>).
        </p>
      )}
      {list.length > 0 && (
        <table class="grid" data-testid="policies">
          <thead>
            <tr>
              <th>Policy</th>
              <th>Health</th>
              <th>Version</th>
              <th>Services</th>
              <th>Sampling</th>
              <th>Ramp</th>
              <th>Filters</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {list.map((p) => {
              const ns = nodesOf(p, nodes.data?.nodes);
              const up = ns.filter((n) => n.connected);
              const nacked = ns.filter((n) => n.config.nacked);
              return (
                <tr key={p.name}>
                  <td>
                    <a href={paths.policy(p.name)}>
                      <b>{p.name}</b>
                    </a>
                    {p.spec.description && <div class="muted small">{p.spec.description}</div>}
                  </td>
                  <td>
                    <HealthCell policy={p.name} />
                  </td>
                  <td>v{p.version}</td>
                  <td>{p.spec.services.join(', ')}</td>
                  <td class="small">{samplingText(p.spec)}</td>
                  <td>
                    <RampCell policy={p.name} />
                  </td>
                  <td class="small">
                    <div>
                      {up.length} connected{ns.length > up.length ? `, ${ns.length - up.length} gone` : ''}
                    </div>
                    {up.length > 0 && <div class="muted">{[...new Set(up.map(nodeLabel))].join(', ')}</div>}
                    {nacked.map((n) => (
                      <div class="bad" key={n.key}>
                        NACK {n.nodeId} {pluginName(n)}#{n.worker}: {n.config.nacked!.reason}
                      </div>
                    ))}
                  </td>
                  <td class="small">
                    {ago(p.updatedAt)}
                    <div class="muted">by {p.updatedBy}</div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <p class="muted small">
        Links: <a href="/docs">REST API (/docs)</a>
      </p>
    </section>
  );
}
