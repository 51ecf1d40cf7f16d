// Shadowguard filter entry point: registers the root context and re-exports the ABI 0.2.1 callbacks.
// For now a pass-through module; the filter issue grows it into the edge/shadow/live roles.
export * from "@gcoredev/proxy-wasm-sdk-as/assembly/proxy";
import {
  RootContext,
  Context,
  registerRootContext,
  FilterHeadersStatusValues,
} from "@gcoredev/proxy-wasm-sdk-as/assembly";

class PassThroughRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new PassThrough(context_id, this);
  }
}

class PassThrough extends Context {
  constructor(context_id: u32, root_context: PassThroughRoot) {
    super(context_id, root_context);
  }
  onRequestHeaders(_headers: u32, _end_of_stream: bool): FilterHeadersStatusValues {
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => {
  return new PassThroughRoot(context_id);
}, "shadowguard");
