// Node registry: the live, read-mostly view of every filter VM that has connected.
//
// A node is one filter VM's stream, keyed by nodeId + plugin + worker (nodeKey). One Envoy (one
// node id) runs several Shadowguard plugins — edge, inbound, egress — and a plugin's `worker` is only
// unique among the VMs sharing its vm_id, so the plugin name is part of the key: without it, two
// plugins' streams would share (and overwrite) one entry, config ack state and counters included.
// The stream layer writes (connect, counters, config responses, Stats, disconnect); the API and
// dashboard read list()/get().
// Entries survive disconnection (connected: false, disconnectedAt) so an operator sees a node that
// went away; prune() forgets old ones. Each connection writes through its own handle, so a stale stream
// closing after its node already reconnected does not touch the fresh connection (NodeHandle).
// Config state transitions are the pure functions of snapshot/ack.ts.
import type { FilterStats, NodeHello } from '../domain/types.js';
import {
  applyResponse,
  applySent,
  initialConfigState,
  type ConfigResponse,
  type ConfigState,
} from '../snapshot/ack.js';

// '%', '/' and '#' inside the names are percent-encoded, so distinct triples never share a key
// (node ids like 'sidecar~10.0.0.1~pod.ns~ns.svc.cluster.local' read as they are).
const keyPart = (s: string): string => s.replace(/[%/#]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The one place registry keys are built: '<nodeId>/<plugin>#<worker>' (plugin '' from older filters). */
export function nodeKey(hello: Pick<NodeHello, 'nodeId' | 'plugin' | 'worker'>): string {
  // `?? ''`: a hand-built NodeHello (tests, tools) may omit plugin; the codec always sets it.
  return `${keyPart(hello.nodeId)}/${keyPart(hello.plugin ?? '')}#${hello.worker}`;
}

export interface NodeStatus {
  key: string;
  nodeId: string;
  /** the Envoy filter config / Istio WasmPlugin name ('' from filters that predate Hello.plugin) */
  plugin: string;
  workload: string;
  service: string;
  role: NodeHello['role'];
  variant?: NodeHello['variant'];
  worker: number;
  filterVersion: string;
  peer?: string;
  connected: boolean;
  connectedAt: number;
  disconnectedAt?: number;
  lastSeen: number;
  config: ConfigState;
  halvesReceived: number;
  eventsReceived: number;
  /** numbered halves/events received again (resent after a reconnect) and dropped (stream/delivery.ts) */
  duplicates: number;
  /** messages that were not valid protobuf / out of contract, skipped */
  malformed: number;
  /** the malformed messages by reason: 'malformed', 'invalid', 'too-long', 'oversized' (codec.ts) */
  malformedReasons: Record<string, number>;
  /** last Stats the filter sent (cumulative since its VM started) */
  stats?: FilterStats;
  /** halvesDropped + eventsDropped from the last Stats */
  dropsReported: number;
}

/**
 * Write access to one connection's entry, returned by connect(). A handle keeps writing to the entry
 * of its own connection: once the node reconnected, a stale stream's late updates and its
 * disconnect() no longer touch the fresh entry.
 */
export interface NodeHandle {
  readonly key: string;
  sent(version: string): void;
  applyResponse(response: ConfigResponse): void;
  countHalf(): void;
  countEvent(): void;
  countDuplicate(): void;
  countMalformed(reason?: string): void;
  reportStats(stats: FilterStats): void;
  disconnect(): void;
}

export class NodeRegistry {
  private readonly nodes = new Map<string, NodeStatus>();
  private readonly now: () => number;
  private readonly maxNodes: number;

  /** maxNodes defaults to 10,000; list() and get() return copies, list() sorted by key. */
  constructor(opts: { now?: () => number; maxNodes?: number } = {}) {
    this.now = opts.now ?? Date.now;
    this.maxNodes = opts.maxNodes ?? 10_000;
  }

  connect(hello: NodeHello, peer?: string): NodeHandle {
    const key = nodeKey(hello);
    const at = this.now();
    // Counters restart with each connection: they describe this stream, as Stats does for the VM.
    const s: NodeStatus = {
      key,
      nodeId: hello.nodeId,
      plugin: hello.plugin ?? '',
      workload: hello.workload,
      service: hello.service,
      role: hello.role,
      worker: hello.worker,
      filterVersion: hello.filterVersion,
      connected: true,
      connectedAt: at,
      lastSeen: at,
      config: initialConfigState(hello.configVersion),
      halvesReceived: 0,
      eventsReceived: 0,
      duplicates: 0,
      malformed: 0,
      malformedReasons: {},
      dropsReported: 0,
    };
    if (hello.variant) s.variant = hello.variant;
    if (peer) s.peer = peer;
    this.nodes.delete(key); // re-insert: Map order then tracks recency for eviction
    this.nodes.set(key, s);
    this.evict();

    const update = (fn: () => void) => {
      fn();
      s.lastSeen = this.now();
    };
    return {
      key,
      sent: (version) =>
        update(() => {
          s.config = applySent(s.config, version);
        }),
      applyResponse: (r) =>
        update(() => {
          s.config = applyResponse(s.config, r, this.now());
        }),
      countHalf: () =>
        update(() => {
          s.halvesReceived++;
        }),
      countEvent: () =>
        update(() => {
          s.eventsReceived++;
        }),
      countDuplicate: () =>
        update(() => {
          s.duplicates++;
        }),
      countMalformed: (reason = 'malformed') =>
        update(() => {
          s.malformed++;
          s.malformedReasons[reason] = (s.malformedReasons[reason] ?? 0) + 1;
        }),
      reportStats: (stats) =>
        update(() => {
          s.stats = { ...stats };
          s.dropsReported = stats.halvesDropped + stats.eventsDropped;
        }),
      disconnect: () => {
        if (!s.connected) return;
        s.connected = false;
        s.disconnectedAt = this.now();
      },
    };
  }

  get(key: string): NodeStatus | undefined {
    const s = this.nodes.get(key);
    return s ? copy(s) : undefined;
  }

  list(): NodeStatus[] {
    return [...this.nodes.values()].map(copy).sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  prune(maxAgeMs: number): number {
    const cutoff = this.now() - maxAgeMs;
    let n = 0;
    for (const [key, s] of this.nodes) {
      if (!s.connected && (s.disconnectedAt ?? 0) <= cutoff) {
        this.nodes.delete(key);
        n++;
      }
    }
    return n;
  }

  /** Bounded: past maxNodes, the oldest disconnected entries go first, then the oldest at all. */
  private evict(): void {
    if (this.nodes.size <= this.maxNodes) return;
    for (const [key, s] of this.nodes) {
      if (this.nodes.size <= this.maxNodes) return;
      if (!s.connected) this.nodes.delete(key);
    }
    for (const key of this.nodes.keys()) {
      if (this.nodes.size <= this.maxNodes) return;
      this.nodes.delete(key);
    }
  }
}

function copy(s: NodeStatus): NodeStatus {
  return { ...s, config: { ...s.config }, ...(s.stats ? { stats: { ...s.stats } } : {}) };
}
