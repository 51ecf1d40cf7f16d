// A minimal reader of a wasm binary's type and import sections: WebAssembly.Module.imports() gives
// names but not function signatures, and Envoy (cpp-host src/v8/v8.cc V8::link) rejects an import whose
// param/result types differ from the host function's, so the loader needs the types.

import type { Signature, ValType } from './abi.js';

export interface ParsedImport {
  module: string;
  name: string;
  kind: 'function' | 'table' | 'memory' | 'global' | 'tag';
  signature?: Signature; // functions only
  memory?: { initial: number; maximum?: number; shared: boolean };
}

const VALTYPES: Record<number, ValType | string> = {
  0x7f: 'i32',
  0x7e: 'i64',
  0x7d: 'f32',
  0x7c: 'f64',
  0x7b: 'v128',
  0x70: 'funcref',
  0x6f: 'externref',
};

class Reader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    readonly end = buf.length,
  ) {}
  byte(): number {
    if (this.pos >= this.end) throw new Error('unexpected end of wasm section');
    return this.buf[this.pos++];
  }
  u32(): number {
    let result = 0,
      shift = 0,
      b: number;
    do {
      b = this.byte();
      result |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80 && shift < 35);
    return result >>> 0;
  }
  name(): string {
    const len = this.u32();
    const s = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, len).toString('utf8');
    this.pos += len;
    return s;
  }
  limits(): { initial: number; maximum?: number; shared: boolean } {
    const flags = this.byte();
    const initial = this.u32();
    const maximum = flags & 1 ? this.u32() : undefined;
    return { initial, maximum, shared: (flags & 2) !== 0 };
  }
}

/** Parses the imports of `bytes` with their function signatures. Throws on a malformed binary. */
export function parseImports(bytes: Uint8Array): ParsedImport[] {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error('not a wasm binary (bad magic)');
  }
  const r = new Reader(bytes);
  r.pos = 8;
  const types: Signature[] = [];
  const imports: ParsedImport[] = [];
  while (r.pos < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    if (id === 1) {
      const s = new Reader(bytes, end);
      s.pos = r.pos;
      for (let n = s.u32(), i = 0; i < n; i++) {
        const form = s.byte();
        if (form !== 0x60) throw new Error(`unsupported type form 0x${form.toString(16)}`);
        const params = Array.from({ length: s.u32() }, () => VALTYPES[s.byte()] as ValType);
        const results = Array.from({ length: s.u32() }, () => VALTYPES[s.byte()] as ValType);
        types.push({ params, results });
      }
    } else if (id === 2) {
      const s = new Reader(bytes, end);
      s.pos = r.pos;
      for (let n = s.u32(), i = 0; i < n; i++) {
        const module = s.name();
        const name = s.name();
        const kind = s.byte();
        if (kind === 0) imports.push({ module, name, kind: 'function', signature: types[s.u32()] });
        else if (kind === 1) {
          s.byte();
          s.limits();
          imports.push({ module, name, kind: 'table' });
        } else if (kind === 2) imports.push({ module, name, kind: 'memory', memory: s.limits() });
        else if (kind === 3) {
          s.byte();
          s.byte();
          imports.push({ module, name, kind: 'global' });
        } else if (kind === 4) {
          s.byte();
          s.u32();
          imports.push({ module, name, kind: 'tag' });
        } else throw new Error(`unknown import kind ${kind}`);
      }
      return imports; // the import section always follows the type section; nothing later matters
    }
    r.pos = end;
  }
  return imports;
}
