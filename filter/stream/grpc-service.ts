// envoy.config.core.v3.GrpcService { envoy_grpc (1): EnvoyGrpc { cluster_name (1), authority (2) } },
// the first argument of proxy_grpc_stream. Envoy parses these bytes as a GrpcService and only falls
// back to "a bare cluster name" when parsing fails; the proto form lets us set the authority
// (Istio cluster names contain '|', which an HTTP/2 peer may reject as :authority — istio#27918).
import { Writer, Protobuf } from "as-proto/assembly";

export class EnvoyGrpc {
  static encode(message: EnvoyGrpc, writer: Writer): void {
    if (message.clusterName.length != 0) { writer.uint32(10); writer.string(message.clusterName); }
    if (message.authority.length != 0) { writer.uint32(18); writer.string(message.authority); }
  }
  clusterName: string = "";
  authority: string = "";
}

export class GrpcService {
  static encode(message: GrpcService, writer: Writer): void {
    const eg = message.envoyGrpc;
    if (eg !== null) { writer.uint32(10); writer.fork(); EnvoyGrpc.encode(eg, writer); writer.ldelim(); }
  }
  envoyGrpc: EnvoyGrpc | null = null;
}

export function grpcServiceBytes(cluster: string, authority: string): Uint8Array {
  const eg = new EnvoyGrpc();
  eg.clusterName = cluster;
  eg.authority = authority;
  const gs = new GrpcService();
  gs.envoyGrpc = eg;
  return Protobuf.encode<GrpcService>(gs, GrpcService.encode);
}
