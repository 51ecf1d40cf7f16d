// A strict reader over the parsed Envoy YAML: every object is read through `fields(known)`, which
// rejects any key the sandbox mesh does not implement, and every value is type-checked where it is
// read. Errors name the field by its path in the file (e.g. `static_resources.listeners[0].foo`), so
// a configuration the mesh would silently mis-run stops it instead (docs/architecture.md: "a field it does not
// implement is an error, never silently ignored").

export class MeshConfigError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'MeshConfigError';
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export class Val {
  constructor(
    readonly value: unknown,
    readonly path: string,
  ) {}

  fail(message: string): never {
    throw new MeshConfigError(this.path, message);
  }

  /** The object's fields; any key outside `known` stops the mesh with the key's path. */
  fields(known: readonly string[]): Fields {
    if (!isPlainObject(this.value)) this.fail(`expected an object, got ${describe(this.value)}`);
    for (const key of Object.keys(this.value)) {
      if (!known.includes(key)) {
        throw new MeshConfigError(
          this.child(key),
          'field not implemented by the sandbox mesh (it implements only the Envoy subset envoy/envoy.yaml uses)',
        );
      }
    }
    return new Fields(this.value, this.path);
  }

  list(): Val[] {
    if (!Array.isArray(this.value)) this.fail(`expected a list, got ${describe(this.value)}`);
    return this.value.map((v, i) => new Val(v, `${this.path}[${i}]`));
  }

  str(): string {
    if (typeof this.value !== 'string') this.fail(`expected a string, got ${describe(this.value)}`);
    return this.value;
  }

  bool(): boolean {
    if (typeof this.value !== 'boolean') this.fail(`expected true or false, got ${describe(this.value)}`);
    return this.value;
  }

  /** A non-negative integer (proto uint32 fields such as port_value, numerator). */
  uint(max = 0xffffffff): number {
    const v = this.value;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max)
      this.fail(`expected an integer 0..${max}, got ${describe(v)}`);
    return v;
  }

  oneOf<T extends string>(allowed: readonly T[]): T {
    const s = this.str();
    if (!(allowed as readonly string[]).includes(s))
      this.fail(`value "${s}" not implemented by the sandbox mesh (supported: ${allowed.join(', ')})`);
    return s as T;
  }

  /** google.protobuf.Duration in its JSON/YAML form ("15s", "0.25s"), in milliseconds. */
  durationMs(): number {
    const s = this.str();
    const m = /^(\d+)(?:\.(\d{1,9}))?s$/.exec(s);
    if (!m) this.fail(`expected a duration such as "15s" or "0.5s", got "${s}"`);
    return Number(m[1]) * 1000 + (m[2] ? Number(`0.${m[2]}`) * 1000 : 0);
  }

  child(key: string | number): string {
    return typeof key === 'number' ? `${this.path}[${key}]` : this.path ? `${this.path}.${key}` : key;
  }
}

export class Fields {
  constructor(
    readonly obj: Record<string, unknown>,
    readonly path: string,
  ) {}

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }
  at(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }
  fail(key: string, message: string): never {
    throw new MeshConfigError(this.at(key), message);
  }

  opt(key: string): Val | undefined {
    return this.has(key) ? new Val(this.obj[key], this.at(key)) : undefined;
  }
  req(key: string): Val {
    if (!this.has(key)) throw new MeshConfigError(this.at(key), 'required field is missing');
    return new Val(this.obj[key], this.at(key));
  }

  /** The object's "@type" (typed_config, Any), which must be one of `types`. */
  anyType(types: readonly string[]): string {
    const t = this.req('@type').str();
    if (!types.includes(t))
      this.fail('@type', `type "${t}" not implemented by the sandbox mesh (supported: ${types.join(', ')})`);
    return t;
  }
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

export const TYPE = 'type.googleapis.com/';
