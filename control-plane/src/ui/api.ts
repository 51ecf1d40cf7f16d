// The dashboard's door to the REST API: the bearer token (kept in sessionStorage, so it leaves with
// the tab), JSON fetches that turn an error document into an ApiError, and the caller's role.
// Every page reads through here; nothing else touches fetch except events.ts.

const TOKEN_KEY = 'shadowguard.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function getToken(): string {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

export function setToken(token: string): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  tokenListeners.forEach((l) => l());
}

const tokenListeners = new Set<() => void>();
export function onTokenChange(l: () => void): () => void {
  tokenListeners.add(l);
  return () => {
    tokenListeners.delete(l);
  };
}

export function authHeaders(): Record<string, string> {
  const t = getToken();
  return t ? { authorization: `Bearer ${t}` } : {};
}

export async function api<T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const { json, ...rest } = init;
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...authHeaders(),
    ...(rest.headers as Record<string, string> | undefined),
  };
  if (json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/api/v1${path}`, {
    ...rest,
    headers,
    body: json !== undefined ? JSON.stringify(json) : rest.body,
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const msg = (body as { message?: string } | undefined)?.message ?? `${res.status} ${res.statusText}`;
    throw new ApiError(res.status, msg);
  }
  return body as T;
}

export interface Whoami {
  name: string;
  role: 'viewer' | 'editor';
  authDisabled: boolean;
}

export const enc = encodeURIComponent;
