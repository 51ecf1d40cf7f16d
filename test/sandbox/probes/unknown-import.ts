// Probe: imports proxy_get_configuration, which exists only in ABI 0.1.0 — a missing import under 0.2.1.
@external("env", "proxy_get_configuration") declare function proxy_get_configuration(rp: usize, rs: usize): i32;
export { malloc } from "./lib/host";
export function proxy_abi_version_0_2_1(): void {}
export function proxy_on_vm_start(root: u32, size: u32): u32 { return proxy_get_configuration(0, 0) == 0 ? 1 : 0; }
