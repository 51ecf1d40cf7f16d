// Decoding the first argument of proxy_grpc_call/proxy_grpc_stream. Envoy first tries
// GrpcService.ParseFromString and falls back to treating the bytes as a cluster name (Envoy
// Context::grpcCall, PR #15208). A hand-written wire-format reader is enough here: we need two string
// fields and must reject exactly what protobuf's parser rejects (bad wire types, truncation,
// unbalanced groups) while accepting unknown fields, as ParseFromString does.

import { lenDelim } from '../proto-write.js';

export interface GrpcServiceTarget {
  /** envoy_grpc.cluster_name (field 1 of EnvoyGrpc, itself field 1 of GrpcService). */
  clusterName?: string;
  /** envoy_grpc.authority (field 2); empty ⇒ the cluster name is used. */
  authority?: string;
  /** google_grpc (field 2) was set: a client this host cannot build. */
  googleGrpc?: boolean;
  /** initial_metadata (field 5, HeaderValue{key=1, value=2}). */
  initialMetadata: Array<[string, string]>;
}

class Wire {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    readonly end = buf.length,
  ) {}
  varint(): bigint {
    let result = 0n,
      shift = 0n;
    for (;;) {
      if (this.pos >= this.end || shift > 63n) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
    }
  }
  bytes(): Buffer {
    const len = Number(this.varint());
    if (this.pos + len > this.end) throw new Error('truncated length-delimited field');
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }
  /** Skips one field of `wireType`; groups must close with the matching field number. */
  skip(field: number, wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.bytes();
        return;
      case 5:
        this.advance(4);
        return;
      case 3:
        for (;;) {
          const [f, wt] = this.tag();
          if (wt === 4) {
            if (f !== field) throw new Error('mismatched end group');
            return;
          }
          this.skip(f, wt);
        }
      default:
        throw new Error(`invalid wire type ${wireType}`);
    }
  }
  advance(n: number): void {
    if (this.pos + n > this.end) throw new Error('truncated fixed field');
    this.pos += n;
  }
  tag(): [number, number] {
    const t = Number(this.varint());
    const field = t >>> 3;
    if (field === 0) throw new Error('field number 0');
    return [field, t & 7];
  }
}

function fields(buf: Buffer, visit: (field: number, wireType: number, w: Wire) => boolean): void {
  const w = new Wire(buf);
  while (w.pos < w.end) {
    const [field, wt] = w.tag();
    if (wt === 4) throw new Error('unexpected end group');
    if (!visit(field, wt, w)) w.skip(field, wt);
  }
}

/** The GrpcService the bytes encode, or undefined when they do not parse (→ treat as a cluster name). */
export function parseGrpcService(bytes: Buffer): GrpcServiceTarget | undefined {
  const out: GrpcServiceTarget = { initialMetadata: [] };
  try {
    fields(bytes, (field, wt, w) => {
      if (field === 1 && wt === 2) {
        fields(w.bytes(), (f, t, inner) => {
          if (f === 1 && t === 2) {
            out.clusterName = inner.bytes().toString('utf8');
            return true;
          }
          if (f === 2 && t === 2) {
            out.authority = inner.bytes().toString('utf8');
            return true;
          }
          return false;
        });
        out.clusterName ??= '';
        return true;
      }
      if (field === 2 && wt === 2) {
        w.bytes();
        out.googleGrpc = true;
        return true;
      }
      if (field === 5 && wt === 2) {
        let key = '',
          value = '';
        fields(w.bytes(), (f, t, inner) => {
          if (f === 1 && t === 2) {
            key = inner.bytes().toString('utf8');
            return true;
          }
          if (f === 2 && t === 2) {
            value = inner.bytes().toString('utf8');
            return true;
          }
          return false;
        });
        out.initialMetadata.push([key, value]);
        return true;
      }
      return false;
    });
  } catch {
    return undefined;
  }
  return out;
}

/** Serializes GrpcService{envoy_grpc{cluster_name, authority}} — for tests and the sandbox mesh. */
export function encodeGrpcService(clusterName: string, authority?: string): Buffer {
  const inner = [lenDelim(1, Buffer.from(clusterName))];
  if (authority) inner.push(lenDelim(2, Buffer.from(authority)));
  return lenDelim(1, Buffer.concat(inner));
}
