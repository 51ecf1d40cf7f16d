// A compact, defensive JSON reader for configuration documents.
// Why our own: no maintained AssemblyScript JSON library in our dependencies compiles to the ABI
// safely (assemblyscript-json is not installed and aborts on malformed input).
// Never traps: malformed input, excessive nesting (MAX_DEPTH) or size (MAX_INPUT) give null + error.

export const J_NULL: u8 = 0;
export const J_BOOL: u8 = 1;
export const J_NUM: u8 = 2;
export const J_STR: u8 = 3;
export const J_ARR: u8 = 4;
export const J_OBJ: u8 = 5;

const MAX_DEPTH: i32 = 32;
export const MAX_INPUT: i32 = 8 * 1024 * 1024;

export class JsonValue {
  kind: u8 = J_NULL;
  b: bool = false;
  n: f64 = 0;
  s: string = "";
  items: Array<JsonValue> | null = null;   // array elements
  keys: Array<string> | null = null;       // object keys, in document order (duplicates: last wins)
  values: Array<JsonValue> | null = null;

  get(key: string): JsonValue | null {
    const ks = this.keys;
    const vs = this.values;
    if (ks === null || vs === null) return null;
    for (let i = ks.length - 1; i >= 0; i--) if (unchecked(ks[i]) == key) return unchecked(vs[i]);
    return null;
  }
}

export function kindName(k: u8): string {
  switch (k) {
    case J_NULL: return "null";
    case J_BOOL: return "boolean";
    case J_NUM: return "number";
    case J_STR: return "string";
    case J_ARR: return "array";
    default: return "object";
  }
}

export class JsonParser {
  private s: string = "";
  private i: i32 = 0;
  error: string = "";

  parse(text: string): JsonValue | null {
    this.error = "";
    if (text.length > MAX_INPUT) { this.error = "document too large"; return null; }
    this.s = text;
    this.i = 0;
    const v = this.value(0);
    if (v === null) return null;
    this.ws();
    if (this.i < this.s.length) return this.fail("unexpected data after the document");
    return v;
  }

  private fail(msg: string): JsonValue | null {
    if (this.error.length == 0) this.error = msg + " at offset " + this.i.toString();
    return null;
  }

  @inline private peek(): i32 { return this.i < this.s.length ? <i32>this.s.charCodeAt(this.i) : -1; }

  private ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09) this.i++; else break;
    }
  }

  private value(depth: i32): JsonValue | null {
    if (depth > MAX_DEPTH) return this.fail("nesting deeper than " + MAX_DEPTH.toString());
    this.ws();
    const c = this.peek();
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const str = this.str();
      if (str === null) return null;
      const v = new JsonValue(); v.kind = J_STR; v.s = str; return v;
    }
    if (c == 0x74) return this.literal("true", J_BOOL, true);
    if (c == 0x66) return this.literal("false", J_BOOL, false);
    if (c == 0x6e) return this.literal("null", J_NULL, false);
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    return this.fail(c < 0 ? "unexpected end of document" : "unexpected character");
  }

  private literal(word: string, kind: u8, b: bool): JsonValue | null {
    if (this.i + word.length > this.s.length || this.s.substring(this.i, this.i + word.length) != word) {
      return this.fail("invalid literal");
    }
    this.i += word.length;
    const v = new JsonValue(); v.kind = kind; v.b = b; return v;
  }

  // Validates the RFC 8259 number grammar, then converts with parseFloat.
  private number(): JsonValue | null {
    const s = this.s;
    const start = this.i;
    if (this.peek() == 0x2d) this.i++;
    let c = this.peek();
    if (c == 0x30) this.i++;
    else if (c >= 0x31 && c <= 0x39) { while ((c = this.peek()) >= 0x30 && c <= 0x39) this.i++; }
    else return this.fail("invalid number");
    if (this.peek() == 0x2e) {
      this.i++;
      if (!((c = this.peek()) >= 0x30 && c <= 0x39)) return this.fail("invalid number");
      while ((c = this.peek()) >= 0x30 && c <= 0x39) this.i++;
    }
    c = this.peek();
    if (c == 0x65 || c == 0x45) {
      this.i++;
      c = this.peek();
      if (c == 0x2b || c == 0x2d) this.i++;
      if (!((c = this.peek()) >= 0x30 && c <= 0x39)) return this.fail("invalid number");
      while ((c = this.peek()) >= 0x30 && c <= 0x39) this.i++;
    }
    const v = new JsonValue();
    v.kind = J_NUM;
    v.n = parseFloat(s.substring(start, this.i));
    return v;
  }

  private hex4(): i32 {
    if (this.i + 4 > this.s.length) return -1;
    let r = 0;
    for (let k = 0; k < 4; k++) {
      const c = <i32>this.s.charCodeAt(this.i + k);
      let d: i32;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
      else return -1;
      r = (r << 4) | d;
    }
    this.i += 4;
    return r;
  }

  // Fast path: no escapes → one substring. With escapes, decode into one pre-sized string (linear;
  // repeated concatenation would be quadratic on a hostile document).
  private str(): string | null {
    const s = this.s;
    const start = ++this.i; // after the opening quote
    let escapes = false;
    while (true) {
      if (this.i >= s.length) { this.fail("unterminated string"); return null; }
      const c = s.charCodeAt(this.i);
      if (c == 0x22) break;
      if (c < 0x20) { this.fail("control character in string"); return null; }
      if (c == 0x5c) { escapes = true; this.i += 2; continue; }
      this.i++;
    }
    const end = this.i;
    this.i++;
    if (!escapes) return s.substring(start, end);
    const out = changetype<usize>(__new(<usize>(end - start) << 1, idof<String>()));
    let o: usize = 0;
    let k = start;
    while (k < end) {
      let c = <i32>s.charCodeAt(k++);
      if (c == 0x5c) {
        const e = k < end ? <i32>s.charCodeAt(k++) : -1;
        switch (e) {
          case 0x22: c = 0x22; break;
          case 0x5c: c = 0x5c; break;
          case 0x2f: c = 0x2f; break;
          case 0x62: c = 0x08; break;
          case 0x66: c = 0x0c; break;
          case 0x6e: c = 0x0a; break;
          case 0x72: c = 0x0d; break;
          case 0x74: c = 0x09; break;
          case 0x75: {
            const save = this.i;
            this.i = k;
            const h = this.hex4();
            k = this.i;
            this.i = save;
            if (h < 0) { this.i = k; this.fail("invalid \\u escape"); return null; }
            c = h;
            break;
          }
          default: this.i = k; this.fail("invalid escape"); return null;
        }
      }
      store<u16>(out + (o << 1), <u16>c);
      o++;
    }
    return changetype<string>(__renew(out, o << 1));
  }

  private array(depth: i32): JsonValue | null {
    this.i++;
    const v = new JsonValue();
    v.kind = J_ARR;
    const items = new Array<JsonValue>();
    v.items = items;
    this.ws();
    if (this.peek() == 0x5d) { this.i++; return v; }
    while (true) {
      const item = this.value(depth + 1);
      if (item === null) return null;
      items.push(item);
      this.ws();
      const c = this.peek();
      if (c == 0x2c) { this.i++; continue; }
      if (c == 0x5d) { this.i++; return v; }
      return this.fail("expected ',' or ']'");
    }
  }

  private object(depth: i32): JsonValue | null {
    this.i++;
    const v = new JsonValue();
    v.kind = J_OBJ;
    const keys = new Array<string>();
    const values = new Array<JsonValue>();
    v.keys = keys;
    v.values = values;
    this.ws();
    if (this.peek() == 0x7d) { this.i++; return v; }
    while (true) {
      this.ws();
      if (this.peek() != 0x22) return this.fail("expected a property name");
      const k = this.str();
      if (k === null) return null;
      this.ws();
      if (this.peek() != 0x3a) return this.fail("expected ':'");
      this.i++;
      const item = this.value(depth + 1);
      if (item === null) return null;
      keys.push(k);
      values.push(item);
      this.ws();
      const c = this.peek();
      if (c == 0x2c) { this.i++; continue; }
      if (c == 0x7d) { this.i++; return v; }
      return this.fail("expected ',' or '}'");
    }
  }
}
