// Probe: the WASI functions Envoy provides — stdout/stderr writes become logs, clocks, random, environ.
import { log } from "./lib/host";
export { malloc } from "./lib/host";
@external("wasi_snapshot_preview1", "fd_write") declare function fd_write(fd: i32, iovs: usize, n: usize, written: usize): i32;
@external("wasi_snapshot_preview1", "clock_time_get") declare function clock_time_get(id: i32, precision: i64, ret: usize): i32;
@external("wasi_snapshot_preview1", "random_get") declare function random_get(p: usize, n: usize): i32;
@external("wasi_snapshot_preview1", "environ_sizes_get") declare function environ_sizes_get(count: usize, size: usize): i32;
@external("wasi_snapshot_preview1", "environ_get") declare function environ_get(arr: usize, buf: usize): i32;
@external("wasi_unstable", "proc_exit") declare function proc_exit(code: i32): void;
const IOV: usize = memory.data(16);
const OUT: usize = memory.data(16);
function write(fd: i32, s: string): i32 {
  const b = String.UTF8.encode(s);
  store<u32>(IOV, changetype<usize>(b));
  store<u32>(IOV + 4, b.byteLength);
  return fd_write(fd, IOV, 1, OUT);
}
export function proxy_abi_version_0_2_1(): void {}
export function proxy_on_vm_start(root: u32, size: u32): u32 {
  log("fd1=" + write(1, "hello stdout\n").toString() + " written=" + load<u32>(OUT).toString());
  log("fd2=" + write(2, "oops on stderr\n").toString());
  log("fd3=" + write(3, "nowhere\n").toString());
  const t0 = clock_time_get(0, 1, OUT);
  const realtime = load<u64>(OUT);
  log("realtime rc=" + t0.toString() + " plausible=" + (realtime > 1600000000000000000 ? "yes" : "no"));
  log("monotonic rc=" + clock_time_get(1, 1, OUT).toString() + " other rc=" + clock_time_get(7, 1, OUT).toString());
  const rnd = heap.alloc(70000);
  log("random rc=" + random_get(rnd, 16).toString() + " big rc=" + random_get(rnd, 70000).toString());
  environ_sizes_get(OUT, OUT + 4);
  const n = load<u32>(OUT), sz = load<u32>(OUT + 4);
  const arr = heap.alloc(n * 4 + 4), b = heap.alloc(sz + 1);
  environ_get(arr, b);
  log("environ n=" + n.toString() + " first=" + (n > 0 ? String.UTF8.decodeUnsafe(load<u32>(arr), sz - 1) : ""));
  proc_exit(3);
  log("after proc_exit");
  return 1;
}
