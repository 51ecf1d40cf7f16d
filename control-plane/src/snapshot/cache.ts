// Snapshot cache: which configuration each connected node should run, and who must be told.
//
// The go-control-plane split (pkg/cache/v3): this file decides *what* a node gets and knows nothing
// of gRPC; stream/ decides *how* it gets there and never chooses config. They meet at watch().
// A watch is a record (node identity + push callback + last version the node is known to have);
// the cache pushes to it only when the node's snapshot version differs from that, so re-applying
// the same policies is silent and a node reconnecting with the current version is not re-sent it.
//
// Coverage: a policy covers the services listed in spec.services. When two policies list the same
// service the first by name wins (deterministic on every replica) and a warning is logged.
// Snapshots are immutable values, built once per (policy, role, variant, service) per setPolicies.
//
// The sampling cap (control-plane/src/ramp) is asked per policy at build time, so a policy written
// with a ramp is never pushed uncapped, even for a moment; it changes only edge documents.
import type { Logger } from 'pino';
import type { NodeHello, Policy } from '../domain/types.js';
import { buildSnapshot, type NodeIdentity, type Snapshot } from './build.js';

/**
 * What the stream needs from the cache (go-control-plane's ConfigWatcher): the snapshot a node should
 * run, and a watch that pushes it now and on every change. The stream depends on this, not on the class.
 */
export interface ConfigWatcher {
  snapshotFor(hello: NodeIdentity): Snapshot;
  /** Pushes the current snapshot at once unless hello.configVersion already equals it; returns unwatch (idempotent). */
  watch(hello: NodeHello, push: (snap: Snapshot) => void): () => void;
}

interface Watch {
  readonly hello: NodeHello;
  readonly push: (snap: Snapshot) => void;
  /** version the node is known to have: its Hello's config_version, then every version pushed */
  lastVersion: string;
}

export class SnapshotCache implements ConfigWatcher {
  private readonly logger?: Logger;
  private readonly watches = new Set<Watch>();
  private byService = new Map<string, Policy>();
  private built = new Map<string, Snapshot>();
  private capFor?: (policy: Policy) => number | undefined;

  constructor(
    opts: { logger?: Logger; policies?: Policy[]; samplingCap?: (policy: Policy) => number | undefined } = {},
  ) {
    this.logger = opts.logger;
    this.capFor = opts.samplingCap;
    if (opts.policies) this.setPolicies(opts.policies);
  }

  setSamplingCap(capFor: (policy: Policy) => number | undefined): void {
    this.capFor = capFor;
    this.refresh();
  }

  /** Rebuilds every snapshot (a cap moved) and pushes those whose version changed. */
  refresh(): void {
    this.built = new Map();
    this.pushAll();
  }

  setPolicies(policies: Policy[]): void {
    const byService = new Map<string, Policy>();
    for (const p of [...policies].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      for (const service of p.spec.services) {
        const owner = byService.get(service);
        if (owner) {
          this.logger?.warn(
            { service, applied: owner.name, ignored: p.name },
            'service is covered by two policies; the first by name applies',
          );
          continue;
        }
        byService.set(service, p);
      }
    }
    this.byService = byService;
    this.refresh();
  }

  private pushAll(): void {
    for (const w of this.watches) {
      let snap: Snapshot;
      try {
        snap = this.snapshotFor(w.hello);
      } catch (err) {
        // A document that fails the schema is a bug upstream; that node keeps its last config and
        // every other node still gets its update.
        this.logger?.error({ err, node: w.hello.nodeId, service: w.hello.service }, 'cannot build snapshot');
        continue;
      }
      this.deliver(w, snap);
    }
  }

  policyFor(service: string): Policy | undefined {
    return this.byService.get(service);
  }

  snapshotFor(hello: NodeIdentity): Snapshot {
    const policy = this.byService.get(hello.service);
    const cap = policy && hello.role === 'edge' ? this.capFor?.(policy) : undefined;
    const key = `${policy?.name ?? ''}\u0000${hello.role}\u0000${hello.variant ?? ''}\u0000${hello.service}\u0000${cap ?? ''}`;
    let snap = this.built.get(key);
    if (!snap) {
      snap = buildSnapshot(policy?.spec, hello, policy?.name, cap === undefined ? {} : { samplingCap: cap });
      this.built.set(key, snap);
    }
    return snap;
  }

  watch(hello: NodeHello, push: (snap: Snapshot) => void): () => void {
    const snap = this.snapshotFor(hello); // throws before registering anything if it cannot build
    const w: Watch = { hello, push, lastVersion: hello.configVersion };
    this.watches.add(w);
    this.deliver(w, snap);
    return () => {
      this.watches.delete(w);
    };
  }

  watchCount(): number {
    return this.watches.size;
  }

  private deliver(w: Watch, snap: Snapshot): void {
    if (snap.version === w.lastVersion) return;
    w.lastVersion = snap.version;
    try {
      w.push(snap);
    } catch (err) {
      this.logger?.error({ err, node: w.hello.nodeId }, 'snapshot push callback failed');
    }
  }
}
