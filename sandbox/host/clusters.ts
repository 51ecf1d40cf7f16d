// The cluster table callouts resolve against (Envoy's ClusterManager for the sandbox): a cluster name
// maps to one real endpoint, spoken to over HTTP/1.1 or HTTP/2. HTTP/2 sessions are pooled per
// cluster and re-dialled after they close; everything is torn down by close().

import http from 'node:http';
import http2 from 'node:http2';

export interface ClusterSpec {
  host: string;
  port: number;
  /** Speak HTTP/2 (prior knowledge, h2c). Callouts, gRPC included, use the cluster's protocol, as in Envoy. */
  http2?: boolean;
}

export class Clusters {
  private readonly table = new Map<string, ClusterSpec>();
  private readonly sessions = new Map<string, http2.ClientHttp2Session>();
  private readonly agent = new http.Agent({ keepAlive: true });
  private closed = false;

  constructor(clusters: Record<string, ClusterSpec> = {}) {
    for (const [name, spec] of Object.entries(clusters)) this.set(name, spec);
  }

  set(name: string, spec: ClusterSpec): void {
    if (!spec || typeof spec.host !== 'string' || !Number.isInteger(spec.port)) {
      throw new Error(`cluster ${name}: expected { host: string, port: integer, http2?: boolean }`);
    }
    this.table.set(name, { ...spec });
    this.sessions.get(name)?.close();
    this.sessions.delete(name);
  }
  get(name: string): ClusterSpec | undefined {
    return this.table.get(name);
  }
  has(name: string): boolean {
    return this.table.has(name);
  }
  get httpAgent(): http.Agent {
    return this.agent;
  }

  /** A live HTTP/2 session to `name`, dialled on first use. */
  session(name: string): http2.ClientHttp2Session {
    const spec = this.table.get(name);
    if (!spec) throw new Error(`unknown cluster ${name}`);
    if (this.closed) throw new Error('host is closed');
    let s = this.sessions.get(name);
    if (s && !s.closed && !s.destroyed) return s;
    s = http2.connect(`http://${spec.host}:${spec.port}`);
    s.on('error', () => {
      /* reported to each stream through its own 'error'/'close' */
    });
    const session = s;
    session.on('close', () => {
      if (this.sessions.get(name) === session) this.sessions.delete(name);
    });
    // Sessions must not keep the process alive once no stream is open (the tests' and mesh's exit).
    session.unref();
    this.sessions.set(name, session);
    return session;
  }

  close(): void {
    this.closed = true;
    for (const s of this.sessions.values()) s.destroy();
    this.sessions.clear();
    this.agent.destroy();
  }
}
