// The dashboard's event feed: what changed, for GET /api/v1/events (routes/events.ts). Policy writes
// and new alerts are published at once (rare, and an operator waits for them); report, blast-radius
// and node changes happen on every pair and are coalesced into one 'update' event at most once per
// throttle period (default 1 s), naming what changed, so a busy mesh never floods a browser. Events
// say WHAT changed, never carry the data: clients re-read the REST API (one source of truth, and
// nothing here needs to know a payload's shape or who may see it).

export interface UpdateEvent {
  reports: string[];
  blast: string[];
  nodes: boolean;
}
export type BusEvent =
  | { type: 'policy'; data: unknown }
  | { type: 'alert'; data: unknown }
  | { type: 'update'; data: UpdateEvent };

export class EventBus {
  private readonly listeners = new Set<(e: BusEvent) => void>();
  private readonly throttleMs: number;
  private readonly dirty = { reports: new Set<string>(), blast: new Set<string>(), nodes: false };
  private timer: NodeJS.Timeout | undefined;
  private lastFlush = 0;

  constructor(opts: { throttleMs?: number } = {}) {
    this.throttleMs = opts.throttleMs ?? 1000;
  }

  subscribe(listener: (e: BusEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  subscribers(): number {
    return this.listeners.size;
  }

  publish(type: 'policy' | 'alert', data: unknown): void {
    this.emit({ type, data } as BusEvent);
  }

  changed(kind: 'reports' | 'blast', policy: string): void {
    if (this.listeners.size === 0) return this.reset(); // called on every pair: no Set work for nobody
    this.dirty[kind].add(policy);
    this.schedule();
  }

  nodesChanged(): void {
    this.dirty.nodes = true;
    this.schedule();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  private schedule(): void {
    if (this.timer || this.listeners.size === 0) {
      // Nobody listening: forget the change, a client that connects later reads the API anyway.
      if (this.listeners.size === 0) this.reset();
      return;
    }
    const wait = Math.max(0, this.lastFlush + this.throttleMs - Date.now());
    this.timer = setTimeout(() => this.flush(), wait);
    this.timer.unref();
  }

  private flush(): void {
    this.timer = undefined;
    this.lastFlush = Date.now();
    const data: UpdateEvent = {
      reports: [...this.dirty.reports].sort(),
      blast: [...this.dirty.blast].sort(),
      nodes: this.dirty.nodes,
    };
    this.reset();
    this.emit({ type: 'update', data });
  }

  private reset(): void {
    // Set.clear() allocates a fresh table even when empty: skip it when nothing is dirty.
    if (this.dirty.reports.size === 0 && this.dirty.blast.size === 0 && !this.dirty.nodes) return;
    this.dirty.reports.clear();
    this.dirty.blast.clear();
    this.dirty.nodes = false;
  }

  private emit(e: BusEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch {
        // a broken subscriber (closed socket) must not stop the others; routes/events.ts unsubscribes it
      }
    }
  }
}
