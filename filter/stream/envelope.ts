// Delivery envelope bytes, written directly rather than through the generated classes: a message is
// already encoded (with its seq, StreamClient.report) when it is queued, and protobuf lets embedded
// messages be written as length-delimited bytes (protobuf encoding guide, "Embedded messages"), so
// batching never re-encodes a half.
//   batch(msgs)        = FilterMessage.batch (field 7) { Batch.messages (field 1) per message }

const TAG_BATCH: u8 = (7 << 3) | 2;   // field 7, length-delimited
const TAG_MESSAGES: u8 = (1 << 3) | 2; // Batch field 1, length-delimited

function varintSize(v: u64): i32 {
  let n = 1;
  while (v >= 0x80) { v >>= 7; n++; }
  return n;
}

function putVarint(out: Uint8Array, at: i32, v: u64): i32 {
  while (v >= 0x80) { unchecked(out[at++] = <u8>(v & 0x7f) | 0x80); v >>= 7; }
  unchecked(out[at++] = <u8>v);
  return at;
}

// Size of the inner Batch for these messages (what batch() writes after its own tag and length).
export function batchBodySize(msgs: Array<Uint8Array>): i32 {
  let n = 0;
  for (let i = 0; i < msgs.length; i++) {
    const len = unchecked(msgs[i]).byteLength;
    n += 1 + varintSize(<u64>len) + len;
  }
  return n;
}

export function batch(msgs: Array<Uint8Array>): Uint8Array {
  const body = batchBodySize(msgs);
  const out = new Uint8Array(1 + varintSize(<u64>body) + body);
  unchecked(out[0] = TAG_BATCH);
  let at = putVarint(out, 1, <u64>body);
  for (let i = 0; i < msgs.length; i++) {
    const m = unchecked(msgs[i]);
    unchecked(out[at++] = TAG_MESSAGES);
    at = putVarint(out, at, <u64>m.byteLength);
    memory.copy(out.dataStart + <usize>at, m.dataStart, <usize>m.byteLength);
    at += m.byteLength;
  }
  return out;
}
