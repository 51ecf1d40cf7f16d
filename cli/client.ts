// The CLI's HTTP client of the REST API (/api/v1): server and token from flags or the environment
// (SHADOWGUARD_SERVER, SHADOWGUARD_TOKEN), JSON in and out, and one error type that carries the
// HTTP status and the API's own message, so every command fails the same way (exit code 1).

export class CliError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface Answer<T> {
  status: number;
  body: T;
  headers: Headers;
}

export class ApiClient {
  constructor(
    readonly server: string,
    private readonly token: string | undefined,
    private readonly timeoutMs = 30_000,
  ) {}

  async call<T = unknown>(
    method: string,
    path: string,
    opts: { body?: unknown; headers?: Record<string, string>; allow?: number[] } = {},
  ): Promise<Answer<T>> {
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (opts.body !== undefined) headers['content-type'] ??= 'application/json';
    let res: Response;
    const url = `${this.server.replace(/\/+$/, '')}/api/v1${path}`;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new CliError(
        `cannot reach the control plane at ${this.server} (${cause}); set --server or SHADOWGUARD_SERVER`,
      );
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    if (!res.ok && !(opts.allow ?? []).includes(res.status)) {
      const msg = (body as { message?: string } | undefined)?.message ?? res.statusText;
      const hint =
        res.status === 401
          ? ' (set --token or SHADOWGUARD_TOKEN)'
          : res.status === 403
            ? ' (this needs an editor token)'
            : '';
      throw new CliError(`${method} ${path}: ${res.status} ${msg}${hint}`, res.status);
    }
    return { status: res.status, body: body as T, headers: res.headers };
  }
}

export const enc = encodeURIComponent;
