// Structural check of inbound protobuf bytes before as-proto decodes them: every tag, varint and
// length must lie inside the buffer, groups are refused, and fields we decode must carry the wire
// type our decoder expects (a string field sent as a varint would make the Reader read garbage).
// Bounded: one pass per nesting level, at most MAX_FIELDS fields.

const MAX_FIELDS: i32 = 4096;
const LEN: u32 = 2;

let pos: usize = 0;
let end: usize = 0;
let bad = false;

function varint(): u64 {
  let v: u64 = 0;
  for (let shift: u64 = 0; shift < 70; shift += 7) {
    if (pos >= end) { bad = true; return 0; }
    const b = <u64>load<u8>(pos++);
    if (shift < 64) v |= (b & 0x7f) << shift;
    if (b < 0x80) return v;
  }
  bad = true;
  return 0;
}

// expected(field) = required wire type for a known field, or -1 when any is fine.
function walk(from: usize, to: usize, message: i32): bool {
  pos = from;
  end = to;
  let fields = 0;
  while (pos < end) {
    if (++fields > MAX_FIELDS) return false;
    // as-proto reads tags as 32-bit varints (bits past 31 dropped): take field and wire type from
    // the same 32 bits, or a tag with high bits set would pass here as another field.
    const tag = <u32>varint();
    if (bad) return false;
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field == 0) return false;
    const exp = expected(message, field);
    if (exp >= 0 && <u32>exp != wt) return false;
    if (wt == 0) { varint(); if (bad) return false; }
    else if (wt == 1) { if (end - pos < 8) return false; pos += 8; }
    else if (wt == 5) { if (end - pos < 4) return false; pos += 4; }
    else if (wt == LEN) {
      const n = varint();
      if (bad || n > <u64>(end - pos)) return false;
      const start = pos;
      const stop = pos + <usize>n;
      const child = childOf(message, field);
      if (child != 0) {
        const saveEnd = end;
        if (!walk(start, stop, child)) return false;
        end = saveEnd;
      }
      pos = stop;
    } else return false;
  }
  return true;
}

const M_CONTROL: i32 = 1;
const M_SNAPSHOT: i32 = 2;
const M_DELIVERED: i32 = 3;

function expected(message: i32, field: u32): i32 {
  if (message == M_CONTROL && (field == 1 || field == 2)) return 2;
  if (message == M_SNAPSHOT && (field == 1 || field == 2)) return 2;
  if (message == M_DELIVERED && field == 1) return 0;
  return -1;
}

function childOf(message: i32, field: u32): i32 {
  if (message != M_CONTROL) return 0;
  return field == 1 ? M_SNAPSHOT : field == 2 ? M_DELIVERED : 0;
}

export function validControlMessage(buf: Uint8Array): bool {
  bad = false;
  const base = buf.dataStart;
  return walk(base, base + <usize>buf.byteLength, M_CONTROL);
}
