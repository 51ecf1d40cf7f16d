// Probe: a WASI command whose _start calls a proxy-wasm function other than proxy_log — cpp-host traps
// ("restricted_callback") because only logging/WASI basics are allowed while the VM starts.
import { proxy_set_tick_period_milliseconds } from "./lib/host";
export { malloc } from "./lib/host";
export function proxy_abi_version_0_2_1(): void {}
export function _start(): void { proxy_set_tick_period_milliseconds(10); }
