// Buffer host functions (cpp-host src/exports.cc get_buffer_bytes/get_buffer_status/set_buffer_bytes):
// type > 8 ⇒ BadArgument; no such buffer ⇒ NotFound; reads are clamped (start past the end ⇒ Ok with
// (0, 0)); status flags are always 0; writes follow the buffer's own rules (context.ts).

import { BUFFER_TYPE_MAX, WasmResult as R } from '../abi.js';
import { EMPTY } from '../context.js';
import type { Vm } from '../vm.js';
import type { ImportGroup } from './index.js';

export function bufferImports(vm: Vm): ImportGroup {
  return {
    proxy_get_buffer_status(type: number, retSize: number, retFlags: number): number {
      if (type >>> 0 > BUFFER_TYPE_MAX) return R.BadArgument;
      const b = vm.active().getBuffer(type >>> 0);
      if (!b) return R.NotFound;
      return vm.mem.writeU32(retSize, b.size()) && vm.mem.writeU32(retFlags, 0) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_get_buffer_bytes(type: number, start: number, length: number, retPtr: number, retSize: number): number {
      if (type >>> 0 > BUFFER_TYPE_MAX) return R.BadArgument;
      const b = vm.active().getBuffer(type >>> 0);
      if (!b) return R.NotFound;
      start >>>= 0;
      length >>>= 0;
      const size = b.size();
      if (start > size) length = 0;
      else if (start + length > size) length = size - start;
      const data = length === 0 ? EMPTY : b.read(start, length);
      return vm.mem.copyOut(data, retPtr, retSize) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_set_buffer_bytes(type: number, start: number, length: number, dataPtr: number, dataSize: number): number {
      if (type >>> 0 > BUFFER_TYPE_MAX) return R.BadArgument;
      const b = vm.active().getBuffer(type >>> 0);
      if (!b) return R.NotFound;
      const data = vm.mem.read(dataPtr, dataSize);
      if (!data) return R.InvalidMemoryAccess;
      return b.write(start >>> 0, length >>> 0, data);
    },
  };
}
