// Probe: a module with an allocator but no proxy_abi_version_* export.
export { malloc } from "./lib/host";
export function proxy_on_vm_start(root: u32, size: u32): u32 { return 1; }
