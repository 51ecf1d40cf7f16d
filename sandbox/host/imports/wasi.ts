// WASI preview1 as cpp-host provides it to proxy-wasm modules (src/exports.cc wasi_unstable_*): stdout
// and stderr writes become logs at info / error with one trailing newline trimmed; clocks 0 (realtime)
// and 1 (monotonic); random_get up to 64 KiB; environment from VmConfig.environment_variables; no
// args; proc_exit only logs (trace); file-system and socket calls are stubs with cpp-host's errno values.

import { randomFillSync } from 'node:crypto';
import type { Vm } from '../vm.js';
import type { ImportGroup } from './index.js';

const E = { SUCCESS: 0, BADF: 8, NOTDIR: 20, FAULT: 21, INVAL: 28, NOENT: 44, NOSYS: 52, NOTSUP: 58 } as const;
const RANDOM_GET_MAX = 64 * 1024; // cpp-host limits.h PROXY_WASM_HOST_WASI_RANDOM_GET_MAX_SIZE_BYTES
const START_NS = process.hrtime.bigint();

export function wasiImports(vm: Vm): ImportGroup {
  const stdio = (fd: number): boolean => fd === 1 || fd === 2;
  const writev = (fd: number, iovs: number, iovsLen: number): number | undefined => {
    if (!stdio(fd)) return undefined;
    const parts: Buffer[] = [];
    for (let i = 0; i < iovsLen >>> 0; i++) {
      const iov = vm.mem.read(iovs + i * 8, 8);
      if (!iov) return -1;
      const len = iov.readUInt32LE(4);
      if (len === 0) continue;
      const data = vm.mem.read(iov.readUInt32LE(0), len);
      if (!data) return -1;
      parts.push(data);
    }
    let s = Buffer.concat(parts).toString('utf8');
    const written = Buffer.byteLength(s);
    if (s.endsWith('\n')) s = s.slice(0, -1);
    if (written > 0) vm.log(fd === 1 ? 2 : 4, s);
    return written;
  };
  const env = (): Buffer[] => vm.config.environment.map(([k, v]) => Buffer.from(`${k}=${v}\0`));

  return {
    fd_write(fd: number, iovs: number, iovsLen: number, nwrittenPtr: number): number {
      const n = writev(fd, iovs, iovsLen);
      if (n === undefined) return E.BADF;
      if (n < 0 || !vm.mem.writeU32(nwrittenPtr, n)) return E.FAULT;
      return E.SUCCESS;
    },
    fd_pwrite(fd: number, iovs: number, iovsLen: number, _offset: bigint, nwrittenPtr: number): number {
      const n = writev(fd, iovs, iovsLen);
      if (n === undefined) return E.BADF;
      if (n < 0 || !vm.mem.writeU32(nwrittenPtr, n)) return E.FAULT;
      return E.SUCCESS;
    },
    fd_read: () => E.NOSYS,
    fd_seek: () => {
      vm.log(0, 'wasi_unstable fd_seek');
      return E.SUCCESS;
    },
    fd_close: () => {
      vm.log(0, 'wasi_unstable fd_close');
      return E.SUCCESS;
    },
    fd_fdstat_get(fd: number, statPtr: number): number {
      if (!stdio(fd)) return E.BADF;
      const stat = Buffer.alloc(24);
      stat.writeBigUInt64LE(64n, 8); // fs_rights_base = __WASI_RIGHTS_FD_WRITE
      return vm.mem.write(statPtr, stat) ? E.SUCCESS : E.FAULT;
    },
    fd_fdstat_set_flags: () => E.NOSYS,
    fd_fdstat_set_rights: (fd: number) => (stdio(fd) ? E.SUCCESS : E.BADF),
    fd_advise: () => E.SUCCESS,
    fd_allocate: (fd: number) => (stdio(fd) ? E.SUCCESS : E.BADF),
    fd_datasync: (fd: number) => (stdio(fd) ? E.SUCCESS : E.BADF),
    fd_filestat_get: () => E.BADF,
    fd_filestat_set_size: (fd: number) => (stdio(fd) ? E.SUCCESS : E.BADF),
    fd_filestat_set_times: (fd: number) => (stdio(fd) ? E.SUCCESS : E.BADF),
    fd_pread: () => E.NOSYS,
    fd_prestat_get: () => E.BADF,
    fd_prestat_dir_name: () => E.NOSYS,
    fd_readdir(_fd: number, _buf: number, _len: number, _cookie: bigint, nreadPtr: number): number {
      return vm.mem.writeU32(nreadPtr, 0) ? E.NOTDIR : E.FAULT;
    },
    fd_renumber: (fd: number, to: number) => (stdio(fd) && stdio(to) ? E.NOTSUP : E.BADF),
    fd_sync: (fd: number) => (stdio(fd) ? E.SUCCESS : E.BADF),
    fd_tell(fd: number, retPtr: number): number {
      if (!stdio(fd)) return E.BADF;
      return vm.mem.writeU64(retPtr, 0n) ? E.SUCCESS : E.FAULT;
    },
    environ_sizes_get(countPtr: number, sizePtr: number): number {
      const e = env();
      const ok =
        vm.mem.writeU32(countPtr, e.length) &&
        vm.mem.writeU32(
          sizePtr,
          e.reduce((n, b) => n + b.length, 0),
        );
      return ok ? E.SUCCESS : E.FAULT;
    },
    environ_get(arrayPtr: number, bufPtr: number): number {
      for (const b of env()) {
        if (!vm.mem.writeU32(arrayPtr, bufPtr) || !vm.mem.write(bufPtr, b)) return E.FAULT;
        arrayPtr += 4;
        bufPtr += b.length;
      }
      return E.SUCCESS;
    },
    args_sizes_get: (argcPtr: number, sizePtr: number) =>
      vm.mem.writeU32(argcPtr, 0) && vm.mem.writeU32(sizePtr, 0) ? E.SUCCESS : E.FAULT,
    args_get: () => E.SUCCESS,
    clock_time_get(id: number, _precision: bigint, retPtr: number): number {
      let t: bigint;
      if (id === 0) t = BigInt(Date.now()) * 1_000_000n;
      else if (id === 1) t = process.hrtime.bigint() - START_NS;
      else return E.NOTSUP;
      return vm.mem.writeU64(retPtr, t) ? E.SUCCESS : E.FAULT;
    },
    clock_res_get(id: number, retPtr: number): number {
      if (id !== 0 && id !== 1) return E.NOTSUP;
      return vm.mem.writeU64(retPtr, 1n) ? E.SUCCESS : E.FAULT;
    },
    random_get(ptr: number, len: number): number {
      if (len >>> 0 > RANDOM_GET_MAX) return E.INVAL;
      if (len === 0) return E.SUCCESS;
      return vm.mem.write(ptr, randomFillSync(Buffer.alloc(len >>> 0))) ? E.SUCCESS : E.FAULT;
    },
    sched_yield: () => E.SUCCESS,
    poll_oneoff: (_in: number, _out: number, _n: number, neventsPtr: number) =>
      vm.mem.writeU32(neventsPtr, 0) ? E.SUCCESS : E.FAULT,
    // cpp-host calls context->error(), which Envoy's Context::error logs at trace level; the module
    // continues (AssemblyScript follows its abort with `unreachable`, which then traps).
    proc_exit: (): void => {
      vm.log(0, 'wasi_unstable proc_exit');
    },
    path_open: () => E.NOENT,
    path_create_directory: () => E.NOTSUP,
    path_filestat_get: () => E.NOTSUP,
    path_filestat_set_times: () => E.NOTSUP,
    path_link: () => E.NOTSUP,
    path_readlink(_fd: number, _p: number, _pl: number, _b: number, _bl: number, retPtr: number): number {
      return vm.mem.writeU32(retPtr, 0) ? E.NOTSUP : E.FAULT;
    },
    path_remove_directory: () => E.NOTSUP,
    path_rename: () => E.NOTSUP,
    path_symlink: () => E.NOTSUP,
    path_unlink_file: () => E.NOTSUP,
    sock_accept(_fd: number, _flags: number, retPtr: number): number {
      return vm.mem.writeU64(retPtr, 0n) ? E.NOTSUP : E.FAULT;
    },
    sock_recv(_fd: number, _d: number, _l: number, _f: number, ret0: number, ret1: number): number {
      return vm.mem.writeU32(ret0, 0) && vm.mem.write(ret1, Buffer.alloc(2)) ? E.NOTSUP : E.FAULT;
    },
    sock_send(_fd: number, _d: number, _l: number, _f: number, ret0: number): number {
      return vm.mem.writeU32(ret0, 0) ? E.NOTSUP : E.FAULT;
    },
    sock_shutdown: () => E.NOTSUP,
  };
}
