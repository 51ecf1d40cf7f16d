// proxy_get_property: walk a NUL-separated path through typed values and serialize the result the
// way Envoy does (source/extensions/common/wasm/context.cc getProperty/serializeValue): strings and
// bytes raw, int64/uint64 8-byte little-endian, double 8 bytes, bool 1 byte, timestamps and durations
// as int64 nanoseconds, messages as serialized protobuf, maps/lists in the pairs format (lists: keys
// only). Unknown top-level names fall back to filter state `wasm.<name>` (Envoy findValue).

import { encodePairs, HeaderMap } from './headers.js';
import { encodeNode, type NodeInit } from './proto-node.js';
import type { PluginCore } from './plugin-core.js';

/** Typed wrappers for values whose JS type is ambiguous. */
export class Uint64 {
  constructor(readonly value: bigint) {}
}
export class Double {
  constructor(readonly value: number) {}
}
export class Timestamp {
  constructor(readonly ns: bigint) {}
}
export class Duration {
  constructor(readonly ns: bigint) {}
}
/** A protobuf message: serialized whole, traversed by field name. */
export class ProtoMessage {
  constructor(
    readonly fields: Record<string, unknown>,
    readonly bytes: () => Buffer,
  ) {}
}

export const uint64 = (n: number | bigint): Uint64 => new Uint64(BigInt(n));
export const double = (n: number): Double => new Double(n);

/** Lazily computed value (header-derived properties read the map at lookup time). */
export type Lazy = () => unknown;

const isMapLike = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  !(v instanceof Uint8Array) &&
  !(v instanceof Uint64) &&
  !(v instanceof Double) &&
  !(v instanceof Timestamp) &&
  !(v instanceof Duration) &&
  !(v instanceof ProtoMessage) &&
  !(v instanceof HeaderMap) &&
  !(v instanceof Date) &&
  !(v instanceof Map);

const force = (v: unknown): unknown => (typeof v === 'function' ? (v as Lazy)() : v);

function child(value: unknown, part: string): unknown {
  if (value instanceof HeaderMap) {
    const vals = value.getAll(part);
    return vals.length ? vals.join(',') : undefined; // Envoy HeadersWrapper joins repeated values
  }
  if (value instanceof Map) return value.get(part);
  if (value instanceof ProtoMessage) return value.fields[part];
  if (Array.isArray(value)) {
    if (!/^-?\d+$/.test(part)) return undefined;
    return value[Number(part)];
  }
  if (isMapLike(value)) return Object.hasOwn(value, part) ? value[part] : undefined;
  return undefined;
}

/** Envoy serializeValue. Returns undefined for values it cannot serialize (SerializationFailure). */
export function serializeValue(v: unknown): Buffer | undefined {
  v = force(v);
  if (typeof v === 'string') return Buffer.from(v);
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (typeof v === 'boolean') return Buffer.from([v ? 1 : 0]);
  // 8-byte scalars: allocUnsafe (a slice of Node's pool, no zero-fill) is safe as all 8 bytes are written.
  if (typeof v === 'number' && Number.isSafeInteger(v)) {
    // int64 LE as two 32-bit halves (hi is floor(v / 2^32), lo the non-negative rest: two's complement
    // for negatives too), without the BigInt conversions of the general case below.
    const b = Buffer.allocUnsafe(8);
    const hi = Math.floor(v / 2 ** 32);
    b.writeUInt32LE(v - hi * 2 ** 32, 0);
    b.writeInt32LE(hi, 4);
    return b;
  }
  if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) {
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64LE(BigInt.asIntN(64, BigInt(v)));
    return b;
  }
  if (typeof v === 'number' || v instanceof Double) {
    const b = Buffer.allocUnsafe(8);
    b.writeDoubleLE(typeof v === 'number' ? v : v.value);
    return b;
  }
  if (v instanceof Uint64) {
    const b = Buffer.allocUnsafe(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, v.value));
    return b;
  }
  if (v instanceof Timestamp || v instanceof Duration) {
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64LE(v.ns);
    return b;
  }
  if (v instanceof Date) {
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64LE(BigInt(v.getTime()) * 1_000_000n);
    return b;
  }
  if (v instanceof ProtoMessage) return v.bytes();
  if (v instanceof HeaderMap) return encodePairs([...v.joined()]);
  if (Array.isArray(v)) {
    const keys = v.map(serializeValue);
    return keys.every(Boolean) ? encodePairs(keys.map((k) => [k!, ''])) : undefined;
  }
  const entries = v instanceof Map ? [...v.entries()] : isMapLike(v) ? Object.entries(v) : undefined;
  if (entries) {
    const pairs: Array<[Buffer, Buffer]> = [];
    for (const [k, val] of entries) {
      const s = serializeValue(val);
      if (!s) return undefined;
      pairs.push([Buffer.from(String(k)), s]);
    }
    return encodePairs(pairs);
  }
  return undefined;
}

export type PropertyResult =
  | { result: 'ok'; value: Buffer }
  | { result: 'not_found' }
  | { result: 'serialization_failure' };

// Parsed paths by path string: a module reads the same few paths on every request. A parse depends
// only on the string, so sharing it is safe; the bound only keeps a module reading ever-new paths small.
const parsedPaths = new Map<string, readonly string[]>();
const PARSED_PATHS_MAX = 1024;

function parsePath(path: string): readonly string[] {
  let parts = parsedPaths.get(path);
  if (parts) return parts;
  const split = path.split('\0');
  if (split.length > 1 && split[split.length - 1] === '') split.pop(); // Envoy's loop ignores a trailing NUL
  if (parsedPaths.size >= PARSED_PATHS_MAX) parsedPaths.clear();
  parsedPaths.set(path, (parts = split));
  return parts;
}

/** Resolves a NUL-separated path against `top` (the context's top-level lookup). */
export function getProperty(path: string, top: (name: string) => unknown): PropertyResult {
  const parts = parsePath(path);
  let value: unknown = force(top(parts[0]));
  for (let i = 1; i < parts.length && value !== undefined; i++) value = force(child(value, parts[i]));
  if (value === undefined || value === null) return { result: 'not_found' };
  const s = serializeValue(value);
  return s ? { result: 'ok', value: s } : { result: 'serialization_failure' };
}

/** Turns `{ 'xds.node': …, 'source.address': … }` into a tree; `xds.node` objects become Node messages. */
export function propertyTree(flat: Record<string, unknown> | undefined): Map<string, unknown> {
  const tree = new Map<string, unknown>();
  for (const [key, raw] of Object.entries(flat ?? {})) {
    const parts = key.split('.');
    const value = key === 'xds.node' || key === 'node' ? nodeMessage(raw as NodeInit) : raw;
    if (parts.length === 1) {
      tree.set(key, value);
      continue;
    }
    let obj = tree.get(parts[0]) as Record<string, unknown> | undefined;
    if (!isMapLike(obj)) tree.set(parts[0], (obj = {}));
    for (let i = 1; i < parts.length - 1; i++) {
      if (!isMapLike(obj[parts[i]])) obj[parts[i]] = {};
      obj = obj[parts[i]] as Record<string, unknown>;
    }
    obj[parts[parts.length - 1]] =
      parts[0] === 'xds' && parts[1] === 'node' && parts.length === 2 ? nodeMessage(raw as NodeInit) : value;
  }
  return tree;
}

function nodeMessage(n: NodeInit | ProtoMessage): ProtoMessage {
  if (n instanceof ProtoMessage) return n;
  const structValue = (v: unknown): unknown =>
    typeof v === 'number'
      ? new Double(v)
      : Array.isArray(v)
        ? v.map(structValue)
        : isMapLike(v)
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, structValue(x)]))
          : v;
  return new ProtoMessage({ id: n.id ?? '', cluster: n.cluster ?? '', metadata: structValue(n.metadata ?? {}) }, () =>
    encodeNode(n),
  );
}

/** Properties every context can see: the Wasm-only plugin_* names and the plugin-wide tree. */
export function pluginProperty(p: PluginCore, name: string): unknown {
  switch (name) {
    case 'plugin_name':
      return p.name;
    case 'plugin_root_id':
      return p.rootId;
    case 'plugin_vm_id':
      return p.vmId;
    default:
      return p.properties.get(name);
  }
}

/** Deep merge of property trees (later wins), used to layer stream properties over computed ones. */
export function mergeProps(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (isMapLike(base) && isMapLike(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = mergeProps(base[k], v);
    return out;
  }
  return over;
}
