// shadow.v1.EgressEvent, in the shape as-proto-gen emits.
import { Writer, Reader } from "as-proto/assembly";

export class EgressEvent {
  static encode(message: EgressEvent, writer: Writer): void {
    if (message.pairId.length != 0) { writer.uint32(10); writer.string(message.pairId); }
    if (message.service.length != 0) { writer.uint32(18); writer.string(message.service); }
    if (message.variant != 0) { writer.uint32(24); writer.int32(message.variant); }
    if (message.destination.length != 0) { writer.uint32(34); writer.string(message.destination); }
    if (message.method.length != 0) { writer.uint32(42); writer.string(message.method); }
    if (message.path.length != 0) { writer.uint32(50); writer.string(message.path); }
    if (message.decision != 0) { writer.uint32(56); writer.int32(message.decision); }
    if (message.rule.length != 0) { writer.uint32(66); writer.string(message.rule); }
    if (message.unixMs != 0) { writer.uint32(72); writer.uint64(message.unixMs); }
    if (message.nodeId.length != 0) { writer.uint32(82); writer.string(message.nodeId); }
    if (message.protocol.length != 0) { writer.uint32(90); writer.string(message.protocol); }
    if (message.statementClass.length != 0) { writer.uint32(98); writer.string(message.statementClass); }
    if (message.count != 0) { writer.uint32(104); writer.uint64(message.count); }
    if (message.sample.length != 0) { writer.uint32(114); writer.string(message.sample); }
  }

  static decode(reader: Reader, length: i32): EgressEvent {
    const end: usize = length < 0 ? reader.end : reader.ptr + length;
    const message = new EgressEvent();
    while (reader.ptr < end) {
      const tag = reader.uint32();
      switch (tag >>> 3) {
        case 1: message.pairId = reader.string(); break;
        case 2: message.service = reader.string(); break;
        case 3: message.variant = reader.int32(); break;
        case 4: message.destination = reader.string(); break;
        case 5: message.method = reader.string(); break;
        case 6: message.path = reader.string(); break;
        case 7: message.decision = reader.int32(); break;
        case 8: message.rule = reader.string(); break;
        case 9: message.unixMs = reader.uint64(); break;
        case 10: message.nodeId = reader.string(); break;
        case 11: message.protocol = reader.string(); break;
        case 12: message.statementClass = reader.string(); break;
        case 13: message.count = reader.uint64(); break;
        case 14: message.sample = reader.string(); break;
        default: reader.skipType(tag & 7); break;
      }
    }
    return message;
  }

  pairId: string = "";
  service: string = "";
  variant: i32 = 0;
  destination: string = "";
  method: string = "";
  path: string = "";
  decision: i32 = 0;
  rule: string = "";
  unixMs: u64 = 0;
  nodeId: string = "";
  protocol: string = "";
  statementClass: string = "";
  count: u64 = 0;
  sample: string = "";
}

export const DECISION_ALLOWED: i32 = 1;
export const DECISION_MOCKED: i32 = 2;
export const DECISION_DENIED: i32 = 3;
export const DECISION_RATE_LIMITED: i32 = 4;
