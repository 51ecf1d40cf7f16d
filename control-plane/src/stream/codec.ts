// Codec: proto/shadow/v1/shadow.proto bytes ⇄ domain types, with protobufjs reflection.
//
// Owns the mapping between the wire (snake_case fields, enum numbers, uint64, header values as bytes)
// and control-plane/src/domain/types.ts (camelCase, string unions, numbers, header values as strings).
// Decoding never throws: bytes that are not a valid FilterMessage come back as a CodecError result,
// so one bad message is that stream's problem and never the server's. It reads protobufjs's decoded
// objects directly (no toObject copy): the stream profile showed toObject and lookupType() high.
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
    readonly reason: 'malformed' | 'empty' | 'invalid' | 'too-long',
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
/** lookupType() resolves the dotted name through the namespaces on every call: once per type here. */
const type = (name: string): protobuf.Type =>
  types.get(name) ?? types.set(name, protoRoot().lookupType(`shadow.v1.${name}`)).get(name)!;

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

// Encoding: a view, never a copy (protobufjs's BufferWriter already finishes into a Buffer under Node).
const asBuffer = (b: Uint8Array): Buffer =>
  Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/**
 * Decoding: a copy in memory of its own. A decoded bytes field is a view into the whole gRPC message,
 * which it would keep alive; and Buffer.from() would copy a body under 4 KiB into Node's shared 8 KiB
 * pool, where one held body pins the whole slab (measured: 8 KiB of ArrayBuffer per pending 2 KiB body,
 * issue 13). Bodies are held for the pairing window, so each gets exactly its own bytes.
 */
const ownBuffer = (b: Uint8Array | undefined): Buffer => {
  // an unset field decodes as protobufjs's shared empty array, not a Uint8Array: .length, not .byteLength
  if (!b || b.length === 0) return Buffer.alloc(0);
  const out = Buffer.allocUnsafeSlow(b.length);
  out.set(b);
  return out;
};

/**
 * Longest string a filter may send per field, enforced at decode: a message past one is refused
 * (CodecError 'too-long', counted by reason per node) instead of being held, stored and served
 * (issue 14 finding 10: 1 MiB destinations took memory to 2.6 GB and broke every state save).
 * Envoy's own header limits bound real traffic well below these (max_request_headers_kb: 60 KiB).
 */
export const FIELD_LIMITS = {
  id: 256, // pairId, requestId, nodeId, service, method, rule, plugin, workload, versions
  host: 1024, // host, destination
  path: 64 * 1024,
  query: 64 * 1024,
  headerName: 256,
  headerValue: 64 * 1024,
  headers: 256, // count
  reason: 4096, // nack reason
} as const;

function capped(v: unknown, field: string, max: number): string {
  const s = typeof v === 'string' ? v : String(v ?? '');
  if (s.length > max) throw new CodecError('too-long', `${field} is ${s.length} characters (limit ${max})`);
  return s;
}

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
  // Hello field lengths are checked by session.ts (helloProblem): a bad Hello refuses the stream.
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
  const L = FIELD_LIMITS;
  const half: Half = {
    pairId: capped(o.pairId, 'half.pairId', L.id),
    side,
    service: capped(o.service, 'half.service', L.id),
    method: capped(o.method, 'half.method', L.id),
    host: capped(o.host, 'half.host', L.host),
    path: capped(o.path, 'half.path', L.path),
    query: capped(o.query, 'half.query', L.query),
    status: o.status,
    headers: headerList(o.headers, 'half.headers'),
    body: ownBuffer(o.body),
    truncated: o.truncated,
    bodySize: num(o.bodySize),
    startUnixMs: num(o.startUnixMs),
    latencyUs: o.latencyUs,
    requestId: capped(o.requestId, 'half.requestId', L.id),
    nodeId: capped(o.nodeId, 'half.nodeId', L.id),
  };
  // The request (shadow.proto 17-20): only from an edge whose policy opts in (capture.request).
  const rh = o.requestHeaders as Obj[] | undefined;
  const rb = o.requestBody as Uint8Array | undefined;
  if ((rh && rh.length > 0) || (rb && rb.length > 0) || num(o.requestBodySize) > 0) {
    half.request = {
      headers: headerList(rh ?? [], 'half.requestHeaders'),
      body: ownBuffer(rb),
      truncated: o.requestTruncated === true,
      bodySize: num(o.requestBodySize),
    };
  }
  return half;
}

function headerList(hs: Obj[], field: string): Array<[string, string]> {
  const L = FIELD_LIMITS;
  if (hs.length > L.headers) throw new CodecError('too-long', `${field} has ${hs.length} entries (limit ${L.headers})`);
  return hs.map(
    (h) =>
      [
        capped(h.name, `${field}.name`, L.headerName),
        capped(headerValue(h.value), `${field}.value`, L.headerValue),
      ] as [string, string],
  );
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
  const L = FIELD_LIMITS;
  return {
    pairId: capped(o.pairId, 'egress.pairId', L.id),
    service: capped(o.service, 'egress.service', L.id),
    variant,
    destination: capped(o.destination, 'egress.destination', L.host),
    method: capped(o.method, 'egress.method', L.id),
    path: capped(o.path, 'egress.path', L.path),
    decision,
    rule: capped(o.rule, 'egress.rule', L.id),
    unixMs: num(o.unixMs),
    nodeId: capped(o.nodeId, 'egress.nodeId', L.id),
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
        return { kind: 'ack', version: capped(o.ack.version, 'ack.version', FIELD_LIMITS.id) };
      case 'nack':
        return {
          kind: 'nack',
          version: capped(o.nack.version, 'nack.version', FIELD_LIMITS.id),
          reason: capped(o.nack.reason, 'nack.reason', FIELD_LIMITS.reason),
        };
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
      const { request, ...h } = msg.half;
      const toHeaders = (hs: Array<[string, string]>) =>
        hs.map(([name, value]) => ({ name, value: Buffer.from(value, 'utf8') }));
      return {
        seq: msg.seq,
        half: {
          ...h,
          side: numberOf(SIDES, h.side),
          headers: toHeaders(h.headers),
          ...(request
            ? {
                requestHeaders: toHeaders(request.headers),
                requestBody: request.body,
                requestTruncated: request.truncated,
                requestBodySize: request.bodySize,
              }
            : {}),
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

export function encodeFilterMessage(msg: FilterMessage): Buffer {
  const t = type('FilterMessage');
  return asBuffer(t.encode(t.fromObject(fromDomain(msg))).finish());
}

export function encodeControlMessage(snap: ConfigSnapshotMessage): Buffer {
  const t = type('ControlMessage');
  return asBuffer(
    t.encode(t.fromObject({ snapshot: { version: snap.version, configJson: snap.configJson } })).finish(),
  );
}

export function encodeDelivered(seq: number): Buffer {
  const t = type('ControlMessage');
  return asBuffer(t.encode(t.fromObject({ delivered: { seq } })).finish());
}

export function decodeControlMessage(bytes: Uint8Array): Decoded<ConfigSnapshotMessage> {
  return attempt(() => {
    const o = decodeObject('ControlMessage', bytes);
    if (o.msg !== 'snapshot') throw new CodecError('empty', 'ControlMessage has no message set');
    return { version: o.snapshot.version, configJson: o.snapshot.configJson };
  });
}
