// Live and shadow bodies side by side, aligned key by key, with the differences highlighted: a value
// that differs is 'changed' on both sides, a key present on one side only is 'only' there and a gap on
// the other. '[REDACTED]' values (compare/redact.ts) are shown as redacted, never as text to compare.
// Fields the report judged noise (a volatile token the secondary differs on too) are toned down, so the
// eye lands on the regressions: body paths here are dotted and index-free, like the report's.

import type { ComponentChildren } from 'preact';
import type { ExampleSide } from '../types';

const REDACTED = '[REDACTED]';
type State = 'same' | 'changed' | 'only';
interface Line {
  indent: number;
  text: string;
  state: State;
  redacted?: boolean;
  noise?: boolean;
}
type Row = [Line | null, Line | null];

const isObj = (v: unknown): v is Record<string, unknown> | unknown[] => v !== null && typeof v === 'object';
const kindOf = (v: unknown) => (Array.isArray(v) ? 'array' : isObj(v) ? 'object' : 'primitive');

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!isObj(a) || !isObj(b) || kindOf(a) !== kindOf(b)) return false;
  const ka = Object.keys(a),
    kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => k in b && equal((a as any)[k], (b as any)[k]));
}

function prefix(key: string | number | undefined): string {
  return key === undefined || typeof key === 'number' ? '' : `${JSON.stringify(key)}: `;
}

/** One side alone (the other has nothing here). */
function single(
  v: unknown,
  key: string | number | undefined,
  indent: number,
  state: State,
  comma: string,
  noise = false,
): Line[] {
  if (!isObj(v))
    return [{ indent, text: prefix(key) + JSON.stringify(v) + comma, state, redacted: v === REDACTED, noise }];
  const arr = Array.isArray(v);
  const keys = Object.keys(v);
  if (keys.length === 0) return [{ indent, text: prefix(key) + (arr ? '[]' : '{}') + comma, state, noise }];
  const out: Line[] = [{ indent, text: prefix(key) + (arr ? '[' : '{'), state, noise }];
  keys.forEach((k, i) =>
    out.push(...single((v as any)[k], arr ? i : k, indent + 1, state, i < keys.length - 1 ? ',' : '', noise)),
  );
  out.push({ indent, text: (arr ? ']' : '}') + comma, state, noise });
  return out;
}

function zip(a: Line[], b: Line[]): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) rows.push([a[i] ?? null, b[i] ?? null]);
  return rows;
}

function walk(
  a: unknown,
  b: unknown,
  key: string | number | undefined,
  indent: number,
  commaA: string,
  commaB: string,
  path: string,
  noise: ReadonlySet<string>,
): Row[] {
  const ka = kindOf(a),
    kb = kindOf(b);
  if (ka !== kb || ka === 'primitive') {
    const same = equal(a, b);
    const n = !same && noise.has(path);
    return zip(
      single(a, key, indent, same ? 'same' : 'changed', commaA, n),
      single(b, key, indent, same ? 'same' : 'changed', commaB, n),
    );
  }
  const arr = ka === 'array';
  const A = a as Record<string, unknown>,
    B = b as Record<string, unknown>;
  const keysA = Object.keys(A),
    keysB = Object.keys(B);
  const keys = [...keysA, ...keysB.filter((k) => !(k in A))];
  const open = prefix(key) + (arr ? '[' : '{');
  const rows: Row[] = [
    [
      { indent, text: open, state: 'same' },
      { indent, text: open, state: 'same' },
    ],
  ];
  keys.forEach((k) => {
    const inA = k in A,
      inB = k in B;
    const k2 = arr ? Number(k) : k;
    const cA = keysA.indexOf(k) < keysA.length - 1 ? ',' : '';
    const cB = keysB.indexOf(k) < keysB.length - 1 ? ',' : '';
    const p = arr ? path : `${path}.${k}`;
    if (inA && inB) rows.push(...walk(A[k], B[k], k2, indent + 1, cA, cB, p, noise));
    else if (inA) rows.push(...zip(single(A[k], k2, indent + 1, 'only', cA, noise.has(p)), []));
    else rows.push(...zip([], single(B[k], k2, indent + 1, 'only', cB, noise.has(p))));
  });
  const close = arr ? ']' : '}';
  rows.push([
    { indent, text: close + commaA, state: 'same' },
    { indent, text: close + commaB, state: 'same' },
  ]);
  return rows;
}

function Cell({ line, side }: { line: Line | null; side: 'l' | 'r' }) {
  if (!line) return <code class={`jl ${side} gap`} />;
  let body: ComponentChildren = line.text;
  if (line.redacted) {
    const i = line.text.indexOf(JSON.stringify(REDACTED));
    body = (
      <>
        {line.text.slice(0, i)}
        <span class="redacted" title="redacted before storage">
          {REDACTED}
        </span>
        {line.text.slice(i + REDACTED.length + 2)}
      </>
    );
  }
  const noise = line.noise && line.state !== 'same';
  return (
    <code
      class={`jl ${side} ${line.state}${noise ? ' noise' : ''}`}
      title={noise ? 'noise: the secondary differs here too' : undefined}
      style={{ paddingLeft: `${0.5 + line.indent * 1.1}em` }}
    >
      {body}
    </code>
  );
}

const NONE: ReadonlySet<string> = new Set();

/** `noise`: report field paths ('body.session_token') whose differences are noise, drawn toned down. */
export function JsonDiff({
  left,
  right,
  leftLabel,
  rightLabel,
  noise = NONE,
}: {
  left: unknown;
  right: unknown;
  leftLabel: string;
  rightLabel: string;
  noise?: ReadonlySet<string>;
}) {
  const rows =
    typeof left === 'string' && typeof right === 'string'
      ? zip(
          left
            .split('\n')
            .map((t, i) => ({ indent: 0, text: t, state: (t === right.split('\n')[i] ? 'same' : 'changed') as State })),
          right
            .split('\n')
            .map((t, i) => ({ indent: 0, text: t, state: (t === left.split('\n')[i] ? 'same' : 'changed') as State })),
        )
      : walk(left, right, undefined, 0, '', '', 'body', noise);
  const differing = rows.filter(([l, r]) => l?.state !== 'same' || r?.state !== 'same');
  const changed = differing.length;
  const noisy = differing.filter(([l, r]) => (l ?? r)?.noise).length;
  return (
    <div class="jsondiff" data-testid="json-diff">
      <div class="jhead">{leftLabel}</div>
      <div class="jhead">
        {rightLabel}{' '}
        <span class="muted small">
          {changed} line(s) differ{noisy > 0 ? `, ${noisy} of them noise` : ''}
        </span>
      </div>
      {rows.map(([l, r], i) => [<Cell key={`l${i}`} line={l} side="l" />, <Cell key={`r${i}`} line={r} side="r" />])}
    </div>
  );
}

/** Headers side by side: one row per name, differing values highlighted, redacted ones marked. */
export function HeaderDiff({ left, right }: { left: ExampleSide['headers']; right: ExampleSide['headers'] }) {
  const get = (h: ExampleSide['headers'], n: string) =>
    h
      .filter(([k]) => k === n)
      .map(([, v]) => v)
      .join(', ');
  const names = [...new Set([...left.map(([k]) => k), ...right.map(([k]) => k)])].sort();
  const show = (v: string) =>
    v === REDACTED ? <span class="redacted">{REDACTED}</span> : v || <span class="muted">—</span>;
  return (
    <table class="grid headers">
      <tbody>
        {names.map((n) => {
          const a = get(left, n),
            b = get(right, n);
          const cls = a === b ? '' : 'changed';
          return (
            <tr key={n}>
              <th>{n}</th>
              <td class={cls}>{show(a)}</td>
              <td class={cls}>{show(b)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
