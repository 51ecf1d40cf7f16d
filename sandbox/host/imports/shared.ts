// Shared data and shared queues (cpp-host src/exports.cc + shared_data.cc/shared_queue.cc), namespaced
// by the plugin's vm_id; queue notifications go to the registering VM's root context.

import { WasmResult as R } from '../abi.js';
import type { Vm } from '../vm.js';
import type { ImportGroup } from './index.js';

export function sharedImports(vm: Vm): ImportGroup {
  const host = vm.config.host;
  const vmId = vm.config.vmId;
  return {
    proxy_get_shared_data(kp: number, kl: number, retPtr: number, retSize: number, casPtr: number): number {
      const key = vm.mem.readString(kp, kl);
      if (key === undefined) return R.InvalidMemoryAccess;
      const v = host.sharedData.get(vmId, key);
      if (!v) return R.NotFound;
      if (!vm.mem.copyOut(v.value, retPtr, retSize)) return R.InvalidMemoryAccess;
      return vm.mem.writeU32(casPtr, v.cas) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_set_shared_data(kp: number, kl: number, vp: number, vl: number, cas: number): number {
      const key = vm.mem.readString(kp, kl);
      const value = vm.mem.read(vp, vl);
      if (key === undefined || !value) return R.InvalidMemoryAccess;
      return host.sharedData.set(vmId, key, value, cas >>> 0);
    },
    proxy_register_shared_queue(np: number, nl: number, tokenPtr: number): number {
      const name = vm.mem.readString(np, nl);
      if (name === undefined) return R.InvalidMemoryAccess;
      const root = vm.active().root;
      if (!root) return R.InternalFailure;
      const token = host.queues.register(vmId, name, root.queueTarget);
      return vm.mem.writeU32(tokenPtr, token) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_resolve_shared_queue(vp: number, vl: number, np: number, nl: number, tokenPtr: number): number {
      const id = vm.mem.readString(vp, vl);
      const name = vm.mem.readString(np, nl);
      if (id === undefined || name === undefined) return R.InvalidMemoryAccess;
      // cpp-host ContextBase::lookupSharedQueue: an empty vm_id means the caller's own.
      const token = host.queues.resolve(id === '' ? vmId : id, name);
      if (!token) return R.NotFound;
      return vm.mem.writeU32(tokenPtr, token) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_enqueue_shared_queue(token: number, dp: number, dl: number): number {
      const data = vm.mem.read(dp, dl);
      if (!data) return R.InvalidMemoryAccess;
      return host.queues.enqueue(token >>> 0, data);
    },
    proxy_dequeue_shared_queue(token: number, retPtr: number, retSize: number): number {
      const r = host.queues.dequeue(token >>> 0);
      if (r.result !== R.Ok) return r.result;
      return vm.mem.copyOut(r.value!, retPtr, retSize) ? R.Ok : R.InvalidMemoryAccess;
    },
  };
}
