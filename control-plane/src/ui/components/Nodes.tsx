// The filter workers (one row per filter VM stream, GET /api/v1/nodes): identity, connection, and the
// "config applied" signal — the version the filter acked equals the one sent ("in sync"), or a NACK
// with the filter's reason while it keeps running its last good configuration.
import { ago, shortHash } from '../format';
import { nodeLabel, pluginName } from '../status';
import type { NodeStatus } from '../types';

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

export function NodesTable({ nodes, empty }: { nodes: NodeStatus[]; empty: string }) {
  if (nodes.length === 0) return <p class="empty">{empty}</p>;
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
          <tr key={n.key} class={n.config.nacked ? 'row-bad' : ''} data-node={n.key}>
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
