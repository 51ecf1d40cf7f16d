// The proxy-wasm ABI 0.2.1 as Envoy registers it: every host function a module may import (with its
// exact wasm signature) and the enumerations shared by host and module. The loader checks imports
// against IMPORT_SIGNATURES; nothing else in the host hard-codes a name or a number.
//
// Sources: proxy-wasm-cpp-host include/proxy-wasm/exports.h (FOR_ALL_HOST_FUNCTIONS,
// FOR_ALL_HOST_FUNCTIONS_ABI_SPECIFIC, FOR_ALL_WASI_FUNCTIONS and the C++ prototypes: `Word` is i32 on
// wasm32, `int64_t`/`uint64_t` are i64), src/wasm.cc registerCallbacks() (which of the ABI-specific
// functions 0.2.1 gets; WASI under both module names), Envoy source/extensions/common/wasm/wasm.cc
// (`env.envoy_resolve_dns`).

export type ValType = 'i32' | 'i64' | 'f32' | 'f64';
export interface Signature {
  params: ValType[];
  results: ValType[];
}

const sig = (params: string, results = 'i32'): Signature => ({
  params: params ? (params.split(',') as ValType[]) : [],
  results: results ? (results.split(',') as ValType[]) : [],
});
const i32s = (n: number): string => Array(n).fill('i32').join(',');

/** `env.proxy_*` host functions of ABI 0.2.1 (FOR_ALL_HOST_FUNCTIONS + continue_stream, close_stream, get_log_level). */
const PROXY: Record<string, Signature> = {
  proxy_log: sig(i32s(3)),
  proxy_get_status: sig(i32s(3)),
  proxy_set_property: sig(i32s(4)),
  proxy_get_property: sig(i32s(4)),
  proxy_send_local_response: sig(i32s(8)),
  proxy_get_shared_data: sig(i32s(5)),
  proxy_set_shared_data: sig(i32s(5)),
  proxy_register_shared_queue: sig(i32s(3)),
  proxy_resolve_shared_queue: sig(i32s(5)),
  proxy_dequeue_shared_queue: sig(i32s(3)),
  proxy_enqueue_shared_queue: sig(i32s(3)),
  proxy_get_header_map_value: sig(i32s(5)),
  proxy_add_header_map_value: sig(i32s(5)),
  proxy_replace_header_map_value: sig(i32s(5)),
  proxy_remove_header_map_value: sig(i32s(3)),
  proxy_get_header_map_pairs: sig(i32s(3)),
  proxy_set_header_map_pairs: sig(i32s(3)),
  proxy_get_header_map_size: sig(i32s(2)),
  proxy_get_buffer_status: sig(i32s(3)),
  proxy_get_buffer_bytes: sig(i32s(5)),
  proxy_set_buffer_bytes: sig(i32s(5)),
  proxy_http_call: sig(i32s(10)),
  proxy_grpc_call: sig(i32s(12)),
  proxy_grpc_stream: sig(i32s(9)),
  proxy_grpc_close: sig(i32s(1)),
  proxy_grpc_cancel: sig(i32s(1)),
  proxy_grpc_send: sig(i32s(4)),
  proxy_set_tick_period_milliseconds: sig(i32s(1)),
  proxy_get_current_time_nanoseconds: sig(i32s(1)),
  proxy_define_metric: sig(i32s(4)),
  proxy_increment_metric: sig('i32,i64'),
  proxy_record_metric: sig('i32,i64'),
  proxy_get_metric: sig(i32s(2)),
  proxy_set_effective_context: sig(i32s(1)),
  proxy_done: sig(''),
  proxy_call_foreign_function: sig(i32s(6)),
  proxy_continue_stream: sig(i32s(1)),
  proxy_close_stream: sig(i32s(1)),
  proxy_get_log_level: sig(i32s(1)),
};

/** Other `env` imports cpp-host and Envoy register regardless of ABI. */
const ENV_EXTRA: Record<string, Signature> = {
  pthread_equal: sig(i32s(2)),
  emscripten_notify_memory_growth: sig('i32', ''),
  envoy_resolve_dns: sig(i32s(3)),
};

/** WASI preview1 functions with the prototypes cpp-host registers (exports.h). */
export const WASI: Record<string, Signature> = {
  fd_write: sig(i32s(4)),
  fd_read: sig(i32s(4)),
  fd_seek: sig('i32,i64,i32,i32'),
  fd_close: sig('i32'),
  fd_fdstat_get: sig(i32s(2)),
  fd_fdstat_set_flags: sig(i32s(2)),
  fd_fdstat_set_rights: sig('i32,i64,i64'),
  environ_get: sig(i32s(2)),
  environ_sizes_get: sig(i32s(2)),
  args_get: sig(i32s(2)),
  args_sizes_get: sig(i32s(2)),
  clock_time_get: sig('i32,i64,i32'),
  clock_res_get: sig(i32s(2)),
  fd_advise: sig('i32,i64,i64,i32'),
  fd_allocate: sig('i32,i64,i64'),
  fd_datasync: sig('i32'),
  fd_filestat_set_size: sig('i32,i64'),
  fd_filestat_set_times: sig('i32,i64,i64,i32'),
  fd_pread: sig('i32,i32,i32,i64,i32'),
  fd_pwrite: sig('i32,i32,i32,i64,i32'),
  fd_readdir: sig('i32,i32,i32,i64,i32'),
  fd_renumber: sig(i32s(2)),
  fd_sync: sig('i32'),
  fd_tell: sig(i32s(2)),
  path_create_directory: sig(i32s(3)),
  path_filestat_set_times: sig('i32,i32,i32,i32,i64,i64,i32'),
  path_link: sig(i32s(6)),
  path_readlink: sig(i32s(6)),
  path_remove_directory: sig(i32s(3)),
  path_rename: sig(i32s(6)),
  path_symlink: sig(i32s(4)),
  path_unlink_file: sig(i32s(3)),
  sock_accept: sig(i32s(3)),
  sock_recv: sig(i32s(6)),
  sock_send: sig(i32s(5)),
  sock_shutdown: sig(i32s(2)),
  random_get: sig(i32s(2)),
  sched_yield: sig(''),
  poll_oneoff: sig(i32s(4)),
  proc_exit: sig('i32', ''),
  path_open: sig('i32,i32,i32,i32,i32,i64,i64,i32,i32'),
  fd_prestat_get: sig(i32s(2)),
  fd_prestat_dir_name: sig(i32s(3)),
  path_filestat_get: sig(i32s(5)),
  fd_filestat_get: sig(i32s(2)),
};

export const WASI_MODULES = ['wasi_snapshot_preview1', 'wasi_unstable'] as const;

/** "module.name" → signature, for every import an ABI 0.2.1 module may declare. */
export const IMPORT_SIGNATURES: ReadonlyMap<string, Signature> = new Map([
  ...Object.entries(PROXY).map(([n, s]) => [`env.${n}`, s] as const),
  ...Object.entries(ENV_EXTRA).map(([n, s]) => [`env.${n}`, s] as const),
  ...WASI_MODULES.flatMap((m) => Object.entries(WASI).map(([n, s]) => [`${m}.${n}`, s] as const)),
]);

/** Functions a module may call while `_initialize`/`_start` runs (cpp-host WasmBase::startVm); others trap. */
export const START_ALLOWED = new Set<string>([
  'env.emscripten_notify_memory_growth',
  'env.proxy_log',
  ...WASI_MODULES.flatMap((m) =>
    Object.keys(WASI)
      .filter((n) => !['fd_read', 'fd_seek', 'fd_close', 'sched_yield', 'proc_exit', 'path_open'].includes(n))
      .map((n) => `${m}.${n}`),
  ),
]);

export const formatSignature = (s: Signature): string => `(${s.params.join(', ')}) -> (${s.results.join(', ')})`;

export const WasmResult = {
  Ok: 0,
  NotFound: 1,
  BadArgument: 2,
  SerializationFailure: 3,
  ParseFailure: 4,
  BadExpression: 5,
  InvalidMemoryAccess: 6,
  Empty: 7,
  CasMismatch: 8,
  ResultMismatch: 9,
  InternalFailure: 10,
  BrokenConnection: 11,
  Unimplemented: 12,
} as const;

export const HeaderMapType = {
  RequestHeaders: 0,
  RequestTrailers: 1,
  ResponseHeaders: 2,
  ResponseTrailers: 3,
  GrpcReceiveInitialMetadata: 4,
  GrpcReceiveTrailingMetadata: 5,
  HttpCallResponseHeaders: 6,
  HttpCallResponseTrailers: 7,
} as const;
export const HEADER_MAP_TYPE_MAX = 7;

export const BufferType = {
  HttpRequestBody: 0,
  HttpResponseBody: 1,
  DownstreamData: 2,
  UpstreamData: 3,
  HttpCallResponseBody: 4,
  GrpcReceiveBuffer: 5,
  VmConfiguration: 6,
  PluginConfiguration: 7,
  CallData: 8,
} as const;
export const BUFFER_TYPE_MAX = 8;

export const StreamType = { Request: 0, Response: 1, Downstream: 2, Upstream: 3 } as const;
export const MetricType = { Counter: 0, Gauge: 1, Histogram: 2 } as const;
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'critical'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Envoy Http::FilterHeadersStatus / FilterDataStatus / FilterTrailersStatus names (envoy/http/filter.h). */
export type EnvoyFilterStatus =
  | 'Continue'
  | 'StopIteration'
  | 'StopAllIterationAndBuffer'
  | 'StopAllIterationAndWatermark'
  | 'StopIterationAndBuffer'
  | 'StopIterationAndWatermark'
  | 'StopIterationNoBuffer';

/** Callout token types: ids are 4k + type (cpp-host wasm.h nextHttpCallId & co., kCalloutIncrement = 4). */
export const CalloutType = { HttpCall: 0, GrpcCall: 1, GrpcStream: 2 } as const;
