// Delivery envelope bytes, written directly rather than through the generated classes: a message is
// already encoded when it is queued, and protobuf lets fields be appended to an encoded message and
// embedded messages be written as length-delimited bytes (protobuf encoding guide, "Last One Wins" /
// "Embedded messages"), so numbering and batching never re-encode a half.
//   withSeq(msg, seq)  = msg ++ FilterMessage.seq (field 8, varint)
//   batch(msgs)        = FilterMessage.batch (field 7) { Batch.messages (field 1) per message }

const TAG_SEQ: u8 = 8 << 3;           // field 8, varint
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

// as-proto-gen's encoder writes every scalar, so a generated FilterMessage ends with seq = 0
// (0x40 0x00, field 8 being the last field): that pair is replaced rather than followed by a second
// seq, which a decoder would also accept (last one wins) but which costs two bytes a message.
export function withSeq(msg: Uint8Array, seq: u64): Uint8Array {
  let n = msg.byteLength;
  if (n >= 2 && unchecked(msg[n - 2]) == TAG_SEQ && unchecked(msg[n - 1]) == 0) n -= 2;
  const out = new Uint8Array(n + 1 + varintSize(seq));
  memory.copy(out.dataStart, msg.dataStart, <usize>n);
  unchecked(out[n] = TAG_SEQ);
  putVarint(out, n + 1, seq);
  return out;
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
