// A tiny history router: the path is the state (deep links work, the server's SPA fallback serves
// index.html for them). useRoute() re-renders on navigation; <a href> clicks inside the app are
// intercepted by main.tsx and become navigate().

import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();

export function navigate(to: string, replace = false): void {
  if (to === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  listeners.forEach((l) => l());
  window.scrollTo(0, 0);
}

window.addEventListener('popstate', () => listeners.forEach((l) => l()));

export function useRoute(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const l = () => setPath(location.pathname);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return path;
}

export type Route =
  | { page: 'policies' }
  | { page: 'policy'; policy: string }
  | { page: 'reports'; policy: string }
  | { page: 'endpoint'; policy: string; endpoint: string }
  | { page: 'blast'; policy: string }
  | { page: 'alerts' }
  | { page: 'nodes' }
  | { page: 'missing'; path: string };

export function match(path: string): Route {
  const parts = path
    .split('/')
    .filter(Boolean)
    .map((p) => decodeURIComponent(p));
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'policies')) return { page: 'policies' };
  if (parts.length === 1 && parts[0] === 'alerts') return { page: 'alerts' };
  if (parts.length === 1 && parts[0] === 'nodes') return { page: 'nodes' };
  if (parts[0] === 'policies' && parts[1]) {
    const policy = parts[1];
    if (parts.length === 2) return { page: 'policy', policy };
    if (parts[2] === 'reports' && parts.length === 3) return { page: 'reports', policy };
    if (parts[2] === 'reports' && parts.length === 4) return { page: 'endpoint', policy, endpoint: parts[3] };
    if (parts[2] === 'blast-radius' && parts.length === 3) return { page: 'blast', policy };
  }
  return { page: 'missing', path };
}

export const paths = {
  policy: (p: string) => `/policies/${encodeURIComponent(p)}`,
  reports: (p: string) => `/policies/${encodeURIComponent(p)}/reports`,
  endpoint: (p: string, e: string) => `/policies/${encodeURIComponent(p)}/reports/${encodeURIComponent(e)}`,
  blast: (p: string) => `/policies/${encodeURIComponent(p)}/blast-radius`,
};
