// HTTP and gRPC callouts from the module (Envoy Context::httpCall/grpcCall/grpcStream/grpcSend/
// grpcClose/grpcCancel). Every callout belongs to the caller's ROOT context and reports back to it;
// tokens are per VM: HTTP 4, 8…, gRPC calls 5, 9…, gRPC streams 6, 10…. Data a callback may read
// (response headers/body/trailers, metadata, the received message) lives on the root only for the
// duration of that callback, and is cleared first among the after-call actions, as Envoy does.
// The network half starts on the next event-loop turn (callouts/deferred.ts), so a root destroyed
// before then (the canary) sends nothing and gets no callbacks.

import { CalloutType, WasmResult as R } from '../abi.js';
import { deferGrpc, deferHttp } from '../callouts/deferred.js';
import { startGrpc, type GrpcHandlers } from '../callouts/grpc.js';
import { parseGrpcService } from '../callouts/grpc-service.js';
import { sendHttp, type HttpOutcome } from '../callouts/http.js';
import { newRecord } from '../callouts/record.js';
import { decodePairs, HeaderMap, type HeaderList } from '../headers.js';
import type { RootContext } from '../root.js';
import type { Vm } from '../vm.js';
import type { ImportGroup } from './index.js';

const typeOf = (token: number): number => token & 3;

export function calloutImports(vm: Vm): ImportGroup {
  const clusters = vm.config.host.clusters;
  const worker = vm.label;

  /** Runs `fn` now, or after the current VM call when the network answered re-entrantly. */
  const onLoop = (fn: () => void): void => (vm.inCall ? vm.defer(fn) : fn());

  function resolveGrpcTarget(bytes: Buffer): {
    code: number;
    cluster?: string;
    authority?: string;
    metadata?: HeaderList;
  } {
    const svc = parseGrpcService(bytes);
    if (!svc) {
      const name = bytes.toString('utf8');
      return clusters.has(name)
        ? { code: R.Ok, cluster: name, authority: name, metadata: [] }
        : { code: R.ParseFailure };
    }
    if (svc.googleGrpc || svc.clusterName === undefined) return { code: R.BadArgument };
    if (!clusters.has(svc.clusterName)) return { code: R.InternalFailure }; // Envoy: "Cluster not available", no stream
    return {
      code: R.Ok,
      cluster: svc.clusterName,
      authority: svc.authority || svc.clusterName,
      metadata: svc.initialMetadata,
    };
  }

  function grpcHandlers(root: RootContext, token: number, unary: boolean): GrpcHandlers {
    const record = () => root.callouts.get(token)?.record;
    let response: Buffer | undefined;
    const alive = (): boolean => root.callouts.has(token) && !root.deleted;
    const deliver = (name: string, ...args: number[]): void => {
      if (!vm.failed) vm.callback(name, root, root.id, token, ...args);
    };
    /** Calls `name` with `data` readable on the root for that callback only (cleared after it). */
    const deliverWith = <K extends 'grpcInitialMetadata' | 'grpcTrailingMetadata' | 'grpcReceiveBuffer'>(
      key: K,
      data: NonNullable<RootContext[K]>,
      name: string,
      size: number,
    ): void => {
      root[key] = data;
      vm.defer(() => {
        root[key] = undefined;
      });
      deliver(name, size);
    };
    return {
      onInitialMetadata: (md) =>
        onLoop(() => {
          if (unary || !alive()) return;
          deliverWith('grpcInitialMetadata', new HeaderMap(md), 'proxy_on_grpc_receive_initial_metadata', md.length);
        }),
      onMessage: (msg) =>
        onLoop(() => {
          if (!alive()) return;
          record()?.received.push(msg);
          if (unary) {
            response = msg;
            return;
          }
          deliverWith('grpcReceiveBuffer', msg, 'proxy_on_grpc_receive', msg.length);
        }),
      onTrailingMetadata: (md) =>
        onLoop(() => {
          if (unary || !alive()) return;
          deliverWith('grpcTrailingMetadata', new HeaderMap(md), 'proxy_on_grpc_receive_trailing_metadata', md.length);
        }),
      onClose: (status, message) =>
        onLoop(() => {
          if (!alive()) return;
          const c = root.callouts.get(token)!;
          c.record.grpcStatus = status;
          c.record.grpcMessage = message;
          c.remoteClosed = true;
          if (unary && status === 0 && response) {
            // AsyncRequestImpl::onRemoteClose → onSuccessRaw: only on_grpc_receive is delivered.
            c.record.state = 'done';
            root.callouts.delete(token);
            deliverWith('grpcReceiveBuffer', response, 'proxy_on_grpc_receive', response.length);
            return;
          }
          c.record.state = status === 0 ? 'done' : 'failed';
          if (unary || c.localClosed) root.callouts.delete(token);
          const st = unary && status === 0 ? 13 : status; // OK without a message is Internal for a unary call
          root.status = { code: st, message };
          vm.defer(() => {
            root.status = { ...root.status, message: '' };
          });
          deliver('proxy_on_grpc_close', st);
        }),
    };
  }

  function deliverHttp(root: RootContext, token: number, o: HttpOutcome): void {
    const c = root.callouts.get(token);
    if (!c || root.deleted) return;
    root.callouts.delete(token);
    if (o.kind === 'reset') {
      c.record.state = 'failed';
      c.record.reset = true;
      root.status = { code: R.BrokenConnection, message: 'reset' };
      vm.defer(() => {
        root.status = { ...root.status, message: '' };
      });
      if (!vm.failed) vm.callback('proxy_on_http_call_response', root, root.id, token, 0, 0, 0);
      return;
    }
    c.record.state = 'done';
    c.record.response = { headers: o.headers, body: o.body, trailers: o.trailers };
    root.httpCallResponse = { headers: new HeaderMap(o.headers), body: o.body, trailers: new HeaderMap(o.trailers) };
    vm.defer(() => {
      root.httpCallResponse = undefined;
    });
    if (!vm.failed)
      vm.callback(
        'proxy_on_http_call_response',
        root,
        root.id,
        token,
        o.headers.length,
        o.body.length,
        o.trailers.length,
      );
  }

  const read = (p: number, l: number): Buffer | undefined => vm.mem.read(p, l);

  return {
    proxy_http_call(
      up: number,
      ul: number,
      hp: number,
      hl: number,
      bp: number,
      bl: number,
      tp: number,
      tl: number,
      timeout: number,
      tokenPtr: number,
    ): number {
      const [cluster, hdrs, body, trl] = [read(up, ul), read(hp, hl), read(bp, bl), read(tp, tl)];
      if (!cluster || !hdrs || !body || !trl) return R.InvalidMemoryAccess;
      const root = vm.active().root;
      if (!root) return R.InternalFailure;
      if (timeout < 0) return R.BadArgument;
      const name = cluster.toString('utf8');
      if (!clusters.has(name)) return R.BadArgument;
      const headers = decodePairs(hdrs).map(([k, v]) => [k.toLowerCase(), v] as [string, string]);
      const h = new HeaderMap(headers);
      if (!h.has(':path') || !h.has(':method') || !h.has(':authority')) return R.BadArgument;
      const trailers = decodePairs(trl);
      const token = vm.nextCalloutId(CalloutType.HttpCall);
      const record = newRecord({
        kind: 'http',
        token,
        worker,
        cluster: name,
        authority: h.get(':authority')!,
        headers: h.toList(),
        body,
        trailers,
        timeoutMs: timeout,
      });
      root.plugin.recordCallout(record);
      const spec = { cluster: name, headers: h.toList(), body, trailers, timeoutMs: timeout };
      const handle = deferHttp(() => sendHttp(clusters, spec, (o) => onLoop(() => deliverHttp(root, token, o))));
      root.callouts.set(token, { record, cancel: handle.cancel });
      return vm.mem.writeU32(tokenPtr, token) ? R.Ok : R.InvalidMemoryAccess;
    },

    proxy_grpc_call(
      sp: number,
      sl: number,
      np: number,
      nl: number,
      mp: number,
      ml: number,
      dp: number,
      dl: number,
      qp: number,
      ql: number,
      timeout: number,
      tokenPtr: number,
    ): number {
      return startGrpcCallout(true, [sp, sl, np, nl, mp, ml, dp, dl], read(qp, ql), timeout >>> 0, tokenPtr);
    },
    proxy_grpc_stream(
      sp: number,
      sl: number,
      np: number,
      nl: number,
      mp: number,
      ml: number,
      dp: number,
      dl: number,
      tokenPtr: number,
    ): number {
      return startGrpcCallout(false, [sp, sl, np, nl, mp, ml, dp, dl], Buffer.alloc(0), 0, tokenPtr);
    },
    proxy_grpc_send(token: number, mp: number, ml: number, endStream: number): number {
      token >>>= 0;
      if (typeOf(token) !== CalloutType.GrpcStream) return R.BadArgument;
      const msg = read(mp, ml);
      if (!msg) return R.InvalidMemoryAccess;
      const c = vm.active().root?.callouts.get(token);
      if (!c) return R.NotFound;
      c.record.messages.push(msg);
      c.send?.(msg, endStream !== 0);
      if (endStream !== 0 && c.record.state === 'open') c.record.state = 'half_closed';
      return R.Ok;
    },
    proxy_grpc_close(token: number): number {
      return endGrpc(token >>> 0, false);
    },
    proxy_grpc_cancel(token: number): number {
      return endGrpc(token >>> 0, true);
    },
  };

  function startGrpcCallout(
    unary: boolean,
    ptrs: number[],
    message: Buffer | undefined,
    timeoutMs: number,
    tokenPtr: number,
  ): number {
    const [svc, service, method, md] = [
      read(ptrs[0], ptrs[1]),
      read(ptrs[2], ptrs[3]),
      read(ptrs[4], ptrs[5]),
      read(ptrs[6], ptrs[7]),
    ];
    if (!svc || !service || !method || !md || !message) return R.InvalidMemoryAccess;
    const root = vm.active().root;
    if (!root) return R.InternalFailure;
    const target = resolveGrpcTarget(svc);
    if (target.code !== R.Ok) return target.code;
    const metadata = [
      ...target.metadata!,
      ...decodePairs(md).map(([k, v]) => [k.toLowerCase(), v] as [string, string]),
    ];
    const token = vm.nextCalloutId(unary ? CalloutType.GrpcCall : CalloutType.GrpcStream);
    const record = newRecord({
      kind: unary ? 'grpc_call' : 'grpc_stream',
      token,
      worker,
      cluster: target.cluster!,
      authority: target.authority!,
      headers: metadata,
      service: service.toString('utf8'),
      method: method.toString('utf8'),
      timeoutMs,
      messages: unary ? [message] : [],
    });
    root.plugin.recordCallout(record);
    const grpcTarget = {
      cluster: target.cluster!,
      authority: target.authority!,
      service: record.service!,
      method: record.method!,
      metadata,
      timeoutMs,
    };
    const handle = deferGrpc(() => startGrpc(clusters, grpcTarget, grpcHandlers(root, token, unary)));
    root.callouts.set(
      token,
      unary
        ? { record, cancel: handle.reset }
        : { record, cancel: handle.reset, send: handle.send, halfClose: handle.halfClose },
    );
    if (unary) handle.send(message, true);
    return vm.mem.writeU32(tokenPtr, token) ? R.Ok : R.InvalidMemoryAccess;
  }

  function endGrpc(token: number, cancel: boolean): number {
    const type = typeOf(token);
    if (type !== CalloutType.GrpcCall && type !== CalloutType.GrpcStream) return R.BadArgument;
    const root = vm.active().root;
    const c = root?.callouts.get(token);
    if (!root || !c) return R.NotFound;
    if (type === CalloutType.GrpcCall || cancel) {
      c.cancel();
      c.record.state = 'cancelled';
      root.callouts.delete(token);
      return R.Ok;
    }
    c.halfClose?.();
    if (c.remoteClosed) root.callouts.delete(token);
    else {
      c.localClosed = true;
      c.record.state = 'half_closed';
    }
    return R.Ok;
  }
}
