// The compiled module against proxy-wasm ABI 0.2.1 as Envoy implements it (reference §5.2/§5.3):
// every import exists in 0.2.1 with the exact signature (the SDK's 10-param proxy_grpc_call and
// 7-param proxy_grpc_stream would not load), the callbacks Envoy looks up are exported with their
// signatures, and the release module stays within its size budget. Parsed independently of the host.
import { describe, expect, it } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import { hostWith, load, edgeConfig } from './support/fixtures.js';

type Sig = string; // "i32,i32->i32"
const I = (n: number, r = 'i32'): Sig => `${Array(n).fill('i32').join(',')}->${r}`;

/** ABI 0.2.1 host functions (env) Envoy registers, with wasm32 signatures. */
const ENV_0_2_1: Record<string, Sig> = {
  proxy_log: I(3),
  proxy_get_log_level: I(1),
  proxy_get_status: I(3),
  proxy_set_property: I(4),
  proxy_get_property: I(4),
  proxy_send_local_response: I(8),
  proxy_get_shared_data: I(5),
  proxy_set_shared_data: I(5),
  proxy_register_shared_queue: I(3),
  proxy_resolve_shared_queue: I(5),
  proxy_dequeue_shared_queue: I(3),
  proxy_enqueue_shared_queue: I(3),
  proxy_get_header_map_value: I(5),
  proxy_add_header_map_value: I(5),
  proxy_replace_header_map_value: I(5),
  proxy_remove_header_map_value: I(3),
  proxy_get_header_map_pairs: I(3),
  proxy_set_header_map_pairs: I(3),
  proxy_get_header_map_size: I(2),
  proxy_get_buffer_status: I(3),
  proxy_get_buffer_bytes: I(5),
  proxy_set_buffer_bytes: I(5),
  proxy_http_call: I(10),
  proxy_grpc_call: I(12),
  proxy_grpc_stream: I(9),
  proxy_grpc_send: I(4),
  proxy_grpc_cancel: I(1),
  proxy_grpc_close: I(1),
  proxy_set_tick_period_milliseconds: I(1),
  proxy_get_current_time_nanoseconds: I(1),
  proxy_define_metric: I(4),
  proxy_increment_metric: 'i32,i64->i32',
  proxy_record_metric: 'i32,i64->i32',
  proxy_get_metric: I(2),
  proxy_set_effective_context: I(1),
  proxy_done: I(0),
  proxy_call_foreign_function: I(6),
  proxy_continue_stream: I(1),
  proxy_close_stream: I(1),
};
const WASI: Record<string, Sig> = {
  fd_write: I(4),
  proc_exit: 'i32->',
  clock_time_get: 'i32,i64,i32->i32',
  random_get: I(2),
  environ_get: I(2),
  environ_sizes_get: I(2),
  args_get: I(2),
  args_sizes_get: I(2),
};

/** Callbacks Envoy looks up, with signatures (cpp-host wasm.h). */
const EXPORTS: Record<string, Sig> = {
  proxy_abi_version_0_2_1: '->',
  malloc: I(1),
  proxy_on_context_create: 'i32,i32->',
  proxy_on_vm_start: I(2),
  proxy_on_configure: I(2),
  proxy_on_tick: 'i32->',
  proxy_on_request_headers: I(3),
  proxy_on_request_body: I(3),
  proxy_on_request_trailers: I(2),
  proxy_on_response_headers: I(3),
  proxy_on_response_body: I(3),
  proxy_on_response_trailers: I(2),
  proxy_on_log: 'i32->',
  proxy_on_done: I(1),
  proxy_on_delete: 'i32->',
  proxy_on_http_call_response: 'i32,i32,i32,i32,i32->',
  proxy_on_grpc_receive_initial_metadata: 'i32,i32,i32->',
  proxy_on_grpc_receive: 'i32,i32,i32->',
  proxy_on_grpc_receive_trailing_metadata: 'i32,i32,i32->',
  proxy_on_grpc_close: 'i32,i32,i32->',
};

function parse(bytes: Buffer) {
  let p = 8;
  const u = (): number => {
    let r = 0,
      s = 0,
      b: number;
    do {
      b = bytes[p++]!;
      r |= (b & 0x7f) << s;
      s += 7;
    } while (b & 0x80);
    return r >>> 0;
  };
  const name = (): string => {
    const n = u();
    const s = bytes.subarray(p, p + n).toString();
    p += n;
    return s;
  };
  const vt: Record<number, string> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64' };
  const types: Sig[] = [];
  const imports: Array<{ module: string; name: string; sig: Sig }> = [];
  const funcTypes: number[] = [];
  const exports: Record<string, Sig> = {};
  const exportFuncs: Array<[string, number]> = [];
  while (p < bytes.length) {
    const id = bytes[p++]!;
    const size = u();
    const end = p + size;
    if (id === 1) {
      for (let n = u(); n > 0; n--) {
        p++;
        const ps = Array.from({ length: u() }, () => vt[bytes[p++]!]);
        const rs = Array.from({ length: u() }, () => vt[bytes[p++]!]);
        types.push(`${ps.join(',')}->${rs.join(',')}`);
      }
    } else if (id === 2) {
      for (let n = u(); n > 0; n--) {
        const module = name();
        const nm = name();
        const kind = bytes[p++]!;
        if (kind === 0) {
          const t = u();
          imports.push({ module, name: nm, sig: types[t]! });
          funcTypes.push(t);
        } else if (kind === 1) {
          p++;
          const f = bytes[p++]!;
          u();
          if (f & 1) u();
        } else if (kind === 2) {
          const f = bytes[p++]!;
          u();
          if (f & 1) u();
        } else {
          p += 2;
        }
      }
    } else if (id === 3) {
      for (let n = u(); n > 0; n--) funcTypes.push(u());
    } else if (id === 7) {
      for (let n = u(); n > 0; n--) {
        const nm = name();
        const kind = bytes[p++]!;
        const idx = u();
        if (kind === 0) exportFuncs.push([nm, idx]);
      }
    }
    p = end;
  }
  for (const [nm, idx] of exportFuncs) exports[nm] = types[funcTypes[idx]!]!;
  return { imports, exports };
}

describe.each(['build/shadowguard.wasm', 'build/shadowguard.debug.wasm'])('%s', (file) => {
  const { imports, exports } = parse(readFileSync(file));

  it('imports only ABI 0.2.1 functions, with their exact signatures', () => {
    for (const imp of imports) {
      const table = imp.module === 'env' ? ENV_0_2_1 : imp.module === 'wasi_snapshot_preview1' ? WASI : {};
      expect(table[imp.name], `${imp.module}.${imp.name}`).toBeDefined();
      expect(imp.sig, `${imp.module}.${imp.name}`).toBe(table[imp.name]);
    }
    expect(imports.length).toBeGreaterThan(15);
    const names = imports.map((i) => i.name);
    expect(names).toContain('proxy_grpc_stream');
    expect(names).not.toContain('proxy_clear_route_cache'); // 0.1.0-only
    expect(names).not.toContain('proxy_get_configuration');
  });

  it('exports the callbacks Envoy calls, with their signatures, and not the SDK’s misnamed one', () => {
    for (const [nm, sig] of Object.entries(EXPORTS)) expect(exports[nm], nm).toBe(sig);
    expect(exports).not.toHaveProperty('proxy_on_grpc_trailing_metadata');
    expect(
      Object.keys(exports).filter((n) => !n.startsWith('proxy_') && !['malloc', '_start', 'memory'].includes(n)),
    ).toEqual([]);
  });
});

describe('module', () => {
  // 150 KiB until the network-filter role (issue 9: connection rules, PostgreSQL/Redis guards, SQL
  // screening) added ~36 KB; with it the module was ~177 KiB (docs/data-layer.md, bench/RESULTS.md);
  // the opt-in request capture (issue 10: Half fields 17-20) took it to ~180.5 KiB. shrinkLevel 1
  // would save 17 KB but measured ~5 % slower on the edge paths, so the budget moved instead. 185 KiB
  // since the issue-9 speed round: pooled captures (Capture.take/recycle) cut a sampled request's
  // cost by ~20 % and needed ~870 B; the round's other changes freed about as much as they used.
  it('the release build is at most 185 KiB', () => {
    expect(statSync('build/shadowguard.wasm').size).toBeLessThanOrEqual(185 * 1024);
  });

  it('loads in the Envoy-faithful host (its loader rejects any ABI mismatch)', async () => {
    const host = hostWith();
    const plugin = await load(host, edgeConfig());
    expect(plugin.failed).toBe(false);
    await host.close();
  });
});
