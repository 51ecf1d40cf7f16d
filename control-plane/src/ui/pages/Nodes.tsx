// Every filter worker that has connected, whatever policy covers it (GET /api/v1/nodes): which proxies
// run Shadowguard, in which role, and whether each applied the configuration it was sent.
import { NodesTable } from '../components/Nodes';
import { on, useApi } from '../hooks';
import type { NodeStatus } from '../types';

export function NodesPage() {
  const list = useApi<{ nodes: NodeStatus[] }>('/nodes', on.any(on.nodes, on.policy));
  const nodes = list.data?.nodes;
  if (list.error && !nodes) return <p class="error">{list.error.message}</p>;
  if (!nodes) return <p class="empty">Loading…</p>;
  const connected = nodes.filter((n) => n.connected).length;
  const nacked = nodes.filter((n) => n.config.nacked).length;
  return (
    <section>
      <h1>Filters</h1>
      <p class="small" data-testid="nodes-summary">
        {connected} connected of {nodes.length}
        {nacked > 0 && <span class="bad"> · {nacked} rejected their configuration</span>}
      </p>
      <NodesTable nodes={nodes} empty="No filter has connected yet." />
    </section>
  );
}
