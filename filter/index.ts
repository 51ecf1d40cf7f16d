// Shadowguard filter entry point: the proxy-wasm ABI 0.2.1 export list and context registry.
// We write our own exports instead of `export *` from @gcoredev/proxy-wasm-sdk-as: the SDK exports
// proxy_on_grpc_trailing_metadata (ABI: proxy_on_grpc_receive_trailing_metadata, so Envoy never
// calls it), its dispatcher logs with string joins on every context creation, and its
// proxy_on_done/proxy_on_delete look root contexts up in the stream map (a trap). What the SDK gets
// right we use: its malloc (the host allocates returned buffers through it) and its import
// declarations (see abi.ts for the ones it gets wrong). Nothing here is meant to abort; if an
// AssemblyScript runtime check ever fails, the wasi-shim abort (asconfig) logs to stderr and the VM
// traps, which Envoy handles per the plugin's fail_open setting.
import { Root } from "./root";
import { HttpContext } from "./context";
import { setCurrentContext, takeLent } from "./host";
import { malloc as gcMalloc } from "@gcoredev/proxy-wasm-sdk-as/assembly/malloc";
import { CONTINUE } from "./abi";
import { nowMs } from "./root";
import { NetContext } from "./network/connection";
import { ContextTable } from "./context-table";

// The host allocates every buffer it returns through this: memory lent for the call (host.ts) when
// the module has some, else a pinned GC buffer (the SDK's malloc) the module takes ownership of.
export function malloc(size: i32): usize {
  const p = takeLent(<usize>size);
  return p != 0 ? p : gcMalloc(size);
}

const roots = new ContextTable(); // Root
const streams = new ContextTable(); // HttpContext
// Network contexts (network-filter role): created at on_new_connection from the context the host
// created (a filter context is HTTP or network only by the callbacks it receives).
const nets = new ContextTable(); // NetContext

function netOf(id: u32): NetContext | null {
  setCurrentContext(id);
  return changetype<NetContext | null>(nets.get(id));
}

function rootOf(id: u32): Root | null {
  setCurrentContext(id);
  return changetype<Root | null>(roots.get(id));
}

function streamOf(id: u32): HttpContext | null {
  setCurrentContext(id);
  return changetype<HttpContext | null>(streams.get(id));
}

// Deleted stream contexts, reused for new streams (no allocation per request).
const spare = new Array<HttpContext>();
const MAX_SPARE = 64;

// Removes a stream; false when id is not one.
function dropStream(id: u32): bool {
  const s = changetype<HttpContext | null>(streams.delete(id));
  if (s === null) return false;
  if (spare.length < MAX_SPARE) { s.release(); spare.push(s); }
  return true;
}

export function proxy_abi_version_0_2_1(): void {}

export function proxy_on_context_create(context_id: u32, parent_context_id: u32): void {
  setCurrentContext(context_id);
  if (parent_context_id == 0) {
    if (!roots.has(context_id)) roots.set(context_id, new Root(context_id));
    return;
  }
  const root = changetype<Root | null>(roots.get(parent_context_id));
  if (root === null) return; // unknown root: the stream passes untouched
  const s = spare.length > 0 ? spare.pop().reuse(context_id, root) : new HttpContext(context_id, root);
  streams.set(context_id, s);
}

export function proxy_on_vm_start(root_context_id: u32, _vm_configuration_size: u32): u32 {
  const r = rootOf(root_context_id);
  return r === null || r.onVmStart() ? 1 : 0;
}

export function proxy_validate_configuration(_root_context_id: u32, _size: u32): u32 { return 1; }

export function proxy_on_configure(root_context_id: u32, plugin_configuration_size: u32): u32 {
  const r = rootOf(root_context_id);
  if (r === null) return 0;
  return r.onConfigure(plugin_configuration_size) ? 1 : 0;
}

export function proxy_on_tick(root_context_id: u32): void {
  const r = rootOf(root_context_id);
  if (r !== null) r.onTick();
}

export function proxy_on_queue_ready(_root_context_id: u32, _token: u32): void {}
export function proxy_on_foreign_function(_root_context_id: u32, _function_id: u32, _size: u32): void {}

export function proxy_on_request_headers(context_id: u32, _headers: u32, _end_of_stream: u32): i32 {
  const s = streamOf(context_id);
  return s === null ? CONTINUE : s.onRequestHeaders();
}
export function proxy_on_request_body(context_id: u32, body_size: u32, _end_of_stream: u32): i32 {
  const s = streamOf(context_id);
  return s === null ? CONTINUE : s.onRequestBody(body_size);
}
export function proxy_on_request_trailers(_context_id: u32, _trailers: u32): i32 { return CONTINUE; }
export function proxy_on_request_metadata(_context_id: u32, _elements: u32): i32 { return CONTINUE; }

export function proxy_on_response_headers(context_id: u32, _headers: u32, end_of_stream: u32): i32 {
  const s = streamOf(context_id);
  return s === null ? CONTINUE : s.onResponseHeaders(end_of_stream != 0);
}
export function proxy_on_response_body(context_id: u32, body_size: u32, end_of_stream: u32): i32 {
  const s = streamOf(context_id);
  return s === null ? CONTINUE : s.onResponseBody(body_size, end_of_stream != 0);
}
export function proxy_on_response_trailers(context_id: u32, _trailers: u32): i32 {
  const s = streamOf(context_id);
  return s === null ? CONTINUE : s.onResponseTrailers();
}
export function proxy_on_response_metadata(_context_id: u32, _elements: u32): i32 { return CONTINUE; }

export function proxy_on_log(context_id: u32): void {
  const s = streamOf(context_id);
  if (s !== null) s.onLog();
}

// Network filter callbacks (spec: proxy_on_new_connection … proxy_on_upstream_connection_close).
export function proxy_on_new_connection(context_id: u32): i32 {
  setCurrentContext(context_id);
  const s = changetype<HttpContext | null>(streams.get(context_id));
  if (s === null) return CONTINUE; // unknown root: the connection passes untouched
  const n = new NetContext(context_id, s.root);
  dropStream(context_id);
  nets.set(context_id, n);
  return n.onNewConnection();
}
export function proxy_on_downstream_data(context_id: u32, data_size: u32, end_of_stream: u32): i32 {
  const n = netOf(context_id);
  return n === null ? CONTINUE : n.onDownstreamData(data_size, end_of_stream != 0);
}
export function proxy_on_upstream_data(context_id: u32, data_size: u32, end_of_stream: u32): i32 {
  const n = netOf(context_id);
  return n === null ? CONTINUE : n.onUpstreamData(data_size, end_of_stream != 0);
}
export function proxy_on_downstream_connection_close(context_id: u32, _peer_type: u32): void {
  const n = netOf(context_id);
  if (n !== null) n.onClose();
}
export function proxy_on_upstream_connection_close(context_id: u32, _peer_type: u32): void {
  netOf(context_id);
}

export function proxy_on_done(context_id: u32): u32 {
  setCurrentContext(context_id);
  const n = changetype<NetContext | null>(nets.get(context_id));
  if (n !== null) { n.onClose(); return 1; }
  const r = changetype<Root | null>(roots.get(context_id));
  if (r !== null) {
    const s = r.stream;
    if (s !== null) s.close();
  }
  return 1;
}

export function proxy_on_delete(context_id: u32): void {
  setCurrentContext(context_id);
  if (dropStream(context_id)) return;
  if (nets.delete(context_id) !== null) return;
  const r = changetype<Root | null>(roots.delete(context_id));
  if (r !== null) {
    const s = r.stream;
    if (s !== null) s.cancel();
  }
}

export function proxy_on_http_call_response(_root: u32, _token: u32, _headers: u32, _body_size: u32, _trailers: u32): void {}

// gRPC stream callbacks always name the root context that opened the stream.
export function proxy_on_grpc_receive_initial_metadata(root_context_id: u32, token: u32, _elements: u32): void {
  const r = rootOf(root_context_id);
  if (r === null) return;
  const s = r.stream;
  if (s !== null) s.onInitialMetadata(token);
}

export function proxy_on_grpc_receive(root_context_id: u32, token: u32, message_size: u32): void {
  const r = rootOf(root_context_id);
  if (r === null) return;
  const s = r.stream;
  if (s !== null) s.onReceive(token, message_size);
}

export function proxy_on_grpc_receive_trailing_metadata(root_context_id: u32, _token: u32, _elements: u32): void {
  rootOf(root_context_id);
}

export function proxy_on_grpc_close(root_context_id: u32, token: u32, status_code: u32): void {
  const r = rootOf(root_context_id);
  if (r === null) return;
  const s = r.stream;
  if (s !== null) s.onClose(token, status_code, nowMs());
}
