// Serializes the `xds.node` property as Envoy does (the envoy.config.core.v3.Node message's proto
// bytes): id (1), cluster (2), metadata (3, google.protobuf.Struct). Hand-written because only these
// three fields are needed and protobufjs would need the whole Envoy API tree loaded.

import { lenDelim, tag, varint } from './proto-write.js';

export interface NodeInit {
  id?: string;
  cluster?: string;
  metadata?: Record<string, unknown>;
}

/** google.protobuf.Value: null 1, number 2 (double), string 3, bool 4, struct 5, list 6. */
function value(v: unknown): Buffer {
  if (v === null || v === undefined) return Buffer.concat([tag(1, 0), varint(0)]);
  if (typeof v === 'number') {
    const d = Buffer.alloc(8);
    d.writeDoubleLE(v);
    return Buffer.concat([tag(2, 1), d]);
  }
  if (typeof v === 'string') return lenDelim(3, Buffer.from(v));
  if (typeof v === 'boolean') return Buffer.concat([tag(4, 0), varint(v ? 1 : 0)]);
  if (Array.isArray(v)) return lenDelim(6, Buffer.concat(v.map((x) => lenDelim(1, value(x)))));
  if (typeof v === 'object') return lenDelim(5, struct(v as Record<string, unknown>));
  return lenDelim(3, Buffer.from(String(v)));
}

/** google.protobuf.Struct: map<string, Value> fields = 1 (entries key 1, value 2). */
function struct(obj: Record<string, unknown>): Buffer {
  return Buffer.concat(
    Object.entries(obj).map(([k, v]) =>
      lenDelim(1, Buffer.concat([lenDelim(1, Buffer.from(k)), lenDelim(2, value(v))])),
    ),
  );
}

export function encodeNode(n: NodeInit): Buffer {
  const parts: Buffer[] = [];
  if (n.id) parts.push(lenDelim(1, Buffer.from(n.id)));
  if (n.cluster) parts.push(lenDelim(2, Buffer.from(n.cluster)));
  if (n.metadata && Object.keys(n.metadata).length) parts.push(lenDelim(3, struct(n.metadata)));
  return Buffer.concat(parts);
}
