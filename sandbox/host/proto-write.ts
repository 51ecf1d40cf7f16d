// The protobuf wire format, writing side, for the few messages the host serializes by hand
// (proto-node.ts, callouts/grpc-service.ts): varints, field tags and length-delimited fields.

export function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

/** A field's key: its number and wire type (0 varint, 1 fixed64, 2 length-delimited). */
export const tag = (field: number, wt: number): Buffer => varint((field << 3) | wt);

export const lenDelim = (field: number, body: Buffer): Buffer =>
  Buffer.concat([tag(field, 2), varint(body.length), body]);
