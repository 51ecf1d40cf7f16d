// VM sharing across plugins, as proxy-wasm-cpp-host src/wasm.cc does it: plugins whose vm key
// (makeVmKey = SHA-256 over vm_id, vm configuration and code, in that order, no separators) is the
// same share one base VM (createWasm: base_wasms[vm_key]) and, per worker thread, one VM
// (getOrCreateThreadLocalWasm: local_wasms[vm_key]); each plugin gets its own root context in it
// (WasmBase::start). A group lives while a plugin uses it (the maps hold weak_ptrs). A worker VM
// that failed at runtime is never handed to a plugin loaded afterwards: cpp-host erases it from
// local_wasms on FailState::RuntimeError, so the next plugin gets a fresh clone.

import { createHash } from 'node:crypto';
import type { CompiledModule } from './loader.js';
import type { PluginCore } from './plugin-core.js';
import { Vm, type VmConfig } from './vm.js';

export function makeVmKey(vmId: string, vmConfiguration: Uint8Array, code: Uint8Array): string {
  return createHash('sha256').update(vmId).update(vmConfiguration).update(code).digest('hex').toUpperCase();
}

export class VmGroup {
  /** Plugins loaded with this vm key and not closed yet. */
  readonly plugins = new Set<PluginCore>();
  /** The current VM of each worker thread (what a newly loaded plugin attaches to). */
  private readonly workers: Vm[] = [];

  constructor(
    readonly key: string,
    readonly compiled: CompiledModule,
    readonly config: VmConfig,
    readonly base: Vm,
  ) {}

  /** This worker's VM: the existing one unless it failed, else a new started clone. `fresh` tells
   *  the caller the VM was just created (its start functions ran for `plugin`). */
  worker(index: number, plugin: PluginCore): { vm: Vm; fresh: boolean } {
    const current = this.workers[index];
    if (current && !current.failed) {
      current.plugins.add(plugin);
      return { vm: current, fresh: false };
    }
    const vm = new Vm(this.compiled, this.config, index);
    vm.plugins.add(plugin);
    vm.start();
    this.workers[index] = vm;
    return { vm, fresh: true };
  }
}

/** The host's vm key → group table (cpp-host's base_wasms / local_wasms, scoped to one Host). */
export class VmGroups {
  private readonly groups = new Map<string, VmGroup>();

  get(key: string): VmGroup | undefined {
    return this.groups.get(key);
  }
  add(group: VmGroup): void {
    this.groups.set(group.key, group);
  }

  /** A plugin left: the group (base and worker VMs) goes with its last plugin. */
  release(group: VmGroup, plugin: PluginCore): void {
    group.plugins.delete(plugin);
    if (group.plugins.size === 0 && this.groups.get(group.key) === group) this.groups.delete(group.key);
  }
}
