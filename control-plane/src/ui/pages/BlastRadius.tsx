// Blast radius: the shadow service and every destination its traffic reached, drawn by hand in SVG
// (no graph library): one edge per destination labelled with the event rate and the decision counts
// (allowed / mocked / denied / rate-limited); a destination whose allowed shadow load passes the
// capacity the policy declares is drawn in red. The table below lists the routes per destination and
// the events per shadow variant (a candidate and a secondary each make their own calls).

import { enc } from '../api';
import { ago, rate } from '../format';
import { on, useApi } from '../hooks';
import type { BlastMap, Decision, DestinationBlast } from '../types';

const ROW = 78,
  TOP = 40,
  SVC_X = 20,
  SVC_W = 170,
  DEST_X = 640,
  DEST_W = 270,
  W = DEST_X + DEST_W + 20;
const LABEL_W = 200,
  LABEL_X = DEST_X - 30 - LABEL_W / 2;
const DECISIONS: Array<[Decision, string]> = [
  ['allowed', 'allowed'],
  ['mocked', 'mocked'],
  ['denied', 'denied'],
  ['rate_limited', 'limited'],
];

const variantText = (v: Record<string, number> | undefined) =>
  Object.entries(v ?? {})
    .sort()
    .map(([k, n]) => `${k} ${n}`)
    .join(' · ');
const decisionText = (d: Record<Decision, number>) =>
  DECISIONS.filter(([k]) => d[k] > 0)
    .map(([k, l]) => `${d[k]} ${l}`)
    .join(' · ') || 'no events';

function edgeClass(d: DestinationBlast): string {
  if (d.flagged) return 'edge over';
  if (d.decisions.allowed > 0) return 'edge allowed';
  if (d.decisions.mocked > 0) return 'edge mocked';
  return 'edge blocked';
}

function Graph({ service, dests }: { service: string; dests: DestinationBlast[] }) {
  const h = Math.max(1, dests.length) * ROW + TOP;
  const sy = h / 2;
  const max = Math.max(1, ...dests.map((d) => d.total));
  return (
    <svg
      class="blast"
      data-testid="blast-svg"
      viewBox={`0 0 ${W} ${h}`}
      width="100%"
      role="img"
      aria-label={`Blast radius of ${service}`}
    >
      <defs>
        <marker
          id="arrow"
          viewBox="0 0 10 10"
          refX="9"
          refY="5"
          markerUnits="userSpaceOnUse"
          markerWidth="11"
          markerHeight="11"
          orient="auto-start-reverse"
        >
          <path d="M0,0 L10,5 L0,10 z" fill="context-stroke" />
        </marker>
      </defs>
      {dests.map((d, i) => {
        const y = TOP / 2 + i * ROW + ROW / 2;
        // The edge bends from the service to its destination's row, then runs straight under its
        // label into the box: one label per row, never on top of another edge's.
        const x1 = SVC_X + SVC_W,
          bend = LABEL_X - LABEL_W / 2 - 10,
          x2 = DEST_X;
        const mx = (x1 + bend) / 2;
        const width = 1.5 + (4 * Math.log1p(d.total)) / Math.log1p(max);
        return (
          <g key={d.destination} data-destination={d.destination} class={d.flagged ? 'flagged' : ''}>
            <path
              class={edgeClass(d)}
              d={`M${x1},${sy} C${mx},${sy} ${mx},${y} ${bend},${y} L${x2 - 2},${y}`}
              stroke-width={width}
              fill="none"
              marker-end="url(#arrow)"
            />
            <rect class="label-bg" x={LABEL_X - LABEL_W / 2} y={y - 17} width={LABEL_W} height="32" rx="4" />
            <text class="edge-label" x={LABEL_X} y={y - 3} text-anchor="middle">
              {rate(d.rate)} · {d.total} events
            </text>
            <text class="edge-label small" x={LABEL_X} y={y + 11} text-anchor="middle">
              {decisionText(d.decisions)}
            </text>
            <rect
              class={d.flagged ? 'dest over' : 'dest'}
              x={DEST_X}
              y={y - ROW / 2 + 8}
              width={DEST_W}
              height={ROW - 16}
              rx="6"
            />
            <text class="dest-name" x={DEST_X + 12} y={y - 8}>
              {d.destination}
            </text>
            <text class="dest-cap" x={DEST_X + 12} y={y + 10}>
              {d.capacity !== undefined
                ? `peak ${rate(d.peakAllowedRate ?? d.allowedRate)} (avg ${rate(d.allowedRate)}) / capacity ${rate(d.capacity)}`
                : `peak ${rate(d.peakAllowedRate ?? d.allowedRate)} (avg ${rate(d.allowedRate)}) · no capacity declared`}
            </text>
            {d.flagged && (
              <text class="dest-over" x={DEST_X + 12} y={y + 25}>
                OVER CAPACITY
              </text>
            )}
          </g>
        );
      })}
      <rect class="svc" x={SVC_X} y={sy - 30} width={SVC_W} height="60" rx="8" />
      <text class="svc-name" x={SVC_X + SVC_W / 2} y={sy - 4} text-anchor="middle">
        {service}
      </text>
      <text class="svc-sub" x={SVC_X + SVC_W / 2} y={sy + 14} text-anchor="middle">
        shadow
      </text>
      {dests.length === 0 && (
        <text class="svc-sub" x={DEST_X} y={sy}>
          no egress seen yet
        </text>
      )}
    </svg>
  );
}

export function BlastRadiusPage({ policy }: { policy: string }) {
  const r = useApi<{ policy: string; map: BlastMap }>(
    `/blast-radius/${enc(policy)}`,
    on.any(on.blast(policy), on.policy),
  );
  if (r.error && !r.data) return <p class="error">{r.error.message}</p>;
  if (!r.data) return <p class="empty">Loading…</p>;
  const m = r.data.map;
  return (
    <section>
      <h1>Blast radius</h1>
      <p class="summary">
        Where the shadow's outbound calls went over the last {m.windowS} s (rates) and since start (counts).
        {m.flagged > 0 ? (
          <>
            {' '}
            <span class="bad">{m.flagged} destination(s) over capacity.</span>
          </>
        ) : (
          ' No destination over its capacity.'
        )}
      </p>
      <p class="legend small">
        <span class="lg allowed" /> allowed (reached the destination) <span class="lg mocked" /> mocked (answered
        locally) <span class="lg blocked" /> denied / rate-limited <span class="lg over" /> over capacity
      </p>
      {m.services.map((s) => (
        <div key={s.service} class="card">
          <Graph service={s.service} dests={s.destinations} />
          {s.destinations.length > 0 && (
            <table class="grid small" data-testid="blast-table">
              <thead>
                <tr>
                  <th>Destination</th>
                  <th>Route</th>
                  <th>Events</th>
                  <th>Decisions</th>
                  <th title="each shadow copy makes its own calls">By variant</th>
                  <th>Last</th>
                </tr>
              </thead>
              <tbody>
                {s.destinations.flatMap((d) =>
                  d.routes.map((rt, i) => (
                    <tr key={d.destination + rt.route} class={d.flagged ? 'row-bad' : ''}>
                      <td>{i === 0 ? d.destination : ''}</td>
                      <td>
                        <code>{rt.route}</code>
                      </td>
                      <td class="num">{rt.total}</td>
                      <td>{decisionText(rt.decisions)}</td>
                      <td class="muted" data-testid="variants">
                        {i === 0 ? variantText(d.variants) : ''}
                      </td>
                      <td class="muted">{i === 0 ? ago(d.lastAt) : ''}</td>
                    </tr>
                  )),
                )}
              </tbody>
            </table>
          )}
        </div>
      ))}
    </section>
  );
}
