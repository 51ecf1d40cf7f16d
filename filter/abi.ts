// Exact proxy-wasm ABI 0.2.1 bindings that @gcoredev/proxy-wasm-sdk-as gets wrong.
// The SDK declares proxy_grpc_stream with 7 params (ABI: 9, initial metadata pairs are missing) and
// proxy_grpc_call with 10 (ABI: 12); Envoy refuses to load a module whose import signatures differ
// (cpp-host "import type mismatch"), so we declare them here with the signatures from
// proxy-wasm/spec abi-versions/v0.2.1 and never call the SDK's versions. Everything else the filter
// imports comes from the SDK's imports.ts, whose signatures match 0.2.1.

// @ts-ignore: decorator
@external("env", "proxy_grpc_stream")
export declare function proxy_grpc_stream(
  grpc_service_ptr: usize, grpc_service_size: usize,
  service_name_ptr: usize, service_name_size: usize,
  method_name_ptr: usize, method_name_size: usize,
  initial_metadata_ptr: usize, initial_metadata_size: usize,
  token_ptr: usize): u32;

// @ts-ignore: decorator
@external("env", "proxy_grpc_call")
export declare function proxy_grpc_call(
  grpc_service_ptr: usize, grpc_service_size: usize,
  service_name_ptr: usize, service_name_size: usize,
  method_name_ptr: usize, method_name_size: usize,
  initial_metadata_ptr: usize, initial_metadata_size: usize,
  message_ptr: usize, message_size: usize,
  timeout_ms: u32, token_ptr: usize): u32;

// @ts-ignore: decorator
@external("env", "proxy_grpc_send")
export declare function proxy_grpc_send(token: u32, message_ptr: usize, message_size: usize, end_stream: u32): u32;

// @ts-ignore: decorator
@external("env", "proxy_grpc_close")
export declare function proxy_grpc_close(token: u32): u32;

// @ts-ignore: decorator
@external("env", "proxy_grpc_cancel")
export declare function proxy_grpc_cancel(token: u32): u32;

// proxy_set_buffer_bytes: the SDK types data/size as pointers-to-pointers; the wasm signature
// (i32 x5) is the same, but the ABI passes the data pointer and length directly.
// @ts-ignore: decorator
@external("env", "proxy_set_buffer_bytes")
export declare function proxy_set_buffer_bytes(buffer_type: u32, start: u32, length: u32, data_ptr: usize, data_size: usize): u32;

// Status codes (proxy_status_t).
export const OK: u32 = 0;
export const NOT_FOUND: u32 = 1;
export const CAS_MISMATCH: u32 = 8;

// Header map types (ABI 0.2.1 numbering).
export const REQUEST_HEADERS: i32 = 0;
export const RESPONSE_HEADERS: i32 = 2;
export const RESPONSE_TRAILERS: i32 = 3;
export const GRPC_INITIAL_METADATA: i32 = 4;

// Buffer types.
export const HTTP_REQUEST_BODY: i32 = 0;
export const HTTP_RESPONSE_BODY: i32 = 1;
export const GRPC_RECEIVE_BUFFER: i32 = 5;
export const VM_CONFIGURATION: i32 = 6;
export const PLUGIN_CONFIGURATION: i32 = 7;

// proxy_action_t
export const CONTINUE: i32 = 0;
export const PAUSE: i32 = 1;
