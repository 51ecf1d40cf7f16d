// Generic JSON Schema (draft-07) checks used by parse.ts to mirror schema/filter-config.schema.json:
// type, enum, range, length (in code points, as JSON Schema counts), pattern character classes,
// additionalProperties:false. Each check records the first error as "<field path>: <reason>".
import { JsonValue, J_ARR, J_BOOL, J_NUM, J_OBJ, J_STR, kindName } from "../json";

export class Checker {
  error: string = "";

  get ok(): bool { return this.error.length == 0; }

  fail(path: string, msg: string): bool {
    if (this.error.length == 0) this.error = (path.length > 0 ? path : "(document)") + ": " + msg;
    return false;
  }

  isType(v: JsonValue, kind: u8, path: string): bool {
    if (v.kind == kind) return true;
    return this.fail(path, "must be " + (kind == J_OBJ ? "an " : "a ") + kindName(kind) + ", got " + kindName(v.kind));
  }

  // additionalProperties: false
  onlyKeys(v: JsonValue, allowed: Array<string>, path: string): bool {
    const ks = v.keys;
    if (ks === null) return true;
    for (let i = 0; i < ks.length; i++) {
      const k = unchecked(ks[i]);
      if (!allowed.includes(k)) return this.fail(join(path, k), "unknown field");
    }
    return true;
  }

  required(v: JsonValue, key: string, path: string): JsonValue | null {
    const f = v.get(key);
    if (f === null) this.fail(join(path, key), "required");
    return f;
  }

  str(v: JsonValue, path: string, minLen: i32, maxLen: i32): string | null {
    if (!this.isType(v, J_STR, path)) return null;
    const n = codePoints(v.s);
    if (n < minLen) { this.fail(path, minLen == 1 ? "must not be empty" : "shorter than " + minLen.toString()); return null; }
    if (n > maxLen) { this.fail(path, "longer than " + maxLen.toString() + " characters"); return null; }
    return v.s;
  }

  oneOf(v: JsonValue, path: string, values: Array<string>): i32 {
    if (!this.isType(v, J_STR, path)) return -1;
    const i = values.indexOf(v.s);
    if (i < 0) this.fail(path, "must be one of " + values.join(", "));
    return i;
  }

  num(v: JsonValue, path: string, lo: f64, hi: f64, exclusiveLo: bool): f64 {
    if (!this.isType(v, J_NUM, path)) return NaN;
    const n = v.n;
    if (!isFinite(n)) { this.fail(path, "must be a finite number"); return NaN; }
    if (exclusiveLo ? n <= lo : n < lo) { this.fail(path, "must be " + (exclusiveLo ? "> " : ">= ") + fmt(lo)); return NaN; }
    if (n > hi) { this.fail(path, "must be <= " + fmt(hi)); return NaN; }
    return n;
  }

  int(v: JsonValue, path: string, lo: f64, hi: f64): f64 {
    if (!this.isType(v, J_NUM, path)) return NaN;
    if (!isFinite(v.n) || Math.floor(v.n) != v.n) { this.fail(path, "must be an integer"); return NaN; }
    return this.num(v, path, lo, hi, false);
  }

  bool(v: JsonValue, path: string): bool {
    this.isType(v, J_BOOL, path);
    return v.b;
  }

  array(v: JsonValue, path: string, maxItems: i32): Array<JsonValue> | null {
    if (!this.isType(v, J_ARR, path)) return null;
    const items = v.items as Array<JsonValue>;
    if (items.length > maxItems) { this.fail(path, "more than " + maxItems.toString() + " items"); return null; }
    return items;
  }

  // Array of strings, each checked by strItem.
  strings(v: JsonValue, path: string, maxItems: i32, minLen: i32, maxLen: i32, pattern: i32): Array<string> | null {
    const items = this.array(v, path, maxItems);
    if (items === null) return null;
    const out = new Array<string>();
    for (let i = 0; i < items.length; i++) {
      const p = path + "[" + i.toString() + "]";
      const s = this.str(unchecked(items[i]), p, minLen, maxLen);
      if (s === null) return null;
      if (pattern != 0 && !this.pattern(s, pattern, p)) return null;
      out.push(s);
    }
    return out;
  }

  pattern(s: string, pattern: i32, path: string): bool {
    if (matchesPattern(s, pattern)) return true;
    return this.fail(path, "does not match " + patternText(pattern));
  }
}

export function join(path: string, key: string): string {
  return path.length == 0 ? key : path + "." + key;
}

function fmt(n: f64): string {
  return Math.floor(n) == n && Math.abs(n) < 1e15 ? (<i64>n).toString() : n.toString();
}

// JSON Schema lengths count code points: a surrogate pair is one character.
export function codePoints(s: string): i32 {
  let n = s.length;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) {
      const p = s.charCodeAt(i - 1);
      if (p >= 0xd800 && p <= 0xdbff) n--;
    }
  }
  return n;
}

// The schema's patterns, as character classes (every one is ^[class]+$ or ^/).
export const PAT_SERVICE: i32 = 1;   // ^[A-Za-z0-9._-]+$
export const PAT_RULE_NAME: i32 = 2; // ^[A-Za-z0-9._:-]+$
export const PAT_METHOD: i32 = 3;    // ^[A-Z]+$
export const PAT_HEADER: i32 = 4;    // ^[a-z0-9-]+$
export const PAT_SLASH: i32 = 5;     // ^/

function patternText(p: i32): string {
  switch (p) {
    case PAT_SERVICE: return "^[A-Za-z0-9._-]+$";
    case PAT_RULE_NAME: return "^[A-Za-z0-9._:-]+$";
    case PAT_METHOD: return "^[A-Z]+$";
    case PAT_HEADER: return "^[a-z0-9-]+$";
    default: return "^/";
  }
}

function matchesPattern(s: string, p: i32): bool {
  if (p == PAT_SLASH) return s.length > 0 && s.charCodeAt(0) == 0x2f;
  if (s.length == 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const upper = c >= 0x41 && c <= 0x5a;
    const lowerc = c >= 0x61 && c <= 0x7a;
    const digit = c >= 0x30 && c <= 0x39;
    let ok = false;
    if (p == PAT_METHOD) ok = upper;
    else if (p == PAT_HEADER) ok = lowerc || digit || c == 0x2d;
    else {
      ok = upper || lowerc || digit || c == 0x2e || c == 0x5f || c == 0x2d;
      if (p == PAT_RULE_NAME && c == 0x3a) ok = true;
    }
    if (!ok) return false;
  }
  return true;
}
