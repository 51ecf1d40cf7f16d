// Every alert of every policy, newest first (GET /alerts), with its state: an editor acknowledges
// (someone is on it) or resolves it; an endpoint that recovered resolves its alerts by itself.
// Filter by state; open first is what needs attention.
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { ago } from '../format';
import { on, useApi, useWhoami } from '../hooks';
import { paths } from '../router';
import type { Alert } from '../types';

export function AlertsPage() {
  const [state, setState] = useState<'' | 'open' | 'acknowledged' | 'resolved'>('');
  const list = useApi<{ alerts: Alert[] }>(`/alerts?limit=200${state ? `&state=${state}` : ''}`, on.alert);
  const me = useWhoami();
  const [msg, setMsg] = useState<string | undefined>();
  const move = async (a: Alert, action: 'acknowledge' | 'resolve') => {
    try {
      await api(`/alerts/${a.id}/${action}`, { method: 'POST' });
      setMsg(undefined);
      list.reload();
    } catch (err) {
      setMsg(err instanceof ApiError ? `${err.status}: ${err.message}` : String(err));
    }
  };
  return (
    <section>
      <h1>Alerts</h1>
      <p class="small">
        {(['', 'open', 'acknowledged', 'resolved'] as const).map((s) => (
          <button type="button" key={s} class={s === state ? 'on' : ''} onClick={() => setState(s)}>
            {s || 'all'}
          </button>
        ))}
      </p>
      {msg && <p class="error">{msg}</p>}
      {!list.data ? (
        <p class="empty">Loading…</p>
      ) : list.data.alerts.length === 0 ? (
        <p class="empty">No alert.</p>
      ) : (
        <table class="grid" data-testid="alerts">
          <tbody>
            {list.data.alerts.map((a) => (
              <tr key={a.id} data-alert={a.id} data-state={a.state}>
                <td class="small">{ago(a.at)}</td>
                <td>
                  <a href={paths.policy(a.policy)}>{a.policy}</a>
                </td>
                <td>
                  <a href={paths.endpoint(a.policy, a.endpoint)}>{a.endpoint}</a>
                  <div class="muted small">{a.message}</div>
                </td>
                <td>
                  <span
                    class={
                      a.state === 'open' ? 'pill pill-bad' : a.state === 'resolved' ? 'pill pill-ok' : 'pill pill-warn'
                    }
                  >
                    {a.state}
                  </span>
                  {a.stateBy && <div class="muted small">by {a.stateBy}</div>}
                </td>
                <td>
                  {me?.role === 'editor' && a.state === 'open' && (
                    <button type="button" class="small-btn" data-testid="ack" onClick={() => move(a, 'acknowledge')}>
                      acknowledge
                    </button>
                  )}
                  {me?.role === 'editor' && a.state !== 'resolved' && (
                    <button type="button" class="small-btn" data-testid="resolve" onClick={() => move(a, 'resolve')}>
                      resolve
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
