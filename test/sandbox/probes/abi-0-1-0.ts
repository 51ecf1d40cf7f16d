// Probe: declares the old ABI 0.1.0 only.
export { malloc } from "./lib/host";
export function proxy_abi_version_0_1_0(): void {}
