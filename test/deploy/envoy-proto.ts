// Checks a YAML/JSON Envoy configuration object against Envoy's own API protos (the data-plane-api tree that
// @grpc/grpc-js-xds ships under deps/), the way Envoy's JSON loader would: proto3 JSON mapping (original or
// lowerCamel field names), well-known types, Any resolved by @type, oneofs, unknown fields rejected, plus the
// protoc-gen-validate rules Envoy enforces on load that matter for hand-written files. Pure: returns issues.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import protobuf from 'protobufjs';

export interface Issue {
  path: string;
  message: string;
}

const require = createRequire(import.meta.url);
const XDS_DEPS = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
// descriptor.proto (needed by the validate/udpa annotation extensions) comes with protobufjs itself.
const PROTOBUFJS_DIR = path.dirname(require.resolve('protobufjs/package.json'));
const SEARCH_DIRS = [
  PROTOBUFJS_DIR,
  ...['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => path.join(XDS_DEPS, d)),
];

/** Every file whose messages the checked configs may name in an @type. */
export const ENVOY_PROTO_FILES = [
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/wasm/v3/wasm.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/wasm/v3/wasm.proto',
  'envoy/extensions/filters/network/wasm/v3/wasm.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
];

let cached: protobuf.Root | undefined;
export function loadEnvoyRoot(): protobuf.Root {
  if (cached) return cached;
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    if ((protobuf.common as unknown as Record<string, unknown>)[target] || path.isAbsolute(target)) return target;
    for (const dir of SEARCH_DIRS) {
      const p = path.join(dir, target);
      if (fs.existsSync(p)) return p;
    }
    return null;
  };
  root.loadSync(ENVOY_PROTO_FILES, { keepCase: true });
  root.resolveAll();
  cached = root;
  return root;
}

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const DURATION = /^-?\d+(\.\d{1,9})?s$/;
const INT = /^-?\d+$/;
const RANGES: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  sint32: [-(2 ** 31), 2 ** 31 - 1],
  sfixed32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  fixed32: [0, 2 ** 32 - 1],
  int64: [-(2 ** 63), 2 ** 63],
  sint64: [-(2 ** 63), 2 ** 63],
  sfixed64: [-(2 ** 63), 2 ** 63],
  uint64: [0, 2 ** 64],
  fixed64: [0, 2 ** 64],
};
const WRAPPERS: Record<string, string> = {
  DoubleValue: 'double',
  FloatValue: 'float',
  Int64Value: 'int64',
  UInt64Value: 'uint64',
  Int32Value: 'int32',
  UInt32Value: 'uint32',
  BoolValue: 'bool',
  StringValue: 'string',
  BytesValue: 'bytes',
};

export class EnvoyProtoValidator {
  readonly issues: Issue[] = [];
  constructor(readonly root: protobuf.Root = loadEnvoyRoot()) {}

  /** Validates `value` as the JSON form of message `typeName`; returns all issues found. */
  static check(typeName: string, value: unknown, root?: protobuf.Root): Issue[] {
    const v = new EnvoyProtoValidator(root);
    v.message(v.root.lookupType(typeName), value, '$');
    return v.issues;
  }

  private fail(p: string, message: string) {
    this.issues.push({ path: p, message });
  }

  message(type: protobuf.Type, value: unknown, p: string): void {
    const full = type.fullName.replace(/^\./, '');
    if (full.startsWith('google.protobuf.')) return this.wellKnown(type, full.slice(16), value, p);
    if (!isObj(value)) return this.fail(p, `expected an object for ${full}, got ${JSON.stringify(value)}`);
    const seen = new Map<string, protobuf.Field>();
    for (const [key, v] of Object.entries(value)) {
      const field = type.fields[key] ?? type.fieldsArray.find((f) => camel(f.name) === key);
      const fp = `${p}.${key}`;
      if (!field) {
        const reserved = (type.reserved ?? []).some((r) => r === key);
        this.fail(
          fp,
          reserved ? `field '${key}' was removed from ${full} (reserved)` : `unknown field '${key}' in ${full}`,
        );
        continue;
      }
      if (seen.has(field.name)) this.fail(fp, `field '${field.name}' given twice (original and lowerCamel name)`);
      seen.set(field.name, field);
      if (field.options?.deprecated) this.fail(fp, `field '${field.name}' of ${full} is deprecated`);
      if (v === null) {
        this.fail(fp, 'null is not allowed here');
        continue;
      }
      this.field(field, v, fp);
    }
    for (const oneof of type.oneofsArray) {
      if (oneof.name.startsWith('_') && oneof.fieldsArray.length === 1) continue; // proto3 `optional`
      const set = oneof.fieldsArray.filter((f) => seen.has(f.name)).map((f) => f.name);
      if (set.length > 1)
        this.fail(p, `oneof '${oneof.name}' of ${full} has more than one member set: ${set.join(', ')}`);
      if (set.length === 0 && oneof.options?.['(validate.required)']) {
        this.fail(
          p,
          `oneof '${oneof.name}' of ${full} requires one of: ${oneof.fieldsArray.map((f) => f.name).join(', ')}`,
        );
      }
    }
    for (const field of type.fieldsArray) {
      // PGV applies `required` to a oneof member only when that member is the one chosen.
      if (field.options?.['(validate.rules).message.required'] && !field.partOf && !seen.has(field.name)) {
        this.fail(p, `required field '${field.name}' of ${full} is missing`);
      }
    }
  }

  private field(field: protobuf.Field, v: unknown, p: string): void {
    if (field.map) {
      if (!isObj(v)) return this.fail(p, `expected a map object for '${field.name}'`);
      for (const [k, item] of Object.entries(v)) this.single(field, item, `${p}.${k}`);
      return;
    }
    if (field.repeated) {
      if (!Array.isArray(v)) return this.fail(p, `expected a list for repeated field '${field.name}'`);
      const min = field.options?.['(validate.rules).repeated.min_items'];
      if (typeof min === 'number' && v.length < min) this.fail(p, `'${field.name}' needs at least ${min} items`);
      v.forEach((item, i) => this.single(field, item, `${p}[${i}]`));
      return;
    }
    this.single(field, v, p);
  }

  private single(field: protobuf.Field, v: unknown, p: string): void {
    const rt = field.resolvedType;
    if (rt instanceof protobuf.Type) return this.message(rt, v, p);
    if (rt instanceof protobuf.Enum) return this.enumValue(rt, v, p);
    this.scalar(field.type, v, p, field.options ?? {});
  }

  private enumValue(e: protobuf.Enum, v: unknown, p: string): void {
    if (typeof v === 'string' && v in e.values) return;
    if (typeof v === 'number' && Object.values(e.values).includes(v)) return;
    this.fail(p, `${JSON.stringify(v)} is not a value of enum ${e.name} (${Object.keys(e.values).join(', ')})`);
  }

  private scalar(t: string, v: unknown, p: string, rules: Record<string, unknown>): void {
    if (t === 'string') {
      if (typeof v !== 'string') return this.fail(p, `expected a string, got ${JSON.stringify(v)}`);
      const min = rules['(validate.rules).string.min_len'];
      if (typeof min === 'number' && v.length < min) this.fail(p, `string shorter than ${min}`);
      return;
    }
    if (t === 'bool') {
      if (typeof v !== 'boolean') this.fail(p, `expected a boolean, got ${JSON.stringify(v)}`);
      return;
    }
    if (t === 'bytes') {
      if (typeof v !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) this.fail(p, 'expected base64 bytes');
      return;
    }
    if (t === 'double' || t === 'float') {
      if (typeof v === 'number' || (typeof v === 'string' && /^(NaN|-?Infinity|-?\d+(\.\d+)?([eE][-+]?\d+)?)$/.test(v)))
        return;
      return this.fail(p, `expected a number, got ${JSON.stringify(v)}`);
    }
    const range = RANGES[t];
    if (!range) return this.fail(p, `unsupported scalar type ${t}`);
    const n = typeof v === 'number' ? v : typeof v === 'string' && INT.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < range[0] || n > range[1])
      return this.fail(p, `expected ${t}, got ${JSON.stringify(v)}`);
    const lte = rules[`(validate.rules).${t}.lte`];
    if (typeof lte === 'number' && n > lte) this.fail(p, `${n} exceeds ${lte}`);
  }

  private wellKnown(type: protobuf.Type, name: string, v: unknown, p: string): void {
    const wrapped = WRAPPERS[name];
    if (wrapped) return this.scalar(wrapped, v, p, {});
    switch (name) {
      case 'Duration':
        if (typeof v !== 'string' || !DURATION.test(v))
          this.fail(p, `expected a Duration such as "5s", got ${JSON.stringify(v)}`);
        return;
      case 'Timestamp':
        if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) this.fail(p, 'expected an RFC 3339 Timestamp');
        return;
      case 'Struct':
        if (!isObj(v)) this.fail(p, 'expected an object (Struct)');
        return;
      case 'ListValue':
        if (!Array.isArray(v)) this.fail(p, 'expected a list (ListValue)');
        return;
      case 'Value':
        return;
      case 'Empty':
        if (!isObj(v) || Object.keys(v).length) this.fail(p, 'expected {} (Empty)');
        return;
      case 'Any':
        return this.any(v, p);
      default:
        return this.message(type, v, p); // descriptor types etc.: plain messages
    }
  }

  private any(v: unknown, p: string): void {
    if (!isObj(v)) return this.fail(p, 'expected an object with "@type" (Any)');
    const url = v['@type'];
    if (typeof url !== 'string' || !url.includes('/'))
      return this.fail(p, 'Any needs an "@type" of the form type.googleapis.com/<message>');
    const name = url.slice(url.lastIndexOf('/') + 1);
    let type: protobuf.Type | undefined;
    try {
      type = this.root.lookupType(name);
    } catch {
      type = undefined;
    }
    if (!type) return this.fail(`${p}.@type`, `@type '${url}' does not name a message in the loaded Envoy protos`);
    const { '@type': _t, ...rest } = v;
    const full = type.fullName.replace(/^\./, '');
    // proto3 JSON: an Any holding a type with a special JSON form carries it under "value".
    if (full.startsWith('google.protobuf.')) {
      const keys = Object.keys(rest);
      if (keys.length !== 1 || keys[0] !== 'value')
        return this.fail(p, `Any of ${full} takes exactly one field "value"`);
      return this.message(type, rest.value, `${p}.value`);
    }
    this.message(type, rest, p);
  }
}
