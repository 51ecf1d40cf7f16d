// Classifies PostgreSQL SQL text for the readonly guard: read (forward; the server still enforces
// the injected default_transaction_read_only), write (blocked here, so the client gets one clean
// error naming Shadowguard), or escape (a statement that could turn the read-only default off or act
// outside it: the escapes the PostgreSQL docs list for SET TRANSACTION / variable.c's
// check_transaction_read_only). Works on the raw UTF-8 bytes, no allocation per word: a small lexer
// skips whitespace, -- and nested /* */ comments, '…' / E'…' strings, "…" identifiers and $tag$…$tag$
// bodies, and compares keywords case-insensitively. Unknown leading keywords are writes (deny by
// default). Multi-statement text is as bad as its worst statement.

export const SQL_READ: i32 = 0;
export const SQL_WRITE: i32 = 1;
export const SQL_ESCAPE: i32 = 2;

// Keywords by id. A word is identified by its upper-case FNV-1a hash, computed while scanning, and
// one probe of a small open-addressing table (then verified byte by byte): no allocation per word.
const K_NONE: i32 = 0;
const K_READ_FIRST: i32 = 1;   // leading keywords that only read or manage the session harmlessly
const K_ESCAPE: i32 = 2;       // anywhere outside quotes: acts outside the read-only transaction
const K_FROM: i32 = 3;
const K_INTO: i32 = 4;
const K_ALL: i32 = 5;
const K_CHARACTERISTICS: i32 = 6;
const K_ANALYZE: i32 = 7;
const K_PREPARED: i32 = 8;
const K_TRANSACTION: i32 = 9;
const K_DML: i32 = 10;         // INSERT/UPDATE/DELETE/MERGE anywhere (data-modifying CTE, EXPLAIN ANALYZE)
const K_READ: i32 = 11;
const K_WRITE: i32 = 12;
// Leading words the classifier needs by name.
const K_SELECT: i32 = 20;
const K_COPY: i32 = 21;
const K_RESET: i32 = 22;
const K_DISCARD: i32 = 23;
const K_SET: i32 = 24;
const K_WITH: i32 = 25;
const K_EXPLAIN: i32 = 26;
const K_PREPARE: i32 = 27;
const K_DECLARE: i32 = 28;
const K_DO: i32 = 29;

const READ_FIRST = ["VALUES", "TABLE", "SHOW", "FETCH", "MOVE", "CLOSE", "COMMIT", "END", "ROLLBACK", "ABORT",
  "SAVEPOINT", "RELEASE", "DEALLOCATE", "EXECUTE", "BEGIN", "START", "LISTEN", "UNLISTEN"];
const ESCAPE_WORDS = ["SET_CONFIG", "DBLINK", "DBLINK_EXEC", "DBLINK_CONNECT", "DBLINK_SEND_QUERY",
  "PG_NOTIFY", "PG_TERMINATE_BACKEND", "PG_CANCEL_BACKEND", "PG_RELOAD_CONF", "LO_IMPORT", "LO_EXPORT",
  "PG_ADVISORY_LOCK", "PG_ADVISORY_XACT_LOCK", "PG_TRY_ADVISORY_LOCK", "PG_TRY_ADVISORY_XACT_LOCK",
  "PG_ADVISORY_LOCK_SHARED", "PG_ADVISORY_XACT_LOCK_SHARED", "PG_TRY_ADVISORY_LOCK_SHARED",
  "PG_TRY_ADVISORY_XACT_LOCK_SHARED", "PG_LOGICAL_EMIT_MESSAGE", "SETVAL", "NEXTVAL"];

// Open-addressing table of keyword hashes (power of two, ≤ 50 % full): slot → hash, id, word.
const SLOTS: i32 = 256;
const slotHash = new StaticArray<u32>(SLOTS);
const slotId = new StaticArray<i32>(SLOTS);
const slotWord = new StaticArray<string>(SLOTS);
let ready = false;

function hashStr(w: string): u32 {
  let h: u32 = 0x811c9dc5;
  for (let i = 0; i < w.length; i++) h = (h ^ <u32>w.charCodeAt(i)) * 0x01000193;
  return h;
}
function add(w: string, id: i32): void {
  const h = hashStr(w);
  let i = <i32>(h & <u32>(SLOTS - 1));
  while (unchecked(slotId[i]) != K_NONE) i = (i + 1) & (SLOTS - 1);
  unchecked(slotHash[i] = h);
  unchecked(slotId[i] = id);
  unchecked(slotWord[i] = w);
}
function init(): void {
  ready = true;
  for (let i = 0; i < READ_FIRST.length; i++) add(READ_FIRST[i], K_READ_FIRST);
  for (let i = 0; i < ESCAPE_WORDS.length; i++) add(ESCAPE_WORDS[i], K_ESCAPE);
  add("FROM", K_FROM); add("INTO", K_INTO); add("ALL", K_ALL); add("CHARACTERISTICS", K_CHARACTERISTICS);
  add("ANALYZE", K_ANALYZE); add("PREPARED", K_PREPARED); add("TRANSACTION", K_TRANSACTION);
  add("INSERT", K_DML); add("UPDATE", K_DML); add("DELETE", K_DML); add("MERGE", K_DML);
  add("READ", K_READ); add("WRITE", K_WRITE);
  add("SELECT", K_SELECT); add("COPY", K_COPY); add("RESET", K_RESET); add("DISCARD", K_DISCARD);
  add("SET", K_SET); add("WITH", K_WITH); add("EXPLAIN", K_EXPLAIN); add("PREPARE", K_PREPARE);
  add("DECLARE", K_DECLARE); add("DO", K_DO);
}

// One statement's facts, reset at each ';'.
class Stmt {
  first: i32 = K_NONE;
  words: i32 = 0;
  prevRead: bool = false;     // the previous word was READ
  readWrite: bool = false;    // READ WRITE seen
  hasFrom: bool = false;
  hasInto: bool = false;
  hasAll: bool = false;
  characteristics: bool = false;
  dml: bool = false;
  parenSecond: bool = false;  // COPY ( query ) TO …
  prepared: bool = false;     // PREPARE TRANSACTION / COMMIT|ROLLBACK PREPARED
  cls: i32 = SQL_READ;
  reset(): void {
    this.first = K_NONE; this.words = 0; this.prevRead = false; this.readWrite = false; this.hasFrom = false;
    this.hasInto = false; this.hasAll = false; this.characteristics = false;
    this.dml = false; this.parenSecond = false; this.prepared = false; this.cls = SQL_READ;
  }
}

const st = new Stmt();
let gucMentioned = false; // the text names transaction_read_only somewhere (SET/RESET of it: escape)

@inline function upper(c: i32): i32 { return c >= 0x61 && c <= 0x7a ? c - 32 : c; }
@inline function isWord(c: i32): bool {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x5f || c >= 0x80 || c == 0x24;
}

// "transaction_read_only" anywhere (identifiers, strings, comments): SET/RESET/set_config of the
// session default or of the current transaction's mode.
function mentionsReadOnlyGuc(p: usize, n: i32): bool {
  const k = "TRANSACTION_READ_ONLY";
  const kl = k.length;
  const kp = changetype<usize>(k); // UTF-16 units read in place (charCodeAt is a call per unit)
  for (let i = 0; i + kl <= n; i++) {
    if (upper(<i32>load<u8>(p + <usize>i)) != 0x54) continue;
    let j = 1;
    while (j < kl && upper(<i32>load<u8>(p + <usize>(i + j))) == <i32>load<u16>(kp + (<usize>j << 1))) j++;
    if (j == kl) return true;
  }
  return false;
}

// The keyword id of bytes [p, p+len) hashed as h (upper-cased), K_NONE for any other word.
function keyword(p: usize, len: i32, h: u32): i32 {
  let i = <i32>(h & <u32>(SLOTS - 1));
  for (let probes = 0; probes < SLOTS; probes++) {
    const id = unchecked(slotId[i]);
    if (id == K_NONE) return K_NONE;
    if (unchecked(slotHash[i]) == h) {
      const w = unchecked(slotWord[i]);
      if (w.length != len) return K_NONE;
      const wp = changetype<usize>(w);
      for (let j = 0; j < len; j++) if (upper(<i32>load<u8>(p + <usize>j)) != <i32>load<u16>(wp + (<usize>j << 1))) return K_NONE;
      return id;
    }
    i = (i + 1) & (SLOTS - 1);
  }
  return K_NONE;
}

function word(p: usize, len: i32, h: u32): void {
  const s = st;
  const k = keyword(p, len, h);
  if (s.words == 0) s.first = k == K_NONE ? -1 : k == K_READ_FIRST ? K_READ_FIRST : k;
  s.words++;
  if (k == K_ESCAPE) { s.cls = SQL_ESCAPE; return; }
  if (k == K_WRITE && s.prevRead) s.readWrite = true;
  s.prevRead = k == K_READ;
  if (k == K_FROM) s.hasFrom = true;
  else if (k == K_INTO) s.hasInto = true;
  else if (k == K_ALL) s.hasAll = true;
  else if (k == K_CHARACTERISTICS) s.characteristics = true;
  else if (k == K_PREPARED || (s.words == 2 && k == K_TRANSACTION && s.first == K_PREPARE)) s.prepared = true;
  else if (k == K_DML) s.dml = true;
}

// The class of one finished statement.
function finish(): i32 {
  const s = st;
  if (s.words == 0) return SQL_READ;
  if (s.cls == SQL_ESCAPE || s.readWrite || s.characteristics || s.prepared) return SQL_ESCAPE;
  const f = s.first;
  if (f == K_DO) return SQL_ESCAPE;
  if (f < K_SELECT && f != K_READ_FIRST) return SQL_WRITE;             // unknown leading word: deny
  if ((f == K_RESET || f == K_DISCARD) && s.hasAll) return SQL_ESCAPE;
  if ((f == K_SET || f == K_RESET) && gucMentioned) return SQL_ESCAPE;
  if (f == K_COPY) return !s.parenSecond && s.hasFrom ? SQL_WRITE : SQL_READ;
  if (f == K_SELECT && (s.hasInto || s.dml)) return SQL_WRITE;          // SELECT … INTO; FOR UPDATE (refused anyway)
  if ((f == K_WITH || f == K_EXPLAIN || f == K_PREPARE || f == K_DECLARE) && s.dml) return SQL_WRITE;
  return SQL_READ;
}

// Classifies `n` bytes at `p` (one Query string or Parse query, without its NUL).
export function classifySql(p: usize, n: i32): i32 {
  if (!ready) init();
  gucMentioned = mentionsReadOnlyGuc(p, n);
  st.reset();
  let worst = SQL_READ;
  let i = 0;
  while (i < n) {
    const c = <i32>load<u8>(p + <usize>i);
    if (c == 0x2d && i + 1 < n && load<u8>(p + <usize>(i + 1)) == 0x2d) {          // -- comment
      while (i < n && load<u8>(p + <usize>i) != 0x0a) i++;
    } else if (c == 0x2f && i + 1 < n && load<u8>(p + <usize>(i + 1)) == 0x2a) {   // /* nested */
      let depth = 1; i += 2;
      while (i < n && depth > 0) {
        const a = <i32>load<u8>(p + <usize>i);
        const b = i + 1 < n ? <i32>load<u8>(p + <usize>(i + 1)) : 0;
        if (a == 0x2f && b == 0x2a) { depth++; i += 2; } else if (a == 0x2a && b == 0x2f) { depth--; i += 2; } else i++;
      }
    } else if (c == 0x27) {                                                          // '…' ('' inside)
      const backslash = i > 0 && upper(<i32>load<u8>(p + <usize>(i - 1))) == 0x45;   // E'…'
      i++;
      while (i < n) {
        const a = <i32>load<u8>(p + <usize>i);
        if (backslash && a == 0x5c) { i += 2; continue; }
        if (a == 0x27) { if (i + 1 < n && load<u8>(p + <usize>(i + 1)) == 0x27) { i += 2; continue; } break; }
        i++;
      }
      i++;
    } else if (c == 0x22) {                                                          // "identifier"
      i++;
      while (i < n && load<u8>(p + <usize>i) != 0x22) i++;
      i++;
      if (st.words == 1) st.words++;
    } else if (c == 0x24 && i + 1 < n && (load<u8>(p + <usize>(i + 1)) == 0x24 || isTagStart(<i32>load<u8>(p + <usize>(i + 1))))) {
      i = skipDollar(p, n, i);
    } else if (c == 0x3b) {                                                          // ;
      const k = finish(); if (k > worst) worst = k; st.reset(); i++;
    } else if (c == 0x28) {                                                          // (
      if (st.words == 1) st.parenSecond = true;
      i++;
    } else if (isWord(c) && c != 0x24) {
      const start = i;
      let h: u32 = 0x811c9dc5;
      while (i < n) {
        const a = <i32>load<u8>(p + <usize>i);
        if (!isWord(a)) break;
        h = (h ^ <u32>upper(a)) * 0x01000193;
        i++;
      }
      word(p + <usize>start, i - start, h);
    } else i++;
  }
  const k = finish();
  return k > worst ? k : worst;
}

@inline function isTagStart(c: i32): bool { return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f; }

// $tag$ … $tag$: returns the index after the closing tag (or n: unterminated = the rest).
function skipDollar(p: usize, n: i32, i: i32): i32 {
  let j = i + 1;
  while (j < n && load<u8>(p + <usize>j) != 0x24) {
    if (!isWord(<i32>load<u8>(p + <usize>j))) return i + 1; // not a tag: a lone '$'
    j++;
  }
  const tagLen = j - i + 1; // includes both '$'
  let k = j + 1;
  while (k + tagLen <= n) {
    if (memory.compare(p + <usize>k, p + <usize>i, <usize>tagLen) == 0) return k + tagLen;
    k++;
  }
  return n;
}
