// The API's one timestamp format is ISO-8601 (UTC, milliseconds). The engine keeps unix ms (cheap to
// compare, bucket and persist); each answer that carries a time goes through one of these views on
// its way out, so no route formats a time by hand and no answer mixes the two. Structural, like
// deps.ts: the API reads the engine's answers by field name and imports none of its modules.

/** unix ms → '2026-12-03T17:40:00.000Z'; a missing or invalid time → null. */
export function iso(ms: unknown): string | null {
  return typeof ms === 'number' && Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : null;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A copy of `o` with the listed unix-ms fields as ISO strings (absent and null fields stay as they are). */
function withIso(o: unknown, keys: readonly string[]): unknown {
  if (!isObj(o)) return o;
  const out: Obj = { ...o };
  for (const k of keys) if (out[k] !== undefined && out[k] !== null) out[k] = iso(out[k]);
  return out;
}
const mapped = (v: unknown, f: (x: unknown) => unknown): unknown => (Array.isArray(v) ? v.map(f) : v);

export const alertView = (a: unknown) => withIso(a, ['at', 'stateAt']);

/** An endpoint summary or detail: firstAt/lastAt, and the times of its examples and samples. */
export function reportView(r: unknown): unknown {
  const out = withIso(r, ['firstAt', 'lastAt']);
  if (!isObj(out)) return out;
  if (out.fields)
    out.fields = mapped(out.fields, (f) =>
      isObj(f) ? { ...f, examples: mapped(f.examples, (e) => withIso(e, ['at'])) } : f,
    );
  if (out.samples) out.samples = mapped(out.samples, (s) => withIso(s, ['at']));
  return out;
}

export function blastView(m: unknown): unknown {
  const out = withIso(m, ['at']);
  if (!isObj(out)) return out;
  out.services = mapped(out.services, (s) =>
    isObj(s) ? { ...s, destinations: mapped(s.destinations, (d) => withIso(d, ['lastAt'])) } : s,
  );
  return out;
}

export function nodeView(n: unknown): unknown {
  const out = withIso(n, ['connectedAt', 'disconnectedAt', 'lastSeen']);
  if (isObj(out) && out.config) out.config = withIso(out.config, ['respondedAt']);
  return out;
}

const RAMP_TIMES = ['pausesInconclusiveAt', 'startedAt', 'stageStartedAt', 'nextAdvanceAt', 'nextEvaluationAt'];

export function rampApiView(v: unknown): unknown {
  const out = withIso(v, RAMP_TIMES);
  if (!isObj(out)) return out;
  if (out.lastEvaluation) out.lastEvaluation = withIso(out.lastEvaluation, ['at']);
  out.transitions = mapped(out.transitions, (t) => withIso(t, ['at']));
  return out;
}
