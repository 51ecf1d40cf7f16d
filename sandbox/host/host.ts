// The process-wide part of the emulated Envoy: the cluster table callouts use, shared data and queues
// (keyed by vm_id, shared by every plugin and VM), the stats store, the wasm log level, the VMs by vm
// key (shared by plugins with the same vm_id + vm configuration + code), and the plugins loaded into
// it. No globals: every Host is its own Envoy.

import { LOG_LEVELS, type LogLevel } from './abi.js';
import { Clusters, type ClusterSpec } from './clusters.js';
import { Stats } from './metrics.js';
import { Plugin, type LogEntry, type PluginHostLink, type PluginOptions } from './plugin.js';
import { SharedData, SharedQueues } from './shared.js';
import { VmGroups } from './vm-group.js';

export interface HostOptions {
  /** Cluster name → endpoint, e.g. { shadowguard_control_plane: { host: '127.0.0.1', port, http2: true } }. */
  clusters?: Record<string, ClusterSpec>;
  /** Envoy's wasm log level; messages below it are dropped (default 'trace': keep everything). */
  logLevel?: LogLevel;
  /** Called for every log line a plugin emits (e.g. to print them while debugging). */
  onLog?: (entry: LogEntry & { plugin: string }) => void;
}

export class Host implements PluginHostLink {
  readonly sharedData = new SharedData();
  readonly queues = new SharedQueues();
  readonly stats = new Stats();
  /** VMs by vm key: plugins of the same vm_id + vm configuration + code share them (vm-group.ts). */
  readonly vmGroups = new VmGroups();
  readonly clusters: Clusters;
  readonly logLevel: number;
  private readonly plugins = new Set<Plugin>();
  private readonly onLog?: HostOptions['onLog'];

  constructor(opts: HostOptions = {}) {
    this.clusters = new Clusters(opts.clusters);
    const level = LOG_LEVELS.indexOf(opts.logLevel ?? 'trace');
    if (level < 0) throw new Error(`unknown log level ${opts.logLevel}; expected one of ${LOG_LEVELS.join(', ')}`);
    this.logLevel = level;
    this.onLog = opts.onLog;
  }

  /** Loads a plugin: rejects (Error with Envoy's reason) on a bad module, ABI mismatch or rejected config. */
  async loadPlugin(opts: PluginOptions): Promise<Plugin> {
    const plugin = await Plugin.load(this, opts);
    this.plugins.add(plugin);
    return plugin;
  }

  addCluster(name: string, spec: ClusterSpec): void {
    this.clusters.set(name, spec);
  }

  async close(): Promise<void> {
    for (const p of [...this.plugins]) await p.close(0);
    this.queues.close();
    this.clusters.close();
  }

  // ---- PluginHostLink ----
  emitLog(plugin: Plugin, entry: LogEntry): void {
    this.onLog?.({ ...entry, plugin: plugin.name });
  }
  pluginClosed(plugin: Plugin): void {
    this.plugins.delete(plugin);
    // Shared data for a vm_id goes with the last VM using that vm_id (cpp-host VmIdHandle).
    if (![...this.plugins].some((p) => p.vmId === plugin.vmId)) this.sharedData.dropVmId(plugin.vmId);
  }
}
