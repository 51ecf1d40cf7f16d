// Guest linear-memory access for host functions. Reads and writes are bounds-checked and return
// `undefined`/false instead of throwing, so a host function can answer InvalidMemoryAccess as cpp-host
// does (WasmVm::getMemory/setMemory). Buffers handed to the module are allocated with the module's own
// allocator and the module frees them (cpp-host WasmBase::copyToPointerSize).

import type { WasmMemory } from './wasm-api.js';

export class GuestMemory {
  // Views of memory.buffer, kept across calls instead of re-created per access. Growth replaces
  // memory.buffer (a non-shared buffer is detached: the old views read as zero-length), so an access
  // that falls outside the current views re-syncs them once before it is judged out of bounds.
  private buf: Buffer;
  private dv: DataView;

  constructor(
    private readonly memory: WasmMemory,
    private readonly alloc: (size: number) => number,
  ) {
    this.buf = Buffer.from(memory.buffer);
    this.dv = new DataView(memory.buffer);
  }

  /** True when [0, end) is inside the memory as it is now. (A zero-length view may be a detached one,
   *  which even an empty access must not touch, so it is re-synced too.) */
  private fits(end: number): boolean {
    if (end <= this.buf.length && this.buf.length > 0) return true;
    this.buf = Buffer.from(this.memory.buffer);
    this.dv = new DataView(this.memory.buffer);
    return end <= this.buf.length;
  }

  /** A copy of [ptr, ptr+len), or undefined when out of bounds. */
  read(ptr: number, len: number): Buffer | undefined {
    ptr >>>= 0;
    len >>>= 0;
    if (!this.fits(ptr + len)) return undefined;
    return Buffer.from(this.buf.subarray(ptr, ptr + len));
  }
  /** [ptr, ptr+len) decoded as UTF-8 straight from memory (no intermediate copy), or undefined when out of bounds. */
  readString(ptr: number, len: number): string | undefined {
    ptr >>>= 0;
    len >>>= 0;
    if (!this.fits(ptr + len)) return undefined;
    return len === 0 ? '' : this.buf.toString('utf8', ptr, ptr + len);
  }

  write(ptr: number, data: Uint8Array): boolean {
    ptr >>>= 0;
    if (!this.fits(ptr + data.length)) return false;
    this.buf.set(data, ptr);
    return true;
  }
  writeU32(ptr: number, value: number): boolean {
    ptr >>>= 0;
    if (!this.fits(ptr + 4)) return false;
    this.dv.setUint32(ptr, value >>> 0, true);
    return true;
  }
  writeU64(ptr: number, value: bigint): boolean {
    ptr >>>= 0;
    if (!this.fits(ptr + 8)) return false;
    this.dv.setBigUint64(ptr, BigInt.asUintN(64, value), true);
    return true;
  }

  /** Copies `data` into a fresh guest allocation and stores (ptr, size) at the two out-pointers. */
  copyOut(data: Uint8Array, ptrPtr: number, sizePtr: number): boolean {
    let ptr = 0;
    if (data.length > 0) {
      ptr = this.alloc(data.length) >>> 0; // re-enters the VM, which may grow the memory
      if (ptr === 0 || !this.write(ptr, data)) return false;
    }
    return this.writeU32(ptrPtr, ptr) && this.writeU32(sizePtr, data.length);
  }

  /** copyOut of a string's UTF-8 bytes, encoded straight into the guest allocation. */
  copyOutString(s: string, ptrPtr: number, sizePtr: number): boolean {
    const size = Buffer.byteLength(s, 'utf8');
    let ptr = 0;
    if (size > 0) {
      ptr = this.alloc(size) >>> 0;
      if (ptr === 0 || !this.fits(ptr + size)) return false;
      // size === length only for pure ASCII, whose UTF-8 bytes are its char codes: a short copy loop
      // (header values, mostly) is cheaper than the native encoder's call overhead.
      if (size === s.length && size <= 128) for (let i = 0; i < size; i++) this.buf[ptr + i] = s.charCodeAt(i);
      else this.buf.write(s, ptr, size, 'utf8');
    }
    return this.writeU32(ptrPtr, ptr) && this.writeU32(sizePtr, size);
  }
}
