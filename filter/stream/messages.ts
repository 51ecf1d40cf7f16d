// shadow.v1.FilterMessage / ControlMessage / ConfigSnapshot (the stream's envelopes), in the shape
// as-proto-gen emits, plus encode/decode entry points. Inbound bytes are checked by wire.ts before
// as-proto's Reader sees them (the Reader asserts, i.e. traps, on truncated input).
import { Writer, Reader, Protobuf } from "as-proto/assembly";
import { Hello } from "./hello";
import { Half } from "./half";
import { EgressEvent } from "./egress-event";
import { Ack, Nack, Stats } from "./ack";
import { validControlMessage } from "./wire";

export class FilterMessage {
  static encode(message: FilterMessage, writer: Writer): void {
    const hello = message.hello;
    if (hello !== null) { writer.uint32(10); writer.fork(); Hello.encode(hello, writer); writer.ldelim(); }
    const half = message.half;
    if (half !== null) { writer.uint32(18); writer.fork(); Half.encode(half, writer); writer.ldelim(); }
    const egress = message.egress;
    if (egress !== null) { writer.uint32(26); writer.fork(); EgressEvent.encode(egress, writer); writer.ldelim(); }
    const ack = message.ack;
    if (ack !== null) { writer.uint32(34); writer.fork(); Ack.encode(ack, writer); writer.ldelim(); }
    const nack = message.nack;
    if (nack !== null) { writer.uint32(42); writer.fork(); Nack.encode(nack, writer); writer.ldelim(); }
    const stats = message.stats;
    if (stats !== null) { writer.uint32(50); writer.fork(); Stats.encode(stats, writer); writer.ldelim(); }
  }

  static decode(reader: Reader, length: i32): FilterMessage {
    const end: usize = length < 0 ? reader.end : reader.ptr + length;
    const message = new FilterMessage();
    while (reader.ptr < end) {
      const tag = reader.uint32();
      switch (tag >>> 3) {
        case 1: message.hello = Hello.decode(reader, reader.uint32()); break;
        case 2: message.half = Half.decode(reader, reader.uint32()); break;
        case 3: message.egress = EgressEvent.decode(reader, reader.uint32()); break;
        case 4: message.ack = Ack.decode(reader, reader.uint32()); break;
        case 5: message.nack = Nack.decode(reader, reader.uint32()); break;
        case 6: message.stats = Stats.decode(reader, reader.uint32()); break;
        default: reader.skipType(tag & 7); break;
      }
    }
    return message;
  }

  hello: Hello | null = null;
  half: Half | null = null;
  egress: EgressEvent | null = null;
  ack: Ack | null = null;
  nack: Nack | null = null;
  stats: Stats | null = null;
}

export class ConfigSnapshot {
  static encode(message: ConfigSnapshot, writer: Writer): void {
    if (message.version.length != 0) { writer.uint32(10); writer.string(message.version); }
    if (message.configJson.length != 0) { writer.uint32(18); writer.string(message.configJson); }
  }

  static decode(reader: Reader, length: i32): ConfigSnapshot {
    const end: usize = length < 0 ? reader.end : reader.ptr + length;
    const message = new ConfigSnapshot();
    while (reader.ptr < end) {
      const tag = reader.uint32();
      switch (tag >>> 3) {
        case 1: message.version = reader.string(); break;
        case 2: message.configJson = reader.string(); break;
        default: reader.skipType(tag & 7); break;
      }
    }
    return message;
  }

  version: string = "";
  configJson: string = "";
}

export class ControlMessage {
  static encode(message: ControlMessage, writer: Writer): void {
    const snapshot = message.snapshot;
    if (snapshot !== null) { writer.uint32(10); writer.fork(); ConfigSnapshot.encode(snapshot, writer); writer.ldelim(); }
  }

  static decode(reader: Reader, length: i32): ControlMessage {
    const end: usize = length < 0 ? reader.end : reader.ptr + length;
    const message = new ControlMessage();
    while (reader.ptr < end) {
      const tag = reader.uint32();
      switch (tag >>> 3) {
        case 1: message.snapshot = ConfigSnapshot.decode(reader, reader.uint32()); break;
        default: reader.skipType(tag & 7); break;
      }
    }
    return message;
  }

  snapshot: ConfigSnapshot | null = null;
}

export function encodeFilterMessage(m: FilterMessage): Uint8Array {
  return Protobuf.encode<FilterMessage>(m, FilterMessage.encode);
}

// null when the bytes are not a well-formed ControlMessage.
export function decodeControlMessage(buf: Uint8Array): ControlMessage | null {
  if (!validControlMessage(buf)) return null;
  return Protobuf.decode<ControlMessage>(buf, ControlMessage.decode);
}
