// shadow.v1.Hello (proto/shadow/v1/shadow.proto), in the shape as-proto-gen emits.
import { Writer, Reader } from "as-proto/assembly";

export class Hello {
  static encode(message: Hello, writer: Writer): void {
    if (message.nodeId.length != 0) { writer.uint32(10); writer.string(message.nodeId); }
    if (message.workload.length != 0) { writer.uint32(18); writer.string(message.workload); }
    if (message.service.length != 0) { writer.uint32(26); writer.string(message.service); }
    if (message.role != 0) { writer.uint32(32); writer.int32(message.role); }
    if (message.variant != 0) { writer.uint32(40); writer.int32(message.variant); }
    if (message.filterVersion.length != 0) { writer.uint32(50); writer.string(message.filterVersion); }
    if (message.configVersion.length != 0) { writer.uint32(58); writer.string(message.configVersion); }
    if (message.worker != 0) { writer.uint32(64); writer.uint32(message.worker); }
    if (message.plugin.length != 0) { writer.uint32(74); writer.string(message.plugin); }
    if (message.version.length != 0) { writer.uint32(82); writer.string(message.version); }
  }

  static decode(reader: Reader, length: i32): Hello {
    const end: usize = length < 0 ? reader.end : reader.ptr + length;
    const message = new Hello();
    while (reader.ptr < end) {
      const tag = reader.uint32();
      switch (tag >>> 3) {
        case 1: message.nodeId = reader.string(); break;
        case 2: message.workload = reader.string(); break;
        case 3: message.service = reader.string(); break;
        case 4: message.role = reader.int32(); break;
        case 5: message.variant = reader.int32(); break;
        case 6: message.filterVersion = reader.string(); break;
        case 7: message.configVersion = reader.string(); break;
        case 8: message.worker = reader.uint32(); break;
        case 9: message.plugin = reader.string(); break;
        case 10: message.version = reader.string(); break;
        default: reader.skipType(tag & 7); break;
      }
    }
    return message;
  }

  nodeId: string = "";
  workload: string = "";
  service: string = "";
  role: i32 = 0;
  variant: i32 = 0;
  filterVersion: string = "";
  configVersion: string = "";
  worker: u32 = 0;
  plugin: string = "";
  version: string = "";
}
