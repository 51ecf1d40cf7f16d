// The demo's human lines for alerts (start.ts prints one per new alert; the JSON is in the log file).

export interface AlertLine {
  id: number;
  at: number;
  endpoint: string;
  rate: number;
  pairs: number;
  message: string;
  delivery?: string;
}

/** One alert as a person reads it: time, what, and where to look. */
export function alertLine(a: AlertLine, reportsUrl: string): string {
  const t = new Date(a.at).toISOString().slice(11, 19);
  const where = a.endpoint.startsWith('(') ? '' : `  → ${reportsUrl}/endpoints/${encodeURIComponent(a.endpoint)}`;
  return `ALERT ${t}  ${a.message}${where}\n`;
}
