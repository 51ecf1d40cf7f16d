// A loaded plugin and the VM model Envoy runs it with (cpp-host src/wasm.cc createWasm / canary /
// getOrCreateThreadLocalPlugin): a base VM that only starts the module; a canary VM that runs
// on_context_create(root) → on_vm_start → on_configure and is then dropped without on_done/on_delete
// (a false answer or a trap rejects the configuration); then one VM per simulated worker thread with
// the plugin's own root context going through the same three calls. Streams run on a worker's VM.
// Plugins with the same vm key share the base VM and the worker VMs (vm-group.ts); each still has its
// own canary (WasmHandleBase::canary clones the base VM per plugin) and its own root contexts.

import { LOG_LEVELS, type LogLevel } from './abi.js';
import type { CalloutRecord } from './callouts/record.js';
import { compileModule, LoadError, readWasm } from './loader.js';
import type { MetricSnapshot } from './metrics.js';
import type { HostServices, PluginCore } from './plugin-core.js';
import { propertyTree } from './properties.js';
import { RootContext } from './root.js';
import { HttpStream, type StreamOptions } from './stream.js';
import { TcpConnection, type TcpConnectionOptions } from './tcp-connection.js';
import { makeVmKey, VmGroup, type VmGroups } from './vm-group.js';
import { Vm } from './vm.js';

export interface PluginOptions {
  /** Path of the .wasm file, or its bytes. */
  wasm: string | Uint8Array;
  /** PluginConfig.configuration: a string/bytes as is, an object as JSON (Envoy serializes a Struct to JSON). */
  configuration?: string | Uint8Array | object;
  vmConfiguration?: string | Uint8Array;
  name?: string;
  rootId?: string;
  vmId?: string;
  /** Worker threads (default 1): on each, the plugin's root context lives in the VM of its vm key —
   *  shared with earlier plugins of the same vmId + vmConfiguration + code, as in Envoy. */
  workers?: number;
  /** FAIL_OPEN: after a VM failure new streams bypass the filter. Default false (FAIL_CLOSED: 503). */
  failOpen?: boolean;
  /** PluginConfig.allow_on_headers_stop_iteration (default false). */
  allowOnHeadersStopIteration?: boolean;
  /** Plugin-wide properties, e.g. { 'xds.listener_direction': 2, 'xds.node': { id, cluster, metadata } }. */
  properties?: Record<string, unknown>;
  /** VmConfig.environment_variables.key_values, visible through WASI environ_get. */
  environment?: Record<string, string>;
}

export interface LogEntry {
  level: LogLevel;
  message: string;
  worker: number | 'canary' | 'base';
  contextId: number;
}

export interface PluginHostLink extends HostServices {
  readonly vmGroups: VmGroups;
  emitLog(plugin: Plugin, entry: LogEntry): void;
  pluginClosed(plugin: Plugin): void;
}

const toBuffer = (v: string | Uint8Array | object | undefined): Buffer =>
  v === undefined
    ? Buffer.alloc(0)
    : typeof v === 'string'
      ? Buffer.from(v)
      : v instanceof Uint8Array
        ? Buffer.from(v)
        : Buffer.from(JSON.stringify(v));

export class Plugin implements PluginCore {
  readonly name: string;
  readonly rootId: string;
  readonly vmId: string;
  readonly vmConfiguration: Buffer;
  readonly configuration: Buffer;
  readonly failOpen: boolean;
  readonly allowOnHeadersStopIteration: boolean;
  readonly environment: Array<[string, string]>;
  readonly properties: Map<string, unknown>;
  /** The worker VMs this plugin runs in (possibly shared with other plugins), by worker index. */
  readonly workers: Vm[] = [];
  /** This plugin's root context in each worker VM, by worker index. */
  private readonly roots: RootContext[] = [];
  private group!: VmGroup;
  private readonly entries: LogEntry[] = [];
  private readonly records: CalloutRecord[] = [];
  private closed = false;

  private constructor(
    readonly host: PluginHostLink,
    opts: PluginOptions,
  ) {
    this.name = opts.name ?? 'shadowguard';
    this.rootId = opts.rootId ?? '';
    this.vmId = opts.vmId ?? '';
    this.vmConfiguration = toBuffer(opts.vmConfiguration);
    this.configuration = toBuffer(opts.configuration);
    this.failOpen = opts.failOpen ?? false;
    this.allowOnHeadersStopIteration = opts.allowOnHeadersStopIteration ?? false;
    this.environment = Object.entries(opts.environment ?? {});
    this.properties = propertyTree(opts.properties);
  }

  static async load(host: PluginHostLink, opts: PluginOptions): Promise<Plugin> {
    const plugin = new Plugin(host, opts);
    const workers = opts.workers ?? 1;
    if (!Number.isInteger(workers) || workers < 1)
      throw new LoadError(`workers must be a positive integer, got ${workers}`);
    const code = await readWasm(opts.wasm);
    const group = await plugin.baseVm(code);

    // cpp-host WasmHandleBase::canary: a fresh clone per plugin; the kill() right after configure
    // destroys it, and its root context with it (~Context cancels what it started, see callouts).
    const canary = new Vm(group.compiled, group.config, 'canary');
    canary.plugins.add(plugin);
    canary.start();
    const { root: canaryRoot, failure: why } = plugin.startRoot(canary);
    canaryRoot.teardown('cancelled'); // no on_done/on_delete; its callouts and timer go with it
    if (why) {
      host.vmGroups.release(group, plugin); // a group made for this plugin alone goes with it
      throw new LoadError(`Failed to configure Wasm plugin ${plugin.name}: ${why}`);
    }

    plugin.group = group;
    group.plugins.add(plugin);
    for (let i = 0; i < workers; i++) {
      const { vm, fresh } = group.worker(i, plugin);
      const { root, failure } = plugin.startRoot(vm);
      plugin.workers.push(vm);
      plugin.roots.push(root);
      if (failure === undefined) continue;
      // A worker that cannot start the plugin is unusable for it. A VM of its own fails with it (as
      // before sharing); in a shared VM only this plugin's root is marked, the others keep running
      // (getOrCreateThreadLocalPlugin returns no plugin handle; the thread-local VM is not failed).
      if (fresh && !vm.failed) vm.fail('start', new Error(failure));
      else if (!vm.failed) root.failure = failure;
    }
    return plugin;
  }

  /** createWasm: the group of this vm key, or a new one whose base VM only runs the start functions. */
  private async baseVm(code: Uint8Array): Promise<VmGroup> {
    const groups = this.host.vmGroups;
    const key = makeVmKey(this.vmId, this.vmConfiguration, code);
    const existing = groups.get(key);
    if (existing) return existing;
    const compiled = await compileModule(code);
    const raced = groups.get(key); // another load of the same key finished while this one compiled
    if (raced) return raced;
    const config = {
      host: this.host,
      vmId: this.vmId,
      vmConfiguration: this.vmConfiguration,
      environment: this.environment,
    };
    const base = new Vm(compiled, config, 'base');
    base.plugins.add(this);
    base.start();
    base.plugins.delete(this);
    if (base.failed) throw new LoadError(`Failed to start base Wasm VM: ${base.failure}`);
    const group = new VmGroup(key, compiled, config, base);
    groups.add(group);
    return group;
  }

  /** [start →] on_context_create(root, 0) → on_vm_start → on_configure (cpp-host WasmBase::start →
   *  ContextBase::onStart, then configure: every new root context gets on_vm_start, also in a VM that
   *  already runs other plugins). Returns why it failed, if it did. */
  private startRoot(vm: Vm): { root: RootContext; failure: string | undefined } {
    const root = new RootContext(vm, this);
    const fail = (failure: string | undefined) => ({ root, failure });
    if (vm.failed) return fail(vm.failure); // the start functions trapped: nothing more is called
    vm.callback('proxy_on_context_create', root, root.id, 0);
    const started = vm.callback('proxy_on_vm_start', root, root.id, vm.config.vmConfiguration.length);
    if (vm.failed) return fail(vm.failure);
    if (started.result === 0) return fail('proxy_on_vm_start returned false');
    root.configuring = true;
    const configured = vm.callback('proxy_on_configure', root, root.id, this.configuration.length);
    root.configuring = false;
    if (vm.failed) return fail(vm.failure);
    if (configured.result === 0) return fail('proxy_on_configure returned false');
    return fail(undefined);
  }

  /** Opens a stream on `worker`'s VM (an HTTP filter instance of this plugin). */
  newStream(opts: StreamOptions = {}): HttpStream {
    if (this.closed) throw new Error('plugin is closed');
    const worker = opts.worker ?? 0;
    const vm = this.workers[worker];
    if (!vm) throw new Error(`no worker ${worker} (plugin has ${this.workers.length})`);
    return new HttpStream(vm, this.roots[worker], this, worker, opts);
  }

  /** Opens a TCP connection on `worker`'s VM (a network filter instance of this plugin); call start(). */
  newConnection(opts: TcpConnectionOptions = {}): TcpConnection {
    if (this.closed) throw new Error('plugin is closed');
    const worker = opts.worker ?? 0;
    const vm = this.workers[worker];
    if (!vm) throw new Error(`no worker ${worker} (plugin has ${this.workers.length})`);
    return new TcpConnection(vm, this.roots[worker], this, opts);
  }

  /** Any worker VM failed (trapped — a shared VM fails for every plugin in it: Envoy's "VM is
   *  poisoned"), or the plugin could not start on a worker. */
  get failed(): boolean {
    return this.failures.length > 0;
  }
  get failures(): string[] {
    return this.workers.flatMap((w, i) =>
      w.failed ? [w.failure!] : this.roots[i].failure ? [this.roots[i].failure!] : [],
    );
  }

  /** Messages logged at `level` (or all levels), oldest first. */
  logs(level?: LogLevel): string[] {
    return this.entries.filter((e) => !level || e.level === level).map((e) => e.message);
  }
  logEntries(): LogEntry[] {
    return [...this.entries];
  }
  metric(name: string): number | undefined {
    return this.host.stats.value(name);
  }
  metrics(): Map<string, MetricSnapshot> {
    return this.host.stats.snapshot();
  }
  callouts(): CalloutRecord[] {
    return [...this.records];
  }

  /** Runs on_tick now on one worker's root context, or on every worker's. */
  tick(worker?: number): void {
    for (const [i, root] of this.roots.entries()) if (worker === undefined || worker === i) root.tick();
  }

  /** Polls `cond` until true (callouts, timers and queues complete asynchronously). */
  async waitFor(cond: () => boolean, timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`waitFor: condition not met within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Plugin removal (cpp-host WasmBase::startShutdown(plugin_key)): on_done on this plugin's root in
   *  each worker VM (on_delete now, or after proxy_done), then its outstanding callouts are cancelled
   *  and its timer stopped (Envoy ~Context). Other plugins in a shared VM are untouched; the VMs go
   *  with the last plugin of their vm key. */
  async close(graceMs = 1000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [i, vm] of this.workers.entries()) {
      const root = this.roots[i];
      if (!vm.failed && root.failure === undefined) {
        const done = vm.callback('proxy_on_done', root, root.id);
        if (done.result === 0 && !vm.failed) {
          vm.pendingDone.add(root.id);
          const deadline = Date.now() + graceMs;
          while (vm.pendingDone.has(root.id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
        } else {
          vm.callback('proxy_on_delete', root, root.id);
        }
      }
      root.teardown();
      this.host.queues.unregisterTarget(root.queueTarget);
      vm.plugins.delete(this);
    }
    if (this.group) this.host.vmGroups.release(this.group, this);
    this.host.pluginClosed(this);
  }

  // ---- PluginCore ----
  log(vm: Vm, level: number, message: string, contextId: number): void {
    if (level < this.host.logLevel) return; // below Envoy's wasm logger level: not emitted
    const entry: LogEntry = { level: LOG_LEVELS[level] ?? 'critical', message, worker: vm.label, contextId };
    this.entries.push(entry);
    this.host.emitLog(this, entry);
  }
  vmFailed(vm: Vm, reason: string): void {
    const entry: LogEntry = { level: 'critical', message: reason, worker: vm.label, contextId: 0 };
    this.entries.push(entry);
    this.host.emitLog(this, entry);
  }
  hostError(vm: Vm, err: unknown): void {
    const entry: LogEntry = {
      level: 'error',
      message: `host error: ${err instanceof Error ? err.stack : String(err)}`,
      worker: vm.label,
      contextId: 0,
    };
    this.entries.push(entry);
    this.host.emitLog(this, entry);
  }
  recordCallout(record: CalloutRecord): void {
    this.records.push(record);
  }
}
