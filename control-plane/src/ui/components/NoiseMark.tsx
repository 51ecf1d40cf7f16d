// Marking a field as noise, safely: the editor picks a scope (this endpoint, the default, or the whole
// policy), sees the preview the API computes (dryRun: every endpoint and field whose reading would
// change, with its verdict now), is warned loudly when a silenced field is a regression and must
// confirm explicitly, and gets an Undo (the API's one reverting call) once it is done.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, enc } from '../api';

interface Preview {
  endpoint: string;
  fields: Array<{ path: string; verdict: string }>;
  mismatchRateBefore: number;
  mismatchRateAfter: number;
}
export interface NoiseResult {
  rule: string;
  list: string;
  scope: 'policy' | 'endpoint';
  changed: boolean;
  policy: { version: number };
  preview: Preview[];
  undo?: { method: string; path: string; body: { version: number } };
}

export function NoiseDialog(props: {
  policy: string;
  endpoint: string;
  path: string;
  onDone(r: NoiseResult): void;
  onError(text: string): void;
  onCancel(): void;
}) {
  const [scope, setScope] = useState<'endpoint' | 'policy'>('endpoint');
  const [preview, setPreview] = useState<Preview[] | undefined>();
  const body = (extra: object) => ({
    path: props.path,
    scope,
    ...(scope === 'endpoint' ? { endpoint: props.endpoint } : {}),
    ...extra,
  });
  useEffect(() => {
    setPreview(undefined);
    api<NoiseResult>(`/policies/${enc(props.policy)}/noise`, { method: 'POST', json: body({ dryRun: true }) })
      .then((r) => setPreview(r.preview))
      .catch((err) => props.onError(err instanceof ApiError ? `${err.status}: ${err.message}` : String(err)));
  }, [scope, props.path]);
  const regressions = (preview ?? []).flatMap((e) =>
    e.fields.filter((f) => f.verdict === 'regression').map((f) => `${f.path} on ${e.endpoint}`),
  );
  const apply = async () => {
    try {
      props.onDone(
        await api<NoiseResult>(`/policies/${enc(props.policy)}/noise`, {
          method: 'POST',
          json: body({ confirm: regressions.length > 0 }),
        }),
      );
    } catch (err) {
      props.onError(err instanceof ApiError ? `${err.status}: ${err.message}` : String(err));
    }
  };
  return (
    <div class="dialog" role="dialog" data-testid="noise-dialog">
      <p>
        Mark <code>{props.path}</code> as noise for{' '}
        <label>
          <input
            type="radio"
            name="scope"
            checked={scope === 'endpoint'}
            onChange={() => setScope('endpoint')}
            data-testid="scope-endpoint"
          />{' '}
          this endpoint
        </label>{' '}
        <label>
          <input
            type="radio"
            name="scope"
            checked={scope === 'policy'}
            onChange={() => setScope('policy')}
            data-testid="scope-policy"
          />{' '}
          the whole policy
        </label>
      </p>
      {!preview ? (
        <p class="muted small">Computing what it would silence…</p>
      ) : (
        <ul class="small" data-testid="noise-preview">
          {preview.length === 0 && <li>Nothing in the current reports changes.</li>}
          {preview.map((e) => (
            <li key={e.endpoint}>
              <code>{e.endpoint}</code>: {e.fields.map((f) => `${f.path} (${f.verdict})`).join(', ')} · mismatch{' '}
              {e.mismatchRateBefore}% → {e.mismatchRateAfter}%
            </li>
          ))}
        </ul>
      )}
      {regressions.length > 0 && (
        <p class="error" data-testid="noise-regression-warning">
          This hides a REGRESSION: {regressions.join('; ')}. Only confirm if you are sure it is noise.
        </p>
      )}
      <p>
        <button type="button" class="danger" disabled={!preview} onClick={apply} data-testid="noise-confirm">
          {regressions.length > 0 ? 'Mark as noise anyway' : 'Mark as noise'}
        </button>{' '}
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </p>
    </div>
  );
}
