// The slice of the WebAssembly JS API the host uses, typed locally: the project's tsconfig has no
// DOM/WebAssembly lib, and a global declaration here could clash with one added later.

export interface WasmModule {
  readonly __brand?: 'WebAssembly.Module';
}
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
export type WasmImports = Record<string, Record<string, unknown>>;

interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Module: {
    new (bytes: Uint8Array): WasmModule;
    exports(m: WasmModule): Array<{ name: string; kind: string }>;
    imports(m: WasmModule): Array<{ module: string; name: string; kind: string }>;
  };
  Instance: new (m: WasmModule, imports: WasmImports) => WasmInstance;
  Memory: new (d: { initial: number; maximum?: number }) => WasmMemory;
  RuntimeError: new (message?: string) => Error;
}

export const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
