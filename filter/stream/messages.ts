// The stream's messages: the classes as-proto-gen generates from proto/shadow/v1/shadow.proto
// (scripts/gen-proto.ts writes them to build/proto/ before every build), re-exported from this one
// door, plus the encode/decode entry points. Inbound bytes are checked by wire.ts before as-proto's
// Reader sees them (the Reader asserts, i.e. traps, on truncated input).
import { Protobuf } from "as-proto/assembly";
import { FilterMessage } from "../../build/proto/shadow/v1/FilterMessage";
import { ControlMessage } from "../../build/proto/shadow/v1/ControlMessage";
import { validControlMessage } from "./wire";

export { FilterMessage } from "../../build/proto/shadow/v1/FilterMessage";
export { ControlMessage } from "../../build/proto/shadow/v1/ControlMessage";
export { ConfigSnapshot } from "../../build/proto/shadow/v1/ConfigSnapshot";
export { Hello } from "../../build/proto/shadow/v1/Hello";
export { Half } from "../../build/proto/shadow/v1/Half";
export { Header } from "../../build/proto/shadow/v1/Header";
export { EgressEvent } from "../../build/proto/shadow/v1/EgressEvent";
export { Ack } from "../../build/proto/shadow/v1/Ack";
export { Nack } from "../../build/proto/shadow/v1/Nack";
export { Stats } from "../../build/proto/shadow/v1/Stats";
export { Delivered } from "../../build/proto/shadow/v1/Delivered";

// shadow.v1.Decision, as plain constants for the egress code (the generated enum has the same values).
export const DECISION_ALLOWED: i32 = 1;
export const DECISION_MOCKED: i32 = 2;
export const DECISION_DENIED: i32 = 3;
export const DECISION_RATE_LIMITED: i32 = 4;

export function encodeFilterMessage(m: FilterMessage): Uint8Array {
  return Protobuf.encode<FilterMessage>(m, FilterMessage.encode);
}

// null when the bytes are not a well-formed ControlMessage.
export function decodeControlMessage(buf: Uint8Array): ControlMessage | null {
  if (!validControlMessage(buf)) return null;
  return Protobuf.decode<ControlMessage>(buf, ControlMessage.decode);
}
