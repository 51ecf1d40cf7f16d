// Stream control from the module: continue_stream, close_stream, send_local_response. All take
// effect after the current VM call returns (Envoy defers them with addAfterVmCallAction); the stream
// context implements the deferral. send_local_response also forces the current callback's result to
// "stop" (cpp-host exports.cc: stopNextIteration(true)) and answers Ok even on a root context.

import { StreamType, WasmResult as R } from '../abi.js';
import { decodePairs } from '../headers.js';
import type { Vm } from '../vm.js';
import type { ImportGroup } from './index.js';

export function streamImports(vm: Vm): ImportGroup {
  return {
    proxy_continue_stream(type: number): number {
      if (type >>> 0 > StreamType.Upstream) return R.BadArgument;
      return vm.active().continueStream(type >>> 0);
    },
    proxy_close_stream(type: number): number {
      if (type >>> 0 > StreamType.Upstream) return R.BadArgument;
      return vm.active().closeStream(type >>> 0);
    },
    proxy_send_local_response(
      status: number,
      detailsPtr: number,
      detailsLen: number,
      bodyPtr: number,
      bodyLen: number,
      headersPtr: number,
      headersLen: number,
      grpcStatus: number,
    ): number {
      const details = vm.mem.readString(detailsPtr, detailsLen);
      const body = vm.mem.read(bodyPtr, bodyLen);
      const headers = vm.mem.read(headersPtr, headersLen);
      if (details === undefined || !body || !headers) return R.InvalidMemoryAccess;
      vm.active().sendLocalResponse({
        status: status >>> 0,
        body,
        headers: decodePairs(headers).map(([k, v]) => [k.toLowerCase(), v]),
        // SDKs pass -1 for "no gRPC status"; Envoy keeps only 0..16 (context.cc sendLocalResponse).
        grpcStatus: grpcStatus >= 0 && grpcStatus <= 16 ? grpcStatus : undefined,
        details: details.replace(/\s/g, '_'),
      });
      vm.stopNextIteration = true;
      return R.Ok;
    },
  };
}
