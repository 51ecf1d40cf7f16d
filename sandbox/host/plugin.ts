// A loaded plugin and the VM model Envoy runs it with (cpp-host src/wasm.cc createWasm / canary /
// getOrCreateThreadLocalPlugin): a base VM that only starts the module; a canary VM that runs
// on_context_create(root) → on_vm_start → on_configure and is then dropped without on_done/on_delete
// (a false answer or a trap rejects the configuration); then one VM per simulated worker thread with
// its own root context going through the same three calls. Streams run on a worker's VM.

import { LOG_LEVELS, type LogLevel } from './abi.js';
import type { CalloutRecord } from './callouts/record.js';
import { compileModule, LoadError, readWasm } from './loader.js';
import type { MetricSnapshot } from './metrics.js';
import type { HostServices, PluginCore } from './plugin-core.js';
import { propertyTree } from './properties.js';
import { RootContext } from './root.js';
import { HttpStream, type StreamOptions } from './stream.js';
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
  /** Worker threads, each with its own VM and root context (default 1). */
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

export interface LogEntry { level: LogLevel; message: string; worker: number | 'canary' | 'base'; contextId: number }

export interface PluginHostLink extends HostServices {
  emitLog(plugin: Plugin, entry: LogEntry): void;
  pluginClosed(plugin: Plugin): void;
}

const toBuffer = (v: string | Uint8Array | object | undefined): Buffer =>
  v === undefined ? Buffer.alloc(0) : typeof v === 'string' ? Buffer.from(v) : v instanceof Uint8Array ? Buffer.from(v) : Buffer.from(JSON.stringify(v));

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
  readonly workers: Vm[] = [];
  private readonly entries: LogEntry[] = [];
  private readonly records: CalloutRecord[] = [];
  private closed = false;

  private constructor(readonly host: PluginHostLink, opts: PluginOptions) {
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
    const compiled = await compileModule(await readWasm(opts.wasm));
    const workers = opts.workers ?? 1;
    if (!Number.isInteger(workers) || workers < 1) throw new LoadError(`workers must be a positive integer, got ${workers}`);

    const base = new Vm(compiled, plugin, 'base');
    base.start();
    if (base.failed) throw new LoadError(`Failed to start base Wasm VM: ${base.failure}`);

    const canary = new Vm(compiled, plugin, 'canary');
    const why = plugin.startRoot(canary);
    canary.root?.teardown('cancelled'); // dropped without on_done/on_delete; its callouts and timer go with it
    if (why) throw new LoadError(`Failed to configure Wasm plugin ${plugin.name}: ${why}`);

    for (let i = 0; i < workers; i++) {
      const vm = new Vm(compiled, plugin, i);
      const failure = plugin.startRoot(vm);
      if (failure && !vm.failed) vm.fail('start', new Error(failure)); // a worker that cannot configure is unusable
      plugin.workers.push(vm);
    }
    return plugin;
  }

  /** start → on_context_create(root, 0) → on_vm_start → on_configure; returns why it failed, if it did. */
  private startRoot(vm: Vm): string | undefined {
    vm.start();
    if (vm.failed) return vm.failure;
    const root = new RootContext(vm);
    vm.callback('proxy_on_context_create', root, root.id, 0);
    const started = vm.callback('proxy_on_vm_start', root, root.id, this.vmConfiguration.length);
    if (vm.failed) return vm.failure;
    if (started.result === 0) return 'proxy_on_vm_start returned false';
    root.configuring = true;
    const configured = vm.callback('proxy_on_configure', root, root.id, this.configuration.length);
    root.configuring = false;
    if (vm.failed) return vm.failure;
    if (configured.result === 0) return 'proxy_on_configure returned false';
    return undefined;
  }

  /** Opens a stream on `worker`'s VM (an HTTP filter instance of this plugin). */
  newStream(opts: StreamOptions = {}): HttpStream {
    if (this.closed) throw new Error('plugin is closed');
    const worker = opts.worker ?? 0;
    const vm = this.workers[worker];
    if (!vm) throw new Error(`no worker ${worker} (plugin has ${this.workers.length})`);
    return new HttpStream(vm, this, worker, opts);
  }

  /** Any worker VM failed (trapped): Envoy's "VM is poisoned". */
  get failed(): boolean { return this.workers.some((w) => w.failed); }
  get failures(): string[] { return this.workers.filter((w) => w.failed).map((w) => w.failure!); }

  /** Messages logged at `level` (or all levels), oldest first. */
  logs(level?: LogLevel): string[] { return this.entries.filter((e) => !level || e.level === level).map((e) => e.message); }
  logEntries(): LogEntry[] { return [...this.entries]; }
  metric(name: string): number | undefined { return this.host.stats.value(name); }
  metrics(): Map<string, MetricSnapshot> { return this.host.stats.snapshot(); }
  callouts(): CalloutRecord[] { return [...this.records]; }

  /** Runs on_tick now on one worker's root context, or on every worker's. */
  tick(worker?: number): void {
    for (const [i, vm] of this.workers.entries()) if (worker === undefined || worker === i) vm.root?.tick();
  }

  /** Polls `cond` until true (callouts, timers and queues complete asynchronously). */
  async waitFor(cond: () => boolean, timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`waitFor: condition not met within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Plugin removal: on_done on each root (on_delete now, or after proxy_done), then outstanding callouts
   *  are cancelled and timers stopped (Envoy ~Context). */
  async close(graceMs = 1000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const vm of this.workers) {
      const root = vm.root;
      if (!root || vm.failed) { root?.teardown(); continue; }
      const done = vm.callback('proxy_on_done', root, root.id);
      if (done.result === 0 && !vm.failed) {
        vm.pendingDone.add(root.id);
        const deadline = Date.now() + graceMs;
        while (vm.pendingDone.has(root.id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      } else {
        vm.callback('proxy_on_delete', root, root.id);
      }
      root.teardown();
      this.host.queues.unregisterTarget(vm.queueTarget);
    }
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
    const entry: LogEntry = { level: 'error', message: `host error: ${err instanceof Error ? err.stack : String(err)}`, worker: vm.label, contextId: 0 };
    this.entries.push(entry);
    this.host.emitLog(this, entry);
  }
  recordCallout(record: CalloutRecord): void { this.records.push(record); }
}
