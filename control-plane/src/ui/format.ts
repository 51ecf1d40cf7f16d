// Number and time formatting shared by the pages.

export const pct = (v: number | undefined): string =>
  v === undefined || !Number.isFinite(v)
    ? '–'
    : v >= 99.95 && v < 100
      ? '99.9 %'
      : `${v.toFixed(v === 100 || v === 0 ? 0 : 1)} %`;

/** microseconds → '1.2 ms' / '850 µs' / '2.1 s' */
export function us(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  if (v < 1000) return `${Math.round(v)} µs`;
  if (v < 1_000_000) return `${(v / 1000).toFixed(v < 10_000 ? 1 : 0)} ms`;
  return `${(v / 1_000_000).toFixed(1)} s`;
}

export const rate = (v: number): string =>
  v >= 10 ? `${v.toFixed(0)}/s` : v >= 0.1 ? `${v.toFixed(1)}/s` : v > 0 ? `${v.toFixed(2)}/s` : '0/s';

export function ago(t: number | string | undefined): string {
  if (t === undefined) return '–';
  const ms = typeof t === 'number' ? t : Date.parse(t);
  if (!Number.isFinite(ms) || ms <= 0) return '–';
  const s = Math.round((Date.now() - ms) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

export const shortHash = (v: string | undefined): string => (v ? (v.length > 10 ? v.slice(0, 10) : v) : '–');
