// shadow.v1.Ack, shadow.v1.Nack and shadow.v1.Stats, in the shape as-proto-gen emits.
import { Writer, Reader } from "as-proto/assembly";

export class Ack {
  static encode(message: Ack, writer: Writer): void {
    if (message.version.length != 0) { writer.uint32(10); writer.string(message.version); }
  }

  static decode(reader: Reader, length: i32): Ack {
    const end: usize = length < 0 ? reader.end : reader.ptr + length;
    const message = new Ack();
    while (reader.ptr < end) {
      const tag = reader.uint32();
      switch (tag >>> 3) {
        case 1: message.version = reader.string(); break;
        default: reader.skipType(tag & 7); break;
      }
    }
    return message;
  }

  version: string = "";
}

export class Nack {
  static encode(message: Nack, writer: Writer): void {
    if (message.version.length != 0) { writer.uint32(10); writer.string(message.version); }
    if (message.reason.length != 0) { writer.uint32(18); writer.string(message.reason); }
  }

  static decode(reader: Reader, length: i32): Nack {
    const end: usize = length < 0 ? reader.end : reader.ptr + length;
    const message = new Nack();
    while (reader.ptr < end) {
      const tag = reader.uint32();
      switch (tag >>> 3) {
        case 1: message.version = reader.string(); break;
        case 2: message.reason = reader.string(); break;
        default: reader.skipType(tag & 7); break;
      }
    }
    return message;
  }

  version: string = "";
  reason: string = "";
}

export class Stats {
  static encode(message: Stats, writer: Writer): void {
    if (message.halvesSent != 0) { writer.uint32(8); writer.uint64(message.halvesSent); }
    if (message.halvesDropped != 0) { writer.uint32(16); writer.uint64(message.halvesDropped); }
    if (message.eventsSent != 0) { writer.uint32(24); writer.uint64(message.eventsSent); }
    if (message.eventsDropped != 0) { writer.uint32(32); writer.uint64(message.eventsDropped); }
    if (message.reconnects != 0) { writer.uint32(40); writer.uint64(message.reconnects); }
  }

  static decode(reader: Reader, length: i32): Stats {
    const end: usize = length < 0 ? reader.end : reader.ptr + length;
    const message = new Stats();
    while (reader.ptr < end) {
      const tag = reader.uint32();
      switch (tag >>> 3) {
        case 1: message.halvesSent = reader.uint64(); break;
        case 2: message.halvesDropped = reader.uint64(); break;
        case 3: message.eventsSent = reader.uint64(); break;
        case 4: message.eventsDropped = reader.uint64(); break;
        case 5: message.reconnects = reader.uint64(); break;
        default: reader.skipType(tag & 7); break;
      }
    }
    return message;
  }

  halvesSent: u64 = 0;
  halvesDropped: u64 = 0;
  eventsSent: u64 = 0;
  eventsDropped: u64 = 0;
  reconnects: u64 = 0;
}
