// A policy's version history, newest first, each version with the diff from the one before, and the
// rollback: an editor can make any older version current again (POST /policies/{name}/rollback, which
// appends a new version; nothing is rewritten). The confirm dialog shows what would change from the
// current version, and the request carries If-Match with the version the dialog was opened against,
// so a change someone made meanwhile is refused (412) rather than silently undone. Viewers see no
// rollback control (the API would refuse them too).

import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, enc } from '../api';
import { ago } from '../format';
import { useWhoami } from '../hooks';
import type { History, Policy } from '../types';
import { changesBetween, SpecDiff } from './SpecDiff';

type Version = History['versions'][number];
interface Pending {
  target: Version;
  head: Version;
}

/** The version a rollback restored: the latest earlier version with the same spec. */
function restored(history: History, v: Version): number | undefined {
  if (!v.spec) return undefined;
  return history.versions
    .filter((x) => x.version < v.version && x.spec && changesBetween(x.spec, v.spec).length === 0)
    .at(-1)?.version;
}

function ConfirmRollback({
  name,
  pending,
  onCancel,
  onDone,
}: {
  name: string;
  pending: Pending;
  onCancel: () => void;
  onDone: (ok: boolean, text: string) => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const { target, head } = pending;
  const confirm = async () => {
    setBusy(true);
    try {
      const p = await api<Policy>(`/policies/${enc(name)}/rollback`, {
        method: 'POST',
        json: { version: target.version },
        headers: { 'if-match': `"${head.version}"` },
      });
      onDone(
        true,
        `Rolled back to v${target.version}: '${name}' is now v${p.version} (audited as a rollback by ${p.updatedBy}).`,
      );
    } catch (err) {
      const stale = err instanceof ApiError && err.status === 412;
      onDone(
        false,
        stale
          ? `Not rolled back: the policy changed while you were deciding (${err.message}). The history now shows the change; review it and try again.`
          : `Not rolled back: ${err instanceof ApiError ? `${err.status}: ${err.message}` : String(err)}`,
      );
    }
  };
  return (
    <dialog
      ref={ref}
      class="confirm"
      data-testid="rollback-dialog"
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) onCancel();
      }}
    >
      <h3>
        Roll back '{name}' to v{target.version}?
      </h3>
      <p class="small">
        v{target.version}'s spec becomes the current version, <b>v{head.version + 1}</b>, and is pushed to the filters
        at once. v{head.version} stays in the history (you can roll forward to it the same way). What changes from v
        {head.version}:
      </p>
      <SpecDiff before={head.spec} after={target.spec} changes={changesBetween(head.spec, target.spec)} />
      <p class="buttons">
        <button type="button" onClick={onCancel} disabled={busy} data-testid="rollback-cancel">
          Cancel
        </button>
        <button
          type="button"
          class="danger"
          onClick={() => void confirm()}
          disabled={busy}
          data-testid="rollback-confirm"
        >
          {busy ? 'Rolling back…' : `Roll back to v${target.version}`}
        </button>
      </p>
    </dialog>
  );
}

export function HistoryList({ history, onChanged }: { history: History; onChanged: () => void }) {
  const me = useWhoami();
  const canEdit = me?.role === 'editor';
  const [open, setOpen] = useState<number | undefined>(undefined);
  const [pending, setPending] = useState<Pending | undefined>();
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | undefined>();
  const head = history.versions.find((v) => v.version === history.version);
  const versions = [...history.versions].reverse();
  const auditFor = (v: number) => history.audit.find((a) => a.toVersion === v);
  const older = (v: Version) => v.version !== history.version && !v.deleted && v.spec !== undefined;
  const done = (ok: boolean, text: string) => {
    setPending(undefined);
    setMsg({ ok, text });
    onChanged();
  };
  return (
    <>
      {msg && (
        <p class={msg.ok ? 'notice' : 'error'} data-testid="rollback-notice">
          {msg.text}
        </p>
      )}
      {me && !canEdit && versions.some(older) && (
        <p class="muted small" data-testid="viewer-note">
          Rolling back to an older version needs an editor token.
        </p>
      )}
      <ol class="history" data-testid="history">
        {versions.map((v) => {
          const prev = history.versions.find((x) => x.version === v.version - 1);
          const a = auditFor(v.version);
          const action = a?.action ?? (v.deleted ? 'delete' : 'update');
          const from = action === 'rollback' ? restored(history, v) : undefined;
          const isOpen = open === v.version;
          const sameAsHead = older(v) && head?.spec !== undefined && changesBetween(head.spec, v.spec).length === 0;
          return (
            <li key={v.version} data-version={v.version}>
              {older(v) && (
                <span class="actions">
                  {sameAsHead ? (
                    <span class="muted small">same as current</span>
                  ) : (
                    canEdit &&
                    head && (
                      <button
                        type="button"
                        class="small-btn"
                        data-testid="rollback"
                        onClick={() => {
                          setMsg(undefined);
                          setPending({ target: v, head });
                        }}
                      >
                        Roll back to this version
                      </button>
                    )
                  )}
                </span>
              )}
              <button type="button" class="link" onClick={() => setOpen(isOpen ? undefined : v.version)}>
                <b>v{v.version}</b> {action} by {v.createdBy} · {ago(v.createdAt)}
              </button>
              {from !== undefined && (
                <span class="pill" data-testid="restores">
                  {' '}
                  restores v{from}
                </span>
              )}
              {v.version === history.version && <span class="pill pill-ok">current</span>}
              <span class="muted small">
                {' '}
                {v.changes.map((c) => `${c.op === 'added' ? '+' : c.op === 'removed' ? '−' : '~'}${c.path}`).join('  ')}
              </span>
              {isOpen && <SpecDiff before={prev?.spec} after={v.spec} changes={v.changes} />}
            </li>
          );
        })}
      </ol>
      {pending && (
        <ConfirmRollback name={history.name} pending={pending} onCancel={() => setPending(undefined)} onDone={done} />
      )}
    </>
  );
}
