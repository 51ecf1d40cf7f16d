// sandbox/host: an Envoy-faithful proxy-wasm (ABI 0.2.1) host; how to load a module and drive it: README.md.

export { Host, type HostOptions } from './host.js';
export { Plugin, type PluginOptions, type LogEntry } from './plugin.js';
export { HttpStream, type StreamOptions, type Verdict, type Outcome } from './stream.js';
export { TcpConnection, type TcpConnectionOptions } from './tcp-connection.js';
export type { ForwardEvent, DirectionName } from './direction.js';
export type { LocalResponse } from './local-reply.js';
export type { CalloutRecord, CalloutKind, CalloutState } from './callouts/record.js';
export type { ClusterSpec } from './clusters.js';
export type { MetricSnapshot, MetricKind } from './metrics.js';
export type { HeaderList } from './headers.js';
export { encodePairs, decodePairs } from './headers.js';
export { encodeGrpcService } from './callouts/grpc-service.js';
export { LoadError } from './loader.js';
export { uint64, double, Timestamp, Duration } from './properties.js';
export { WasmResult, HeaderMapType, BufferType, StreamType, MetricType, type LogLevel } from './abi.js';
