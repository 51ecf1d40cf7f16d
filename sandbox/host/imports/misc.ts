// Logging, time, ticks, status, effective context, proxy_done, foreign functions and the emscripten
// / Envoy extras (cpp-host src/exports.cc; Envoy foreign functions per arch doc wasm.rst).

import { deflateSync, inflateSync } from 'node:zlib';
import { LOG_LEVELS, WasmResult } from '../abi.js';
import type { Vm } from '../vm.js';
import type { ImportGroup } from './index.js';

export function miscImports(vm: Vm): ImportGroup {
  const R = WasmResult;
  const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
  return {
    proxy_log(level: number, ptr: number, len: number): number {
      if (level >>> 0 >= LOG_LEVELS.length) return R.BadArgument;
      const msg = vm.mem.readString(ptr, len);
      if (msg === undefined) return R.InvalidMemoryAccess;
      vm.log(level >>> 0, msg);
      return R.Ok;
    },
    proxy_get_log_level(retPtr: number): number {
      return vm.mem.writeU32(retPtr, vm.config.host.logLevel) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_get_current_time_nanoseconds(retPtr: number): number {
      return vm.mem.writeU64(retPtr, nowNs()) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_set_tick_period_milliseconds(period: number): number {
      // Always the caller's root context (cpp-host ContextBase::setTimerPeriod → root_context()).
      const root = vm.active().root;
      if (!root) return R.InternalFailure;
      root.setTickPeriod(period >>> 0);
      return R.Ok;
    },
    proxy_get_status(codePtr: number, msgPtrPtr: number, msgSizePtr: number): number {
      const root = vm.active().root;
      const status = root?.status ?? { code: 0, message: '' };
      if (!vm.mem.writeU32(codePtr, status.code)) return R.InvalidMemoryAccess;
      return vm.mem.copyOutString(status.message, msgPtrPtr, msgSizePtr) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_set_effective_context(id: number): number {
      if (!vm.contexts.has(id >>> 0)) return R.BadArgument;
      vm.effectiveId = id >>> 0;
      return R.Ok;
    },
    proxy_done(): number {
      // Meaningful only for a root whose shutdown is pending (on_done returned false): cpp-host WasmBase::done.
      const root = vm.active().root;
      if (!root || vm.active() !== root || !vm.pendingDone.has(root.id)) return R.NotFound;
      vm.pendingDone.delete(root.id);
      vm.defer(() => vm.callback('proxy_on_delete', root, root.id));
      return R.Ok;
    },
    proxy_call_foreign_function(
      namePtr: number,
      nameLen: number,
      argsPtr: number,
      argsLen: number,
      retPtrPtr: number,
      retSizePtr: number,
    ): number {
      const name = vm.mem.readString(namePtr, nameLen);
      const args = vm.mem.read(argsPtr, argsLen);
      if (name === undefined || !args) return R.InvalidMemoryAccess;
      let out: Buffer;
      switch (name) {
        case 'clear_route_cache':
          vm.active().onHeadersModified(-1);
          return R.Ok;
        case 'compress':
          out = deflateSync(args);
          break;
        case 'uncompress':
          try {
            out = inflateSync(args);
          } catch {
            return R.SerializationFailure;
          }
          break;
        default:
          return R.NotFound; // verify_signature, declare_property, expr_*…: not emulated
      }
      return vm.mem.copyOut(out, retPtrPtr, retSizePtr) ? R.Ok : R.InvalidMemoryAccess;
    },
    pthread_equal: (a: number, b: number): number => (a === b ? 1 : 0),
    emscripten_notify_memory_growth: (): void => {},
    envoy_resolve_dns: (): number => R.Unimplemented, // DNS callouts are not emulated
  };
}
