// The mirror ramp of a policy, when the control plane has ramp routes (GET /policies/{name}/ramp).
// A 404 (no ramp for this policy, or a control plane without ramps) shows nothing.

import { useApi, on } from '../hooks';
import { enc } from '../api';
import { rampText } from '../status';

export function RampCell({ policy }: { policy: string }) {
  const r = useApi<Record<string, unknown>>(
    `/policies/${enc(policy)}/ramp`,
    on.any(on.policy, (e) => e.type === 'ramp'),
  );
  const text = r.data ? rampText(r.data) : undefined;
  if (!text) return <span class="muted">–</span>;
  return (
    <span class="pill" data-testid="ramp">
      {text}
    </span>
  );
}
