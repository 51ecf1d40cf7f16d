// Codec: proto/shadow/v1/shadow.proto bytes ⇄ domain types, with protobufjs reflection.
//
// Owns the mapping between the wire (snake_case fields, enum numbers, uint64, header values as bytes)
// and control-plane/src/domain/types.ts (camelCase, string unions, numbers, header values as strings).
// Decoding never throws: bytes that are not a valid FilterMessage come back as a CodecError result,
// so one bad message is that stream's problem and never the server's.
//
// Decoding reads the protobufjs message objects directly (no toObject copy) with the types looked up
// once: the stream profile showed lookupType() and toObject among the top self times.
//
// Public API:
//   SERVICE_PATH = '/shadow.v1.ShadowGuard/Connect'
//   type Report = { kind: 'half'; half: Half; seq?: number } | { kind: 'egress'; event: EgressEvent; seq?: number }
//     (decoded: seq always set, 0 = unnumbered, from filters older than FilterMessage.seq)
//   type FilterMessage = { kind: 'hello'; hello: NodeHello } | Report | { kind: 'batch'; messages: Report[] }
//     | { kind: 'ack'; version: string }
//     | { kind: 'nack'; version: string; reason: string } | { kind: 'stats'; stats: FilterStats }
//   interface ConfigSnapshotMessage { version: string; configJson: string }
//   class CodecError extends Error { reason: 'malformed' | 'empty' | 'invalid' }
//   type Decoded<T> = { ok: true; value: T } | { ok: false; error: CodecError }
//   decodeFilterMessage(bytes: Uint8Array): Decoded<FilterMessage>
//   encodeFilterMessage(msg: FilterMessage): Buffer          (the filter's direction; tests, tools)
//   encodeControlMessage(snap: ConfigSnapshotMessage): Buffer
//   encodeDelivered(seq: number): Buffer                      (ControlMessage.delivered)
//   decodeControlMessage(bytes: Uint8Array): Decoded<ConfigSnapshotMessage>
//   protoRoot(): protobuf.Root                                (the loaded .proto, for other tools)
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { Decision, EgressEvent, FilterStats, Half, NodeHello, Role, Side } from '../domain/types.js';

export const SERVICE_PATH = '/shadow.v1.ShadowGuard/Connect';

/** A numbered report: what a Batch holds and what delivery (stream/delivery.ts) deduplicates. */
export type Report = { kind: 'half'; half: Half; seq?: number } | { kind: 'egress'; event: EgressEvent; seq?: number };

export type FilterMessage =
  | { kind: 'hello'; hello: NodeHello }
  | Report
  | { kind: 'batch'; messages: Report[] }
  | { kind: 'ack'; version: string }
  | { kind: 'nack'; version: string; reason: string }
  | { kind: 'stats'; stats: FilterStats };

export interface ConfigSnapshotMessage {
  version: string;
  configJson: string;
}

/** malformed: not protobuf; empty: no oneof member set; invalid: protobuf, but values out of contract. */
export class CodecError extends Error {
  constructor(
    readonly reason: 'malformed' | 'empty' | 'invalid',
    message: string,
  ) {
    super(message);
    this.name = 'CodecError';
  }
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: CodecError };

const PROTO_PATH = fileURLToPath(new URL('../../../proto/shadow/v1/shadow.proto', import.meta.url));
let root: protobuf.Root | undefined;

/** The parsed shadow.proto, loaded once on first use. */
export function protoRoot(): protobuf.Root {
  if (!root) {
    root = protobuf.loadSync(PROTO_PATH);
    root.resolveAll();
  }
  return root;
}
const types = new Map<string, protobuf.Type>();
const type = (name: string): protobuf.Type => {
  let t = types.get(name);
  if (!t) {
    t = protoRoot().lookupType(`shadow.v1.${name}`);
    types.set(name, t);
  }
  return t;
};

// Enum numbers from shadow.proto. Proto3 enums are open: an unknown number decodes fine and must be
// rejected here rather than leak into the domain as a number.
const ROLES: Record<number, Role | undefined> = { 1: 'edge', 2: 'shadow', 3: 'live' };
const SIDES: Record<number, Side | undefined> = { 1: 'live', 2: 'candidate', 3: 'secondary' };
const DECISIONS: Record<number, Decision | undefined> = { 1: 'allowed', 2: 'mocked', 3: 'denied', 4: 'rate_limited' };
const numberOf = <T extends string>(table: Record<number, T | undefined>, v: T | undefined): number =>
  v === undefined ? 0 : Number(Object.keys(table).find((k) => table[Number(k)] === v) ?? 0);

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Header values are bytes on the wire (not guaranteed UTF-8); latin1 maps every byte losslessly. */
function headerValue(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  }
}

// An unset bytes field reads the prototype default, which protobufjs makes an empty array.
const asBuffer = (b: Uint8Array | number[] | undefined): Buffer =>
  Buffer.isBuffer(b)
    ? b
    : b instanceof Uint8Array
      ? Buffer.from(b.buffer, b.byteOffset, b.byteLength)
      : Buffer.from(b ?? []);

// uint64 fields arrive as Long (protobufjs uses the `long` package when installed) or number. Values
// past 2^53 lose precision; they are counters, unix milliseconds and sequence numbers, so that is a
// non-issue in practice.
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const num = (v: number | { toNumber(): number } | undefined): number =>
  v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber();

function invalid(message: string): never {
  throw new CodecError('invalid', message);
}

function toHello(o: Obj): NodeHello {
  const role = ROLES[o.role] ?? invalid(`hello.role ${o.role} is not edge, shadow or live`);
  const side = o.variant === 0 ? undefined : (SIDES[o.variant] ?? invalid(`hello.variant ${o.variant} is unknown`));
  const hello: NodeHello = {
    nodeId: o.nodeId,
    plugin: o.plugin,
    workload: o.workload,
    service: o.service,
    role,
    filterVersion: o.filterVersion,
    configVersion: o.configVersion,
    worker: o.worker,
  };
  if (typeof o.version === 'string' && o.version !== '') hello.version = o.version;
  const epoch = num(o.epoch);
  if (epoch !== 0) hello.epoch = epoch;
  // SIDE_LIVE in a Hello carries no information beyond the role; only shadow variants are kept.
  if (side === 'candidate' || side === 'secondary') hello.variant = side;
  return hello;
}

function toHalf(o: Obj): Half {
  const side = SIDES[o.side] ?? invalid(`half.side ${o.side} is not live, candidate or secondary`);
  return {
    pairId: o.pairId,
    side,
    service: o.service,
    method: o.method,
    host: o.host,
    path: o.path,
    query: o.query,
    status: o.status,
    headers: (o.headers as Obj[]).map((h) => [h.name, headerValue(h.value)] as [string, string]),
    body: asBuffer(o.body),
    truncated: o.truncated,
    bodySize: num(o.bodySize),
    startUnixMs: num(o.startUnixMs),
    latencyUs: o.latencyUs,
    requestId: o.requestId,
    nodeId: o.nodeId,
  };
}

const STATEMENT_CLASSES = ['read', 'write', 'blocked-escape'];
/** The network-filter role's fields (shadow.proto 11-14), present only on TCP events. */
function tcpFields(o: Obj): Partial<EgressEvent> {
  if (!o.protocol) return {};
  const cls = o.statementClass || undefined;
  if (cls !== undefined && !STATEMENT_CLASSES.includes(cls)) invalid(`egress.statementClass ${cls} is unknown`);
  return {
    protocol: o.protocol,
    ...(cls ? { statementClass: cls } : {}),
    count: Number(o.count ?? 0),
    ...(o.sample ? { sample: o.sample } : {}),
  };
}

function toEgress(o: Obj): EgressEvent {
  const decision = DECISIONS[o.decision] ?? invalid(`egress.decision ${o.decision} is unknown`);
  // A live-role filter guarding a tagged call has no shadow variant; it may leave the field unset.
  const variant = o.variant === 0 ? 'live' : (SIDES[o.variant] ?? invalid(`egress.variant ${o.variant} is unknown`));
  return {
    pairId: o.pairId,
    service: o.service,
    variant,
    destination: o.destination,
    method: o.method,
    path: o.path,
    decision,
    rule: o.rule,
    unixMs: num(o.unixMs),
    nodeId: o.nodeId,
    ...tcpFields(o),
  };
}

// The decoded message object itself: proto3 defaults sit on its prototype, the oneof name in a getter.
function decodeObject(name: string, bytes: Uint8Array): Obj {
  const t = type(name);
  try {
    return t.decode(bytes) as Obj;
  } catch (err) {
    throw new CodecError('malformed', `not a ${name}: ${(err as Error).message}`);
  }
}

function attempt<T>(fn: () => T): Decoded<T> {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (err instanceof CodecError) return { ok: false, error: err };
    return { ok: false, error: new CodecError('malformed', (err as Error).message) };
  }
}

function toReport(o: Obj): Report {
  switch (o.msg as string | undefined) {
    case 'half':
      return { kind: 'half', half: toHalf(o.half), seq: num(o.seq) };
    case 'egress':
      return { kind: 'egress', event: toEgress(o.egress), seq: num(o.seq) };
    default:
      return invalid(`a batch holds halves and egress events, not ${o.msg ?? 'an empty message'}`);
  }
}

export function decodeFilterMessage(bytes: Uint8Array): Decoded<FilterMessage> {
  return attempt((): FilterMessage => {
    const o = decodeObject('FilterMessage', bytes);
    switch (o.msg as string | undefined) {
      case 'hello':
        return { kind: 'hello', hello: toHello(o.hello) };
      case 'half':
      case 'egress':
        return toReport(o);
      case 'batch':
        return { kind: 'batch', messages: (o.batch.messages as Obj[]).map(toReport) };
      case 'ack':
        return { kind: 'ack', version: o.ack.version };
      case 'nack':
        return { kind: 'nack', version: o.nack.version, reason: o.nack.reason };
      case 'stats': {
        const s = o.stats;
        return {
          kind: 'stats',
          stats: {
            halvesSent: num(s.halvesSent),
            halvesDropped: num(s.halvesDropped),
            eventsSent: num(s.eventsSent),
            eventsDropped: num(s.eventsDropped),
            reconnects: num(s.reconnects),
            resent: num(s.resent),
            acknowledged: num(s.acknowledged),
          },
        };
      }
      default:
        throw new CodecError('empty', 'FilterMessage has no message set');
    }
  });
}

function fromDomain(msg: FilterMessage): Obj {
  switch (msg.kind) {
    case 'hello': {
      const h = msg.hello;
      return { hello: { ...h, role: numberOf(ROLES, h.role), variant: numberOf(SIDES, h.variant) } };
    }
    case 'batch':
      return { batch: { messages: msg.messages.map(fromDomain) } };
    case 'half': {
      const h = msg.half;
      return {
        seq: msg.seq,
        half: {
          ...h,
          side: numberOf(SIDES, h.side),
          headers: h.headers.map(([name, value]) => ({ name, value: Buffer.from(value, 'utf8') })),
        },
      };
    }
    case 'egress': {
      const e = msg.event;
      return {
        seq: msg.seq,
        egress: {
          ...e,
          variant: e.variant === 'live' ? 0 : numberOf(SIDES, e.variant),
          decision: numberOf(DECISIONS, e.decision),
        },
      };
    }
    case 'ack':
      return { ack: { version: msg.version } };
    case 'nack':
      return { nack: { version: msg.version, reason: msg.reason } };
    case 'stats':
      return { stats: { ...msg.stats } };
  }
}

/** protobufjs's BufferWriter already finishes into a Buffer under Node: no copy then. */
const asOwnBuffer = (b: Uint8Array): Buffer =>
  Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);

export function encodeFilterMessage(msg: FilterMessage): Buffer {
  const t = type('FilterMessage');
  return asOwnBuffer(t.encode(t.fromObject(fromDomain(msg))).finish());
}

export function encodeControlMessage(snap: ConfigSnapshotMessage): Buffer {
  const t = type('ControlMessage');
  return asOwnBuffer(
    t.encode(t.fromObject({ snapshot: { version: snap.version, configJson: snap.configJson } })).finish(),
  );
}

export function encodeDelivered(seq: number): Buffer {
  const t = type('ControlMessage');
  return asOwnBuffer(t.encode(t.fromObject({ delivered: { seq } })).finish());
}

export function decodeControlMessage(bytes: Uint8Array): Decoded<ConfigSnapshotMessage> {
  return attempt(() => {
    const o = decodeObject('ControlMessage', bytes);
    if (o.msg !== 'snapshot') throw new CodecError('empty', 'ControlMessage has no message set');
    return { version: o.snapshot.version, configJson: o.snapshot.configJson };
  });
}
