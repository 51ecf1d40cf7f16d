// Header-map host functions with Envoy's and cpp-host's results (source/extensions/common/wasm/context.cc):
// unavailable map ⇒ BadArgument for reads of one value and for every mutation, but Ok with an empty
// list for get_header_map_pairs; in the access-log phase a missing map reads as NotFound; a missing
// key ⇒ NotFound; only the first value of a repeated header is returned; size = byteSize().

import { HEADER_MAP_TYPE_MAX, WasmResult as R } from '../abi.js';
import { EMPTY } from '../context.js';
import { decodePairs } from '../headers.js';
import type { Vm } from '../vm.js';
import type { ImportGroup } from './index.js';

export function headerImports(vm: Vm): ImportGroup {
  const str = (p: number, l: number): string | undefined => vm.mem.readString(p, l);
  return {
    proxy_get_header_map_value(type: number, kp: number, kl: number, retPtr: number, retSize: number): number {
      if (type >>> 0 > HEADER_MAP_TYPE_MAX) return R.BadArgument;
      const key = str(kp, kl);
      if (key === undefined) return R.InvalidMemoryAccess;
      const ctx = vm.active();
      const map = ctx.getConstMap(type);
      if (!map) return ctx.accessLogPhase ? R.NotFound : R.BadArgument;
      const v = map.get(key);
      if (v === undefined) return R.NotFound;
      return vm.mem.copyOutString(v, retPtr, retSize) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_get_header_map_pairs(type: number, retPtr: number, retSize: number): number {
      if (type >>> 0 > HEADER_MAP_TYPE_MAX) return R.BadArgument;
      const map = vm.active().getConstMap(type);
      // An empty (or unavailable) map is returned as (0, 0), not as a zero-count pairs blob.
      if (!map || map.size === 0) return vm.mem.copyOut(EMPTY, retPtr, retSize) ? R.Ok : R.InvalidMemoryAccess;
      // cpp-host src/exports.cc: pairsSize → allocMemory → marshalPairs, a copy of bytes the map holds
      // (HeaderMap.pairs: the wire form kept by the map, as Envoy's headers are bytes already).
      return vm.mem.copyOut(map.pairs(), retPtr, retSize) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_set_header_map_pairs(type: number, ptr: number, size: number): number {
      if (type >>> 0 > HEADER_MAP_TYPE_MAX) return R.BadArgument;
      const data = vm.mem.read(ptr, size);
      if (!data) return R.InvalidMemoryAccess;
      const ctx = vm.active();
      const map = ctx.getMap(type);
      if (!map) return R.BadArgument;
      map.clear();
      for (const [k, v] of decodePairs(data)) map.add(k, v);
      ctx.onHeadersModified(type);
      return R.Ok;
    },
    proxy_add_header_map_value(type: number, kp: number, kl: number, vp: number, vl: number): number {
      return mutate(vm, type, kp, kl, vp, vl, (m, k, v) => m.add(k, v));
    },
    proxy_replace_header_map_value(type: number, kp: number, kl: number, vp: number, vl: number): number {
      return mutate(vm, type, kp, kl, vp, vl, (m, k, v) => m.set(k, v));
    },
    proxy_remove_header_map_value(type: number, kp: number, kl: number): number {
      return mutate(vm, type, kp, kl, 0, 0, (m, k) => m.remove(k));
    },
    proxy_get_header_map_size(type: number, retPtr: number): number {
      if (type >>> 0 > HEADER_MAP_TYPE_MAX) return R.BadArgument;
      const map = vm.active().getMap(type);
      if (!map) return R.BadArgument;
      return vm.mem.writeU32(retPtr, map.byteSize) ? R.Ok : R.InvalidMemoryAccess;
    },
  };
}

function mutate(
  vm: Vm,
  type: number,
  kp: number,
  kl: number,
  vp: number,
  vl: number,
  op: (m: import('../headers.js').HeaderMap, k: string, v: string) => void,
): number {
  if (type >>> 0 > HEADER_MAP_TYPE_MAX) return R.BadArgument;
  const key = vm.mem.readString(kp, kl);
  const value = vm.mem.readString(vp, vl);
  if (key === undefined || value === undefined) return R.InvalidMemoryAccess;
  const ctx = vm.active();
  const map = ctx.getMap(type);
  if (!map) return R.BadArgument;
  op(map, key, value);
  ctx.onHeadersModified(type);
  return R.Ok;
}
