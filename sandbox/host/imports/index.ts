// Assembles the import object a module is instantiated with: every ABI 0.2.1 host function under
// `env`, WASI under both `wasi_snapshot_preview1` and `wasi_unstable` (cpp-host registerCallbacks).
// Functions outside the start-time allow-list trap while `_initialize`/`_start` run, as cpp-host's
// restricted callbacks do ("restricted_callback").

import type { Vm } from '../vm.js';
import { Wasm, type WasmImports } from '../wasm-api.js';
import { bufferImports } from './buffers.js';
import { calloutImports } from './callouts.js';
import { headerImports } from './headers.js';
import { metricImports } from './metrics.js';
import { miscImports } from './misc.js';
import { propertyImports } from './properties.js';
import { sharedImports } from './shared.js';
import { streamImports } from './stream.js';
import { wasiImports } from './wasi.js';

// biome-ignore lint/suspicious/noConfusingVoidType: host functions for void ABI imports return nothing
export type HostFn = (...args: never[]) => number | void;
export type ImportGroup = Record<string, HostFn>;

export function buildImports(vm: Vm, restrictedAtStart: (qualifiedName: string) => boolean): WasmImports {
  const env: ImportGroup = {
    ...miscImports(vm),
    ...headerImports(vm),
    ...bufferImports(vm),
    ...propertyImports(vm),
    ...streamImports(vm),
    ...calloutImports(vm),
    ...sharedImports(vm),
    ...metricImports(vm),
  };
  const wasi = wasiImports(vm);
  const wrap = (module: string, group: ImportGroup): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [name, fn] of Object.entries(group)) {
      const f = fn as Guardable;
      out[name] = restrictedAtStart(`${module}.${name}`) ? guarded(vm, `${module}.${name}`, f) : f;
    }
    return out;
  };
  return {
    env: wrap('env', env),
    wasi_snapshot_preview1: wrap('wasi_snapshot_preview1', wasi),
    wasi_unstable: wrap('wasi_unstable', wasi),
  };
}

// biome-ignore lint/suspicious/noConfusingVoidType: see HostFn
type Guardable = (...a: unknown[]) => number | void;

/** f, trapping while the VM starts. A fixed list of parameters (the ABI's longest call has 12), not
 *  a rest array: this runs on every host call, and a rest parameter allocates an array per call. */
function guarded(vm: Vm, qualifiedName: string, f: Guardable): Guardable {
  return (a, b, c, d, e, g, h, i, j, k, l, m) => {
    if (vm.restricted) throw new Wasm.RuntimeError(`restricted_callback: ${qualifiedName} called during VM start`);
    return f(a, b, c, d, e, g, h, i, j, k, l, m);
  };
}
