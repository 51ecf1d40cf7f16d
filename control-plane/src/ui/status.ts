// Derived status shared by the policy pages: which filter workers a policy covers, and how its
// sampling reads in one line.

import type { NodeStatus, Policy, PolicySpec } from './types';

export function nodesOf(policy: Policy, nodes: NodeStatus[] | undefined): NodeStatus[] {
  const services = new Set(policy.spec.services);
  return (nodes ?? []).filter((n) => services.has(n.service));
}

export function samplingText(spec: PolicySpec): string {
  const s = spec.sampling;
  if (!s) return 'off (0 %)';
  const rules = (s.rules ?? []).map(
    (r) =>
      `${r.methods?.join('/') ?? ''}${r.methods ? ' ' : ''}${r.host ?? ''}${r.pathPrefix ?? ''}`.trim() +
      ` ${r.percent} %`,
  );
  return [`${s.defaultPercent ?? 0} % by default`, ...rules].join(' · ');
}

export const nodeLabel = (n: NodeStatus): string => `${n.role}${n.variant ? `/${n.variant}` : ''}`;

/** Which filter of its proxy a node is: the plugin name ('—' from filters older than Hello.plugin). */
export const pluginName = (n: NodeStatus): string => n.plugin || '—';

/** A ramp as the ramp routes describe it; shown as given, whatever fields the route ends up with. */
export function rampText(r: Record<string, unknown> | undefined): string | undefined {
  if (!r) return undefined;
  const inner = (r.ramp && typeof r.ramp === 'object' ? r.ramp : r) as Record<string, unknown>;
  const parts: string[] = [];
  const stage = inner.stage ?? inner.currentStage ?? inner.step;
  const pctv = inner.percent ?? inner.currentPercent;
  const state = inner.state ?? inner.status;
  const stages = inner.stages;
  // ramp/view.ts: stage is the stage number, 1 = stages[0]
  if (typeof stage === 'number' && Array.isArray(stages)) parts.push(`stage ${stage}/${stages.length}`);
  else if (stage !== undefined)
    parts.push(`stage ${typeof stage === 'object' ? JSON.stringify(stage) : String(stage)}`);
  if (pctv !== undefined) parts.push(`mirroring ${String(pctv)} %`);
  if (state !== undefined) parts.push(String(state));
  return parts.length ? parts.join(' · ') : JSON.stringify(inner).slice(0, 120);
}
