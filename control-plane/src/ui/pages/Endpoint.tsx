// One endpoint: its differing fields (count, kind, Diffy noise verdict with raw vs noise counts),
// each markable as noise by an editor (POST /policies/{name}/noise: an audited policy change after
// which the field reads 'ignored' and leaves the regression list), detector suggestions, and
// mismatched pairs side by side — live and shadow bodies with the differences highlighted.

import { useState } from 'preact/hooks';
import { api, ApiError, enc } from '../api';
import { HeaderDiff, JsonDiff } from '../components/JsonDiff';
import { NoiseDialog, type NoiseResult } from '../components/NoiseMark';
import { ago, pct, us } from '../format';
import { on, useApi, useWhoami } from '../hooks';
import { paths } from '../router';
import type { EndpointDetail, FieldReport, PairExample } from '../types';

const show = (v: unknown) => (v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));
const markable = (f: FieldReport) =>
  f.verdict !== 'ignored' && (/^body\.[^.]/.test(f.path) || /^headers\./.test(f.path));

function VerdictPill({ v }: { v: string }) {
  const cls =
    v === 'regression' ? 'pill-bad' : v === 'likely-noise' ? 'pill-warn' : v === 'ignored' ? 'pill-muted' : 'pill-ok';
  return <span class={`pill ${cls}`}>{v}</span>;
}

function FieldRow({ f, canEdit, onMark }: { f: FieldReport; canEdit: boolean; onMark: (f: FieldReport) => void }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <tr data-field={f.path} class={f.verdict === 'regression' ? 'row-bad' : ''}>
        <td>
          <button type="button" class="link" onClick={() => setOpen(!open)}>
            {open ? '▾' : '▸'}
          </button>{' '}
          <code>{f.path}</code>
        </td>
        <td>{f.kinds.map((k) => k.kind).join(', ')}</td>
        <td class="num">{f.raw}</td>
        <td class="num" title="differences live vs secondary (a second copy of live): Diffy's noise sample">
          {f.noise}
        </td>
        <td>
          <VerdictPill v={f.verdict} />
        </td>
        <td>
          {canEdit && markable(f) && (
            <button type="button" class="small-btn" data-testid="mark-noise" onClick={() => onMark(f)}>
              mark as noise
            </button>
          )}
        </td>
      </tr>
      {open && (
        <tr class="examples">
          <td colSpan={6}>
            <table class="grid inner">
              <thead>
                <tr>
                  <th>pair</th>
                  <th>kind</th>
                  <th>live</th>
                  <th>shadow</th>
                </tr>
              </thead>
              <tbody>
                {f.examples.map((x, i) => (
                  <tr key={i}>
                    <td class="muted small">{x.pairId}</td>
                    <td>{x.kind}</td>
                    <td class="del">
                      <code>{show(x.live)}</code>
                    </td>
                    <td class="ins">
                      <code>{show(x.shadow)}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </td>
        </tr>
      )}
    </>
  );
}

/** The request that produced the example; headers and body only when the policy captures them (capture.request). */
function SampleRequest({ r }: { r: NonNullable<PairExample['request']> }) {
  const body = r.body === undefined || r.bodyKind === 'empty' ? undefined : r.body;
  return (
    <div class="sample-request" data-testid="sample-request">
      <p class="small">
        request{' '}
        <code>
          {r.method} {r.path}
          {r.query ? `?${r.query.replace(/^\?/, '')}` : ''}
        </code>
      </p>
      {r.headers && r.headers.length > 0 && (
        <ul class="small" data-testid="sample-request-headers">
          {r.headers.map(([n, v]) => (
            <li key={n}>
              <code>
                {n}: {v}
              </code>
            </li>
          ))}
        </ul>
      )}
      {body !== undefined && (
        <pre class="small" data-testid="sample-request-body">
          {typeof body === 'string' ? body : JSON.stringify(body, null, 2)}
          {r.truncated ? `\n… (cut at the capture limit; ${r.bodySize ?? '?'} bytes in all)` : ''}
        </pre>
      )}
    </div>
  );
}

function Sample({ s, noise }: { s: PairExample; noise: ReadonlySet<string> }) {
  const hasRaw = s.live.raw !== undefined || s.candidate.raw !== undefined;
  const [raw, setRaw] = useState(false);
  const [secondary, setSecondary] = useState(false);
  const right = secondary && s.secondary ? s.secondary : s.candidate;
  const pick = (side: typeof s.live) => (raw && side.raw !== undefined ? side.raw : side.body);
  return (
    <div class="sample" data-testid="sample">
      {s.request && <SampleRequest r={s.request} />}
      <div class="sample-bar">
        <span>
          pair <code>{s.pairId}</code> · {ago(s.at)}
        </span>
        <span>
          status{' '}
          <b class={s.live.status !== right.status ? 'bad' : ''}>
            {s.live.status} → {right.status}
          </b>
        </span>
        <span>
          latency {us(s.live.latencyUs)} → {us(right.latencyUs)}
        </span>
        {hasRaw && (
          <span class="toggle" data-testid="view-toggle">
            <button type="button" class={raw ? '' : 'on'} onClick={() => setRaw(false)}>
              normalized
            </button>
            <button type="button" class={raw ? 'on' : ''} onClick={() => setRaw(true)}>
              raw
            </button>
          </span>
        )}
        {s.secondary && (
          <label class="small">
            <input type="checkbox" checked={secondary} onChange={() => setSecondary(!secondary)} /> compare with the
            secondary
          </label>
        )}
      </div>
      <JsonDiff
        left={pick(s.live)}
        right={pick(right)}
        leftLabel="live"
        rightLabel={secondary ? 'secondary' : 'shadow (candidate)'}
        noise={noise}
      />
      <details>
        <summary class="small">headers</summary>
        <HeaderDiff left={s.live.headers} right={right.headers} />
      </details>
    </div>
  );
}

export function EndpointPage({ policy, endpoint }: { policy: string; endpoint: string }) {
  const d = useApi<{ report: EndpointDetail }>(
    `/reports/${enc(policy)}/endpoints/${enc(endpoint)}`,
    on.any(on.reports(policy), on.policy),
  );
  const me = useWhoami();
  const [msg, setMsg] = useState<{ ok: boolean; text: string; undo?: NoiseResult['undo'] } | undefined>();
  const [marking, setMarking] = useState<FieldReport | undefined>();
  const [sample, setSample] = useState(0);
  const canEdit = me?.role === 'editor';
  if (d.error && !d.data) return <p class="error">{d.error.message}</p>;
  if (!d.data) return <p class="empty">Loading…</p>;
  const r = d.data.report;
  const active = r.fields.filter((f) => f.verdict !== 'ignored');
  const ignored = r.fields.filter((f) => f.verdict === 'ignored');
  const mark = (f: FieldReport) => {
    setMsg(undefined);
    setMarking(f);
  };
  const done = (res: NoiseResult) => {
    setMarking(undefined);
    setMsg({
      ok: true,
      text: res.changed
        ? `'${res.rule}' added to normalize.${res.scope === 'endpoint' ? `ignoreByEndpoint (${endpoint})` : res.list}: policy v${res.policy.version} (audited).`
        : `'${res.rule}' was already ignored.`,
      undo: res.undo,
    });
    d.reload();
  };
  const undo = async (u: NonNullable<NoiseResult['undo']>) => {
    try {
      const p = await api<{ version: number }>(u.path.replace(/^\/api\/v1/, ''), { method: u.method, json: u.body });
      setMsg({ ok: true, text: `Undone: the policy is back to v${u.body.version}'s rules (now v${p.version}).` });
      d.reload();
    } catch (err) {
      setMsg({ ok: false, text: err instanceof ApiError ? `${err.status}: ${err.message}` : String(err) });
    }
  };
  const s = r.samples[Math.min(sample, r.samples.length - 1)];
  return (
    <section>
      <p class="small">
        <a href={paths.reports(policy)}>← all endpoints</a>
      </p>
      <h1>
        <code>{r.endpoint}</code> {r.alerting && <span class="pill pill-bad">alerting</span>}
      </h1>
      <p class="summary">
        <b>{r.pairs}</b> pairs · match <b>{pct(r.matchRate)}</b> · {r.statusMismatches} status mismatches · latency p50{' '}
        {us(r.latency.live.p50Us)} → {us(r.latency.shadow.p50Us)}, p99 {us(r.latency.live.p99Us)} →{' '}
        {us(r.latency.shadow.p99Us)}
        {r.hasSecondary ? ' · noise measured with a secondary' : ' · no secondary: noise is only suggested'}
      </p>
      {marking && (
        <NoiseDialog
          policy={policy}
          endpoint={endpoint}
          path={marking.path}
          onDone={done}
          onError={(text) => {
            setMarking(undefined);
            setMsg({ ok: false, text });
          }}
          onCancel={() => setMarking(undefined)}
        />
      )}
      {msg && (
        <p class={msg.ok ? 'notice' : 'error'} data-testid="notice">
          {msg.text}{' '}
          {msg.undo && (
            <button type="button" class="small-btn" data-testid="noise-undo" onClick={() => undo(msg.undo!)}>
              Undo
            </button>
          )}
        </p>
      )}
      <h2>Differing fields</h2>
      {active.length === 0 ? (
        <p class="empty">No differing field.</p>
      ) : (
        <table class="grid" data-testid="fields">
          <thead>
            <tr>
              <th>Field</th>
              <th>Kind</th>
              <th>Raw</th>
              <th>Noise</th>
              <th>Verdict</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {active.map((f) => (
              <FieldRow key={f.path} f={f} canEdit={canEdit} onMark={mark} />
            ))}
          </tbody>
        </table>
      )}
      {me && !canEdit && active.some(markable) && (
        <p class="muted small" data-testid="viewer-note">
          Marking a field as noise needs an editor token.
        </p>
      )}
      {ignored.length > 0 && (
        <>
          <h3>
            Ignored by the policy{' '}
            <span class="muted small">(normalize.ignorePaths / ignoreHeaders; counted before the rule existed)</span>
          </h3>
          <ul class="ignored" data-testid="ignored">
            {ignored.map((f) => (
              <li key={f.path}>
                <code>{f.path}</code> <span class="muted small">{f.raw} raw</span>
              </li>
            ))}
          </ul>
        </>
      )}
      {r.suggestions.length > 0 && (
        <>
          <h3>Suggestions</h3>
          <ul class="small">
            {r.suggestions.slice(0, 10).map((g) => (
              <li key={g.detector + g.path}>
                <code>{g.path}</code> ({g.detector}, {pct(g.share)} of pairs): {g.hint}
              </li>
            ))}
          </ul>
        </>
      )}
      <h2>Examples</h2>
      {!s ? (
        <p class="empty">No mismatched pair kept yet.</p>
      ) : (
        <>
          {r.samples.length > 1 && (
            <p class="pager">
              {r.samples.map((x, i) => (
                <button type="button" key={x.pairId} class={i === sample ? 'on' : ''} onClick={() => setSample(i)}>
                  {i + 1}
                </button>
              ))}
            </p>
          )}
          <Sample
            key={s.pairId}
            s={s}
            noise={new Set(active.filter((f) => f.verdict !== 'regression').map((f) => f.path))}
          />
        </>
      )}
    </section>
  );
}
