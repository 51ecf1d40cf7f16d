// Live updates: reads GET /api/v1/events with fetch() and parses the server-sent events itself.
// EventSource cannot send an Authorization header, and a token in the URL would land in logs and
// history (see api/routes/events.ts); a streamed fetch can. Reconnects with backoff (1 s → 15 s), and
// again at once when the token changes. Listeners get { type, data }; status reports the connection.

import { authHeaders, onTokenChange } from './api';

export interface LiveEvent {
  type: string;
  data: any;
}
export type LiveStatus = 'connecting' | 'live' | 'offline' | 'unauthorized';

const listeners = new Set<(e: LiveEvent) => void>();
const statusListeners = new Set<(s: LiveStatus) => void>();
let status: LiveStatus = 'connecting';
let controller: AbortController | undefined;
let started = false;

export function subscribe(l: (e: LiveEvent) => void): () => void {
  listeners.add(l);
  return () => {
    listeners.delete(l);
  };
}

export function onStatus(l: (s: LiveStatus) => void): () => void {
  statusListeners.add(l);
  l(status);
  return () => {
    statusListeners.delete(l);
  };
}

function setStatus(s: LiveStatus): void {
  status = s;
  statusListeners.forEach((l) => l(s));
}

/** Parses one SSE block ("event: x\ndata: {...}") into an event; comments and retry lines are skipped. */
export function parseBlock(block: string): LiveEvent | undefined {
  let type = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) type = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  if (data.length === 0) return undefined;
  try {
    return { type, data: JSON.parse(data.join('\n')) };
  } catch {
    return { type, data: data.join('\n') };
  }
}

async function connectOnce(signal: AbortSignal): Promise<boolean> {
  const res = await fetch('/api/v1/events', { headers: { accept: 'text/event-stream', ...authHeaders() }, signal });
  if (res.status === 401 || res.status === 403) {
    setStatus('unauthorized');
    return false;
  }
  if (!res.ok || !res.body) throw new Error(`events: ${res.status}`);
  setStatus('live');
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return true;
    buf += value.replace(/\r\n?/g, '\n');
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const ev = parseBlock(buf.slice(0, i));
      buf = buf.slice(i + 2);
      if (ev) listeners.forEach((l) => l(ev));
    }
  }
}

let generation = 0;

async function loop(): Promise<void> {
  const gen = ++generation;
  let delay = 1000;
  for (;;) {
    if (gen !== generation) return; // a newer loop (token change) took over
    controller = new AbortController();
    const signal = controller.signal;
    setStatus('connecting');
    try {
      const ok = await connectOnce(signal);
      if (!ok) return; // unauthorized: wait for a token change
      delay = 1000;
    } catch {
      if (signal.aborted) return;
      setStatus('offline');
    }
    if (signal.aborted) return;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 15000);
  }
}

export function startLive(): void {
  if (started) return;
  started = true;
  void loop();
  onTokenChange(() => {
    controller?.abort();
    setTimeout(() => void loop(), 0);
  });
}
