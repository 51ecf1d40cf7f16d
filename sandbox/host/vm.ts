// One Wasm VM: an instance of the compiled module with its own linear memory, its contexts, callout
// and metric id counters, and the "after VM call" action queue. Every host→VM entry goes through
// `call`, which resets the effective context, turns a trap into a failed (poisoned) VM instead of an
// exception (cpp-host V8 wrappers: fail(FailState::RuntimeError, "Function: … failed: …")), and never
// calls into a failed VM again (ContextBase::isFailed checks).
// A VM may host several plugins (cpp-host WasmBase::root_contexts_, one root context per plugin): what
// belongs to the VM (vm_id, vm configuration, environment, host services) is its VmConfig; what belongs
// to a plugin is reached through the root context of the context that is running.

import { START_ALLOWED } from './abi.js';
import type { FilterContext, HostBuffer, LocalReplyRequest } from './context.js';
import { NULL_BUFFER } from './context.js';
import { buildImports } from './imports/index.js';
import type { CompiledModule } from './loader.js';
import { GuestMemory } from './memory.js';
import type { Stat } from './metrics.js';
import type { HostServices, PluginCore } from './plugin-core.js';
import { Wasm, type WasmInstance, type WasmMemory } from './wasm-api.js';

export type VmLabel = number | 'canary' | 'base';

/** What a VM is made of besides its code: the parts of the vm key and VmConfig (cpp-host makeVmKey
 *  hashes vm_id + vm configuration + code; the environment comes with the first plugin, as envs_ does). */
export interface VmConfig {
  readonly host: HostServices;
  readonly vmId: string;
  readonly vmConfiguration: Buffer;
  readonly environment: ReadonlyArray<readonly [string, string]>;
}

/** The VM context (id 0): current while `_initialize`/`_start` run; it owns nothing. */
class VmContext implements FilterContext {
  readonly id = 0;
  readonly root = undefined;
  readonly accessLogPhase = false;
  getMap(): undefined {
    return undefined;
  }
  getConstMap(): undefined {
    return undefined;
  }
  onHeadersModified(): void {}
  getBuffer(): HostBuffer {
    return NULL_BUFFER;
  }
  continueStream(): number {
    return 0;
  }
  closeStream(): number {
    return 0;
  }
  sendLocalResponse(_r: LocalReplyRequest): void {}
  findProperty(): unknown {
    return undefined;
  }
  setProperty(): number {
    return 1;
  }
}

export class Vm {
  instance!: WasmInstance;
  mem!: GuestMemory;
  readonly contexts = new Map<number, FilterContext>();
  /** Plugins with a root context in this VM (their logs and failures are reported to them). */
  readonly plugins = new Set<PluginCore>();
  failed = false;
  failure: string | undefined;
  /** Set by proxy_send_local_response; forces the current callback's return to "stop" (cpp-host stopNextIteration). */
  stopNextIteration = false;
  restricted = false;
  effectiveId = 0;
  /** The id the next context gets (ids are never reused within a VM). */
  nextContextId = 1;
  private depth = 0;
  private current: FilterContext;
  private readonly vmContext = new VmContext();
  private readonly deferred: Array<() => void> = [];
  private fns: Record<string, (...a: Array<number | bigint>) => unknown> = {};
  // cpp-host wasm.h: ids are (type + 4k); the first of each kind is 4, 5, 6.
  private lastCallout = [0, 1, 2];
  private lastMetric = [0, 1, 2];
  /** Metric id → its stat. The store never drops or replaces a stat, so holding it here is the same
   *  as looking its name up on every increment. */
  readonly metricStats = new Map<number, Stat>();
  /** Root contexts whose on_done returned false and that wait for proxy_done. */
  readonly pendingDone = new Set<number>();

  constructor(
    readonly compiled: CompiledModule,
    readonly config: VmConfig,
    readonly label: VmLabel,
  ) {
    this.current = this.vmContext;
  }
  /** Gives a new context the next id and makes it reachable by it (for callbacks and effective context). */
  register(ctx: FilterContext): number {
    const id = this.nextContextId++;
    this.contexts.set(id, ctx);
    return id;
  }

  /** A log line from the module, reported to the plugin whose root the running context belongs to;
   *  from the VM context (start functions) to every plugin in the VM. */
  log(level: number, message: string): void {
    const ctx = this.active();
    const owner = ctx.root?.plugin;
    for (const p of owner ? [owner] : this.plugins) p.log(this, level, message, ctx.id);
  }

  /** Instantiate and run the module's start functions (cpp-host WasmBase::startVm). */
  start(): void {
    const { module, imports } = this.compiled;
    const memImport = imports.find((i) => i.kind === 'memory');
    const importedMemory = memImport
      ? new Wasm.Memory({ initial: memImport.memory!.initial, maximum: memImport.memory!.maximum })
      : undefined;
    const importObject = buildImports(this, (name) => !START_ALLOWED.has(name));
    if (memImport) (importObject[memImport.module] ??= {})[memImport.name] = importedMemory!;
    try {
      this.instance = new Wasm.Instance(module, importObject);
    } catch (err) {
      this.fail('instantiate', err);
      return;
    }
    this.fns = this.instance.exports as typeof this.fns;
    const memory = importedMemory ?? (this.instance.exports.memory as WasmMemory);
    this.mem = new GuestMemory(memory, (size) => Number(this.call(this.compiled.allocator, this.active(), size) ?? 0));
    this.restricted = true;
    if (this.has('_initialize')) {
      this.call('_initialize', this.vmContext);
      if (this.has('main')) this.call('main', this.vmContext, 0, 0);
      else if (this.has('__main_void')) this.call('__main_void', this.vmContext);
    } else if (this.has('_start')) {
      this.call('_start', this.vmContext);
    }
    this.restricted = false;
  }

  has(name: string): boolean {
    return typeof this.fns[name] === 'function';
  }

  /** Calls an export with `ctx` current. Returns the i32 result as unsigned, 0 for void,
   *  undefined when the export is missing, the VM has failed, or the call trapped. */
  call(name: string, ctx: FilterContext, ...args: Array<number | bigint>): number | undefined {
    if (this.failed) return undefined;
    const fn = this.fns[name];
    if (typeof fn !== 'function') return undefined;
    const prevCurrent = this.current,
      prevEffective = this.effectiveId;
    this.current = ctx;
    this.effectiveId = 0; // cpp-host resets the effective context at every host→VM entry
    this.depth++;
    try {
      const r = fn(...args);
      return typeof r === 'number' ? r >>> 0 : typeof r === 'bigint' ? Number(r) : 0;
    } catch (err) {
      this.fail(name, err);
      return undefined;
    } finally {
      this.depth--;
      this.current = prevCurrent;
      this.effectiveId = prevEffective;
    }
  }

  /** A module callback as cpp-host runs it: call, read the stop flag, then run deferred actions
   *  (DeferAfterCallActions' destructor resets stopNextIteration and runs doAfterVmCallActions). */
  callback(
    name: string,
    ctx: FilterContext,
    ...args: Array<number | bigint>
  ): { result: number | undefined; stop: boolean } {
    const result = this.call(name, ctx, ...args);
    const stop = this.stopNextIteration;
    if (this.depth === 0) this.runDeferred();
    return { result, stop };
  }

  /** The context host functions act on: the effective context when set and alive, else the current one. */
  active(): FilterContext {
    if (this.effectiveId !== 0) {
      const c = this.contexts.get(this.effectiveId);
      if (c) return c;
    }
    return this.current;
  }
  get inCall(): boolean {
    return this.depth > 0;
  }

  defer(action: () => void): void {
    this.deferred.push(action);
  }
  runDeferred(): void {
    this.stopNextIteration = false;
    while (this.deferred.length > 0) {
      try {
        this.deferred.shift()!();
      } catch (err) {
        for (const p of this.plugins) p.hostError(this, err);
      }
    }
    this.stopNextIteration = false;
  }

  nextCalloutId(type: 0 | 1 | 2): number {
    return (this.lastCallout[type] += 4);
  }
  nextMetricId(type: 0 | 1 | 2): number {
    return (this.lastMetric[type] += 4);
  }

  fail(where: string, err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    this.failure = `Function: ${where} failed: ${msg}`;
    // The whole VM fails, for every plugin in it (cpp-host WasmBase::fail → failed_ for all contexts).
    for (const p of this.plugins) p.vmFailed(this, this.failure, err);
  }
}
