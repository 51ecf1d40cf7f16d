// sandbox/host — an Envoy-faithful proxy-wasm (ABI 0.2.1) host: runs a real .wasm module on V8 and
// behaves as Envoy + proxy-wasm-cpp-host do, call for call. It is the filter's test harness (shaped
// like proxy-wasm-go-sdk's proxytest) and the engine of the sandbox mesh.
//
// Public API:
//
//   const host = new Host({ clusters: { name: { host, port, http2? } }, logLevel?: 'trace'…, onLog? });
//   host.addCluster(name, spec)            host.sharedData.get(vmId, key) → { value: Buffer, cas } | undefined
//   host.stats                             host.close(): Promise<void>
//
//   const plugin = await host.loadPlugin({
//     wasm: 'build/shadowguard.wasm' | Uint8Array,
//     configuration?: string | Uint8Array | object (→ JSON), vmConfiguration?: string | Uint8Array,
//     name?: 'shadowguard', rootId?: '', vmId?: '', workers?: 1, failOpen?: false,
//     allowOnHeadersStopIteration?: false, environment?: { KEY: 'v' },
//     properties?: { 'xds.listener_direction': 2, 'xds.node': { id, cluster, metadata } },
//   });  // rejects with LoadError: missing/other ABI, import missing or of the wrong type (named,
//        // with both signatures), start trap, on_vm_start/on_configure false or trap (canary VM)
//   VM sharing (cpp-host createWasm / getOrCreateThreadLocalWasm): plugins of one Host with the same
//   vmId + vmConfiguration + code (hash) share the base VM and each worker's VM — module globals
//   included — each with its own root context (ids continue the VM's counter: the second plugin's
//   root is 2) that gets create → on_vm_start → on_configure. A trap fails the VM for every plugin in
//   it (a plugin loaded later gets a fresh VM); close() ends only that plugin's root (on_done/on_delete,
//   its callouts cancelled); the VMs go with the last plugin of their key. Each plugin has its own canary.
//   Callouts reach the network on the next event-loop turn, so the canary's (cancelled when it is
//   dropped right after on_configure) never do, and it gets no callbacks — as in Envoy.
//   plugin.newStream({ worker?: 0, properties?: { 'source.address': '10.0.0.1:1234', … }, autoComplete?: true })
//   plugin.logs(level?) : string[]        plugin.logEntries() : { level, message, worker, contextId }[]
//                                          (worker 'canary' entries are the canary VM's: Envoy logs them too)
//   plugin.metric(name) : number | undefined (histogram: sample count)   plugin.metrics() : Map<name, MetricSnapshot>
//   plugin.callouts() : CalloutRecord[]   (http / grpc_call / grpc_stream: cluster, authority, headers|metadata,
//                                          body, messages sent, state, response | received + grpcStatus)
//   plugin.tick(worker?)                  plugin.failed / plugin.failures   plugin.workers (the VMs, maybe shared)
//   await plugin.waitFor(() => cond, timeoutMs?)                      await plugin.close()
//
//   const s = plugin.newStream();          // verbs return Envoy's next step: 'continue' | 'stop'; they throw
//                                          // only on driver misuse (headers twice, body before headers/after end)
//   s.sendRequestHeaders([[':method','GET'], [':path','/x'], [':authority','a']], endOfStream?)
//   s.sendRequestBody('…' | Uint8Array, endOfStream?)    s.sendRequestTrailers([...])
//   s.sendResponseHeaders([[':status','200']], endOfStream?)  s.sendResponseBody(…)  s.sendResponseTrailers(…)
//   s.complete()   // on_log → on_done → on_delete (automatic once the response end passed, unless autoComplete: false)
//   s.reset()      // downstream reset
//   s.requestHeaders / responseHeaders / requestTrailers / responseTrailers : Array<[string, string]>
//   s.requestBody / responseBody : Buffer      s.localResponse : { status, headers, body, details, grpcStatus } | undefined
//   s.filterState : Map<'wasm.<path>', Buffer> (get/has also take the bare path)   s.routeCacheClears
//   s.lastStatus : { request, response } (Envoy status names)   s.wasReset   s.finished   s.id (context id)
//   Async: s.on('forward', ev)  (ev: { direction, kind: headers|data|trailers, headers?, data?, endOfStream })
//          s.on('continue', direction)  s.on('localReply', lr)  s.on('reset', details)  s.on('complete')
//          await s.continued('request' | 'response') → 'continue' | 'local_reply' | 'reset' | 'complete'
//
//   const c = plugin.newConnection({ source?, destination?: '10.0.0.9:5432', sni?, cluster?, properties? })
//   c.on('connect', cluster) → dial, then c.upstreamConnected(address); c.start() → 'continue' | 'stop'
//   c.receiveDownstream(bytes, eos?) → c.on('upstream', bytes)   c.receiveUpstream(bytes, eos?) → c.on('downstream', bytes)
//   c.on('close', details)  c.close('remote')   c.toUpstream / c.toClient : Buffer[]   (network filter, tcp-connection.ts)
//
// Helpers: encodeGrpcService(cluster, authority?) (serialized envoy.config.core.v3.GrpcService),
// encodePairs/decodePairs (proxy-wasm pairs), uint64/double/Timestamp/Duration (typed property values).

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
