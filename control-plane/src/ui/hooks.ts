// Data hooks: useApi loads one API resource and reloads it when a live event says it changed
// (refreshOn) — no polling while the event stream is up; a slow 15 s refresh covers a dropped stream.
// useWhoami follows the token.

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, type ApiError, onTokenChange, type Whoami } from './api';
import { subscribe, type LiveEvent } from './events';

export interface Loaded<T> {
  data?: T;
  error?: ApiError | Error;
  loading: boolean;
  reload: () => void;
}

export function useApi<T>(path: string | undefined, refreshOn?: (e: LiveEvent) => boolean): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError | Error; loading: boolean }>({ loading: true });
  const seq = useRef(0);
  const filter = useRef(refreshOn);
  filter.current = refreshOn;
  const load = useCallback(() => {
    if (!path) return;
    const n = ++seq.current;
    api<T>(path).then(
      (data) => {
        if (n === seq.current) setState({ data, loading: false });
      },
      (error: Error) => {
        if (n === seq.current) setState((s) => ({ data: s.data, error, loading: false }));
      },
    );
  }, [path]);
  useEffect(() => {
    setState({ loading: true });
    load();
    const offEvents = subscribe((e) => {
      if (filter.current?.(e)) load();
    });
    const offToken = onTokenChange(load);
    const timer = setInterval(load, 15000);
    return () => {
      offEvents();
      offToken();
      clearInterval(timer);
      seq.current++;
    };
  }, [load]);
  return { ...state, reload: load };
}

export function useWhoami(): Whoami | undefined {
  const { data } = useApi<Whoami>('/whoami');
  return data;
}

/** Live event filters. */
export const on = {
  reports: (policy: string) => (e: LiveEvent) => e.type === 'update' && (e.data.reports as string[]).includes(policy),
  blast: (policy: string) => (e: LiveEvent) => e.type === 'update' && (e.data.blast as string[]).includes(policy),
  nodes: (e: LiveEvent) => e.type === 'update' && e.data.nodes === true,
  policy: (e: LiveEvent) => e.type === 'policy',
  alert: (e: LiveEvent) => e.type === 'alert',
  any:
    (...fs: Array<(e: LiveEvent) => boolean>) =>
    (e: LiveEvent) =>
      fs.some((f) => f(e)),
};
