// How the CLI prints: human tables by default (kubectl-style: upper-case headers, columns padded,
// no borders), or the API's JSON / YAML unchanged with -o json|yaml for scripts.

import YAML from 'yaml';

export type OutputFormat = 'table' | 'json' | 'yaml';

export interface Printer {
  format: OutputFormat;
  out(text: string): void;
  err(text: string): void;
}

export function table(rows: Array<Record<string, unknown>>, columns: Array<[header: string, key: string]>): string {
  if (rows.length === 0) return 'No resources found.';
  const cells = rows.map((r) => columns.map(([, k]) => cell(r[k])));
  const widths = columns.map(([h], i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i])))
      .join('   ')
      .trimEnd();
  return [line(columns.map(([h]) => h)), ...cells.map(line)].join('\n');
}

function cell(v: unknown): string {
  if (v === undefined || v === null || v === '') return '<none>';
  if (Array.isArray(v)) return v.length === 0 ? '<none>' : v.join(',');
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(1);
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Prints `data` as JSON or YAML when asked, else the human rendering. */
export function emit(p: Printer, data: unknown, human: () => string): void {
  if (p.format === 'json') p.out(JSON.stringify(data, null, 2));
  else if (p.format === 'yaml') p.out(YAML.stringify(data).trimEnd());
  else p.out(human());
}

export function age(at: string | number | null | undefined, now = Date.now()): string {
  if (at === null || at === undefined) return '<none>';
  const t = typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(t)) return '<none>';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}
