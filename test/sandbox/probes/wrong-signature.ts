// Probe: imports proxy_log with two parameters instead of three — Envoy refuses to link it.
@external("env", "proxy_log") declare function proxy_log(level: i32, ptr: usize): i32;
export { malloc } from "./lib/host";
export function proxy_abi_version_0_2_1(): void {}
export function proxy_on_vm_start(root: u32, size: u32): u32 { return proxy_log(2, 0) == 0 ? 1 : 0; }
