// A thin client of the control plane's REST API (/api/v1) for the demo and the end-to-end tests:
// seed a policy, read reports, one endpoint's detail, the blast-radius map, alerts and nodes. Errors
// carry the status and the API's message.

import type { PolicySpec } from '../../control-plane/src/domain/types.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** One endpoint's summary as the API lists it; only the fields the demo reads are typed. */
export interface EndpointSummary {
  endpoint: string;
  pairs: number;
  mismatchRate: number;
  [k: string]: unknown;
}

export class ControlPlaneClient {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.baseUrl}/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    if (!res.ok) {
      const msg = (json as { message?: string } | undefined)?.message ?? text;
      throw new ApiError(res.status, `${method} ${path} → ${res.status}: ${msg}`);
    }
    return json as T;
  }

  putPolicy(name: string, spec: PolicySpec): Promise<{ name: string; version: number }> {
    return this.request('PUT', `/policies/${encodeURIComponent(name)}`, spec);
  }

  getPolicy(name: string): Promise<{ name: string; version: number; spec: PolicySpec }> {
    return this.request('GET', `/policies/${encodeURIComponent(name)}`);
  }

  async reports(policy: string): Promise<EndpointSummary[]> {
    try {
      return (await this.request<{ endpoints: EndpointSummary[] }>('GET', `/reports/${encodeURIComponent(policy)}`))
        .endpoints;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return [];
      throw err;
    }
  }

  async endpoint(policy: string, endpoint: string): Promise<Record<string, unknown> | undefined> {
    try {
      const r = await this.request<{ report: Record<string, unknown> }>(
        'GET',
        `/reports/${encodeURIComponent(policy)}/endpoints/${encodeURIComponent(endpoint)}`,
      );
      return r.report;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  async blastRadius(policy: string): Promise<BlastMap> {
    return (await this.request<{ map: BlastMap }>('GET', `/blast-radius/${encodeURIComponent(policy)}`)).map;
  }

  async alerts(
    policy?: string,
  ): Promise<Array<{ endpoint: string; rate: number; pairs: number; message: string; policy: string }>> {
    const q = policy ? `?policy=${encodeURIComponent(policy)}` : '';
    return (
      await this.request<{
        alerts: Array<{ endpoint: string; rate: number; pairs: number; message: string; policy: string }>;
      }>('GET', `/alerts${q}`)
    ).alerts;
  }

  async nodes(): Promise<Array<Record<string, unknown>>> {
    return (await this.request<{ nodes: Array<Record<string, unknown>> }>('GET', '/nodes')).nodes;
  }
}

export interface BlastMap {
  flagged: number;
  services: Array<{
    service: string;
    total: number;
    destinations: Array<{
      destination: string;
      total: number;
      decisions: Record<'allowed' | 'mocked' | 'denied' | 'rate_limited', number>;
      variants: Record<string, number>;
      peakAllowedPerSecond: number;
      capacity?: number;
      flagged: boolean;
      routes: Array<{ route: string; total: number; decisions: Record<string, number> }>;
    }>;
  }>;
}

/** Polls `probe` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
