// shadow.v1.Half and shadow.v1.Header, in the shape as-proto-gen emits.
import { Writer, Reader } from "as-proto/assembly";

export class Header {
  static encode(message: Header, writer: Writer): void {
    if (message.name.length != 0) { writer.uint32(10); writer.string(message.name); }
    if (message.value.length != 0) { writer.uint32(18); writer.bytes(message.value); }
  }

  static decode(reader: Reader, length: i32): Header {
    const end: usize = length < 0 ? reader.end : reader.ptr + length;
    const message = new Header();
    while (reader.ptr < end) {
      const tag = reader.uint32();
      switch (tag >>> 3) {
        case 1: message.name = reader.string(); break;
        case 2: message.value = reader.bytes(); break;
        default: reader.skipType(tag & 7); break;
      }
    }
    return message;
  }

  name: string = "";
  value: Uint8Array = new Uint8Array(0);
}

export class Half {
  static encode(message: Half, writer: Writer): void {
    if (message.pairId.length != 0) { writer.uint32(10); writer.string(message.pairId); }
    if (message.side != 0) { writer.uint32(16); writer.int32(message.side); }
    if (message.service.length != 0) { writer.uint32(26); writer.string(message.service); }
    if (message.method.length != 0) { writer.uint32(34); writer.string(message.method); }
    if (message.host.length != 0) { writer.uint32(42); writer.string(message.host); }
    if (message.path.length != 0) { writer.uint32(50); writer.string(message.path); }
    if (message.query.length != 0) { writer.uint32(58); writer.string(message.query); }
    if (message.status != 0) { writer.uint32(64); writer.uint32(message.status); }
    for (let i = 0; i < message.headers.length; i++) {
      writer.uint32(74);
      writer.fork();
      Header.encode(message.headers[i], writer);
      writer.ldelim();
    }
    if (message.body.length != 0) { writer.uint32(82); writer.bytes(message.body); }
    if (message.truncated) { writer.uint32(88); writer.bool(message.truncated); }
    if (message.bodySize != 0) { writer.uint32(96); writer.uint64(message.bodySize); }
    if (message.startUnixMs != 0) { writer.uint32(104); writer.uint64(message.startUnixMs); }
    if (message.latencyUs != 0) { writer.uint32(112); writer.uint32(message.latencyUs); }
    if (message.requestId.length != 0) { writer.uint32(122); writer.string(message.requestId); }
    if (message.nodeId.length != 0) { writer.uint32(130); writer.string(message.nodeId); }
  }

  static decode(reader: Reader, length: i32): Half {
    const end: usize = length < 0 ? reader.end : reader.ptr + length;
    const message = new Half();
    while (reader.ptr < end) {
      const tag = reader.uint32();
      switch (tag >>> 3) {
        case 1: message.pairId = reader.string(); break;
        case 2: message.side = reader.int32(); break;
        case 3: message.service = reader.string(); break;
        case 4: message.method = reader.string(); break;
        case 5: message.host = reader.string(); break;
        case 6: message.path = reader.string(); break;
        case 7: message.query = reader.string(); break;
        case 8: message.status = reader.uint32(); break;
        case 9: message.headers.push(Header.decode(reader, reader.uint32())); break;
        case 10: message.body = reader.bytes(); break;
        case 11: message.truncated = reader.bool(); break;
        case 12: message.bodySize = reader.uint64(); break;
        case 13: message.startUnixMs = reader.uint64(); break;
        case 14: message.latencyUs = reader.uint32(); break;
        case 15: message.requestId = reader.string(); break;
        case 16: message.nodeId = reader.string(); break;
        default: reader.skipType(tag & 7); break;
      }
    }
    return message;
  }

  pairId: string = "";
  side: i32 = 0;
  service: string = "";
  method: string = "";
  host: string = "";
  path: string = "";
  query: string = "";
  status: u32 = 0;
  headers: Array<Header> = [];
  body: Uint8Array = new Uint8Array(0);
  truncated: bool = false;
  bodySize: u64 = 0;
  startUnixMs: u64 = 0;
  latencyUs: u32 = 0;
  requestId: string = "";
  nodeId: string = "";
}
