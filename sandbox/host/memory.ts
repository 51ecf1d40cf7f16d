// Guest linear-memory access for host functions. Reads and writes are bounds-checked and return
// `undefined`/false instead of throwing, so a host function can answer InvalidMemoryAccess as cpp-host
// does (WasmVm::getMemory/setMemory). Buffers handed to the module are allocated with the module's own
// allocator and the module frees them (cpp-host WasmBase::copyToPointerSize).

import type { WasmMemory } from './wasm-api.js';

export class GuestMemory {
  constructor(private readonly memory: WasmMemory, private readonly alloc: (size: number) => number) {}

  private get bytes(): Uint8Array { return new Uint8Array(this.memory.buffer); }

  /** A copy of [ptr, ptr+len), or undefined when out of bounds. */
  read(ptr: number, len: number): Buffer | undefined {
    ptr >>>= 0; len >>>= 0;
    const mem = this.bytes;
    if (ptr + len > mem.length) return undefined;
    return Buffer.from(mem.subarray(ptr, ptr + len));
  }
  readString(ptr: number, len: number): string | undefined { return this.read(ptr, len)?.toString('utf8'); }

  write(ptr: number, data: Uint8Array): boolean {
    ptr >>>= 0;
    const mem = this.bytes;
    if (ptr + data.length > mem.length) return false;
    mem.set(data, ptr);
    return true;
  }
  writeU32(ptr: number, value: number): boolean {
    ptr >>>= 0;
    if (ptr + 4 > this.memory.buffer.byteLength) return false;
    new DataView(this.memory.buffer).setUint32(ptr, value >>> 0, true);
    return true;
  }
  writeU64(ptr: number, value: bigint): boolean {
    ptr >>>= 0;
    if (ptr + 8 > this.memory.buffer.byteLength) return false;
    new DataView(this.memory.buffer).setBigUint64(ptr, BigInt.asUintN(64, value), true);
    return true;
  }

  /** Copies `data` into a fresh guest allocation and stores (ptr, size) at the two out-pointers. */
  copyOut(data: Uint8Array, ptrPtr: number, sizePtr: number): boolean {
    let ptr = 0;
    if (data.length > 0) {
      ptr = this.alloc(data.length) >>> 0;
      if (ptr === 0 || !this.write(ptr, data)) return false;
    }
    return this.writeU32(ptrPtr, ptr) && this.writeU32(sizePtr, data.length);
  }
}
