// Probe: a no-op network filter — every network callback continues. The baseline of bench/network.bench.ts.
export { malloc } from "./lib/host";
export function proxy_abi_version_0_2_1(): void {}
export function proxy_on_context_create(id: u32, parent: u32): void {}
export function proxy_on_vm_start(root: u32, size: u32): u32 { return 1; }
export function proxy_on_configure(root: u32, size: u32): u32 { return 1; }
export function proxy_on_new_connection(id: u32): u32 { return 0; }
export function proxy_on_downstream_data(id: u32, size: u32, eos: u32): u32 { return 0; }
export function proxy_on_upstream_data(id: u32, size: u32, eos: u32): u32 { return 0; }
export function proxy_on_downstream_connection_close(id: u32, peer: u32): void {}
export function proxy_on_upstream_connection_close(id: u32, peer: u32): void {}
export function proxy_on_log(id: u32): void {}
export function proxy_on_done(id: u32): u32 { return 1; }
export function proxy_on_delete(id: u32): void {}
