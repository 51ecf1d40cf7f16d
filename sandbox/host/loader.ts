// Loading a module as Envoy does before any VM runs: detect the ABI version from its exports, check
// every import against the ABI 0.2.1 table, and compile once (the "base VM" code every clone shares).
// Errors carry cpp-host's wording so a failure here reads like Envoy's log line.

import { readFile } from 'node:fs/promises';
import { IMPORT_SIGNATURES, formatSignature, type Signature } from './abi.js';
import { parseImports, type ParsedImport } from './wasm-binary.js';
import { Wasm, type WasmModule } from './wasm-api.js';

export interface CompiledModule {
  module: WasmModule;
  imports: ParsedImport[];
  exports: Set<string>;
  /** `malloc`, else `proxy_on_memory_allocate` — cpp-host src/wasm.cc getFunctions() looks up malloc first. */
  allocator: string;
}

export class LoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoadError';
  }
}

const sameSignature = (a: Signature, b: Signature): boolean =>
  a.params.length === b.params.length &&
  a.results.length === b.results.length &&
  a.params.every((t, i) => t === b.params[i]) &&
  a.results.every((t, i) => t === b.results[i]);

export async function readWasm(wasm: string | Uint8Array): Promise<Uint8Array> {
  if (typeof wasm !== 'string') return wasm;
  try {
    return await readFile(wasm);
  } catch (err) {
    throw new LoadError(`Failed to read Wasm module ${wasm}: ${(err as Error).message}`);
  }
}

export async function compileModule(bytes: Uint8Array): Promise<CompiledModule> {
  let module: WasmModule;
  try {
    module = await Wasm.compile(bytes);
  } catch (err) {
    throw new LoadError(`Failed to load Wasm code: ${(err as Error).message}`);
  }
  const exports = new Set<string>(Wasm.Module.exports(module).map((e) => e.name));

  // cpp-host src/bytecode_util.cc getAbiVersion + src/wasm.cc WasmBase::load. Envoy also runs 0.1.0 and
  // 0.2.0 modules; this host implements only 0.2.1, the ABI Shadowguard targets, and says so.
  if (!exports.has('proxy_abi_version_0_2_1')) {
    const other = ['proxy_abi_version_0_2_0', 'proxy_abi_version_0_1_0'].find((n) => exports.has(n));
    throw new LoadError(
      other
        ? `Unsupported Proxy-Wasm ABI version: the module exports ${other}; this host implements only proxy_abi_version_0_2_1`
        : 'Missing or unknown Proxy-Wasm ABI version (no proxy_abi_version_0_2_1 export)',
    );
  }

  const imports = parseImports(bytes);
  for (const imp of imports) {
    const key = `${imp.module}.${imp.name}`;
    if (imp.kind === 'memory') continue; // cpp-host creates the memory from the import's limits
    if (imp.kind !== 'function') {
      throw new LoadError(
        `Failed to load Wasm module due to a missing import: ${key} (${imp.kind} imports are not provided)`,
      );
    }
    const want = IMPORT_SIGNATURES.get(key);
    if (!want) throw new LoadError(`Failed to load Wasm module due to a missing import: ${key}`);
    if (!sameSignature(imp.signature!, want)) {
      // Same message shape as cpp-host V8::link: the module's view first, then the host's.
      throw new LoadError(
        `Failed to load Wasm module due to an import type mismatch: ${key}, want: ` +
          `${formatSignature(imp.signature!)}, but host exports: ${formatSignature(want)}`,
      );
    }
  }

  const allocator = exports.has('malloc')
    ? 'malloc'
    : exports.has('proxy_on_memory_allocate')
      ? 'proxy_on_memory_allocate'
      : '';
  if (!allocator) throw new LoadError('Wasm module is missing malloc function.');
  if (!exports.has('memory') && !imports.some((i) => i.kind === 'memory')) {
    throw new LoadError('Wasm module exports no memory');
  }
  return { module, imports, exports, allocator };
}
