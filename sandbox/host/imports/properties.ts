// proxy_get_property / proxy_set_property (Envoy Context::getProperty / setProperty): the path is NUL-
// separated; set_property stores filter state `wasm.<path>` on the stream (NotFound without one).

import { WasmResult as R } from '../abi.js';
import { getProperty } from '../properties.js';
import type { Vm } from '../vm.js';
import type { ImportGroup } from './index.js';

export function propertyImports(vm: Vm): ImportGroup {
  return {
    proxy_get_property(pathPtr: number, pathLen: number, retPtr: number, retSize: number): number {
      const path = vm.mem.readString(pathPtr, pathLen);
      if (path === undefined) return R.InvalidMemoryAccess;
      const ctx = vm.active();
      const r = getProperty(path, (name) => ctx.findProperty(name));
      if (r.result === 'not_found') return R.NotFound;
      if (r.result === 'serialization_failure') return R.SerializationFailure;
      return vm.mem.copyOut(r.value, retPtr, retSize) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_set_property(pathPtr: number, pathLen: number, valPtr: number, valLen: number): number {
      const path = vm.mem.readString(pathPtr, pathLen);
      const value = vm.mem.read(valPtr, valLen);
      if (path === undefined || !value) return R.InvalidMemoryAccess;
      return vm.active().setProperty(path, value);
    },
  };
}
