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

// Leading keywords that only read or manage the session/transaction harmlessly.
const READ_FIRST = ["SELECT", "VALUES", "TABLE", "SHOW", "FETCH", "MOVE", "CLOSE", "DECLARE", "EXPLAIN",
  "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE", "DEALLOCATE", "EXECUTE", "WITH", "BEGIN",
  "START", "SET", "RESET", "DISCARD", "COPY", "LISTEN", "UNLISTEN", "PREPARE"];
// Anywhere outside quotes: functions and words that act outside the read-only transaction.
const ESCAPE_WORDS = ["SET_CONFIG", "DBLINK", "DBLINK_EXEC", "DBLINK_CONNECT", "DBLINK_SEND_QUERY",
  "PG_NOTIFY", "PG_TERMINATE_BACKEND", "PG_CANCEL_BACKEND", "PG_RELOAD_CONF", "LO_IMPORT", "LO_EXPORT",
  "PG_ADVISORY_LOCK", "PG_ADVISORY_XACT_LOCK", "PG_TRY_ADVISORY_LOCK", "PG_TRY_ADVISORY_XACT_LOCK",
  "PG_ADVISORY_LOCK_SHARED", "PG_ADVISORY_XACT_LOCK_SHARED", "PG_TRY_ADVISORY_LOCK_SHARED",
  "PG_TRY_ADVISORY_XACT_LOCK_SHARED", "PG_LOGICAL_EMIT_MESSAGE", "SETVAL", "NEXTVAL"];
const W_READ = "READ";
const W_WRITE = "WRITE";

// One statement's facts, reset at each ';'.
class Stmt {
  first: string = "";
  words: i32 = 0;
  prevRead: bool = false;     // the previous word was READ
  readWrite: bool = false;    // READ WRITE seen
  hasFrom: bool = false;
  hasInto: bool = false;
  hasAll: bool = false;
  characteristics: bool = false;
  analyze: bool = false;
  dml: bool = false;          // INSERT/UPDATE/DELETE/MERGE anywhere (data-modifying CTE, EXPLAIN ANALYZE)
  parenSecond: bool = false;  // COPY ( query ) TO …
  prepared: bool = false;     // PREPARE TRANSACTION / COMMIT|ROLLBACK PREPARED
  cls: i32 = SQL_READ;
  reset(): void {
    this.first = ""; this.words = 0; this.prevRead = false; this.readWrite = false; this.hasFrom = false;
    this.hasInto = false; this.hasAll = false; this.characteristics = false; this.analyze = false;
    this.dml = false; this.parenSecond = false; this.prepared = false; this.cls = SQL_READ;
  }
}

const st = new Stmt();
let gucMentioned = false; // the text names transaction_read_only somewhere (SET/RESET of it: escape)

@inline function upper(c: i32): i32 { return c >= 0x61 && c <= 0x7a ? c - 32 : c; }
@inline function isWord(c: i32): bool {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x5f || c >= 0x80 || c == 0x24;
}

// Case-insensitive compare of bytes [p, p+len) with an upper-case ASCII word.
function eq(p: usize, len: i32, w: string): bool {
  if (len != w.length) return false;
  for (let i = 0; i < len; i++) if (upper(<i32>load<u8>(p + <usize>i)) != w.charCodeAt(i)) return false;
  return true;
}
function inList(p: usize, len: i32, list: Array<string>): bool {
  for (let i = 0; i < list.length; i++) if (eq(p, len, unchecked(list[i]))) return true;
  return false;
}
// "transaction_read_only" anywhere (identifiers, strings, comments): SET/RESET/set_config of the
// session default or of the current transaction's mode.
function mentionsReadOnlyGuc(p: usize, n: i32): bool {
  const k = "TRANSACTION_READ_ONLY";
  const kl = k.length;
  for (let i = 0; i + kl <= n; i++) {
    if (upper(<i32>load<u8>(p + <usize>i)) != 0x54) continue;
    let j = 1;
    while (j < kl && upper(<i32>load<u8>(p + <usize>(i + j))) == k.charCodeAt(j)) j++;
    if (j == kl) return true;
  }
  return false;
}

function word(p: usize, len: i32): void {
  const s = st;
  if (s.words == 0) {
    s.first = String.UTF8.decodeUnsafe(p, <usize>len).toUpperCase();
  }
  s.words++;
  if (inList(p, len, ESCAPE_WORDS)) { s.cls = SQL_ESCAPE; return; }
  if (eq(p, len, W_WRITE) && s.prevRead) s.readWrite = true;
  s.prevRead = eq(p, len, W_READ);
  if (eq(p, len, "FROM")) s.hasFrom = true;
  else if (eq(p, len, "INTO")) s.hasInto = true;
  else if (eq(p, len, "ALL")) s.hasAll = true;
  else if (eq(p, len, "CHARACTERISTICS")) s.characteristics = true;
  else if (eq(p, len, "ANALYZE")) s.analyze = true;
  else if (eq(p, len, "PREPARED") || (s.words == 2 && eq(p, len, "TRANSACTION") && s.first == "PREPARE")) s.prepared = true;
  else if (eq(p, len, "INSERT") || eq(p, len, "UPDATE") || eq(p, len, "DELETE") || eq(p, len, "MERGE")) s.dml = true;
}

// The class of one finished statement.
function finish(): i32 {
  const s = st;
  if (s.words == 0) return SQL_READ;
  if (s.cls == SQL_ESCAPE || s.readWrite || s.characteristics || s.prepared) return SQL_ESCAPE;
  const f = s.first;
  if (!READ_FIRST.includes(f)) return f == "DO" ? SQL_ESCAPE : SQL_WRITE;
  if ((f == "RESET" || f == "DISCARD") && s.hasAll) return SQL_ESCAPE;
  if ((f == "SET" || f == "RESET") && gucMentioned) return SQL_ESCAPE;
  if (f == "COPY") return !s.parenSecond && s.hasFrom ? SQL_WRITE : SQL_READ;
  if (f == "SELECT" && s.hasInto) return SQL_WRITE;                 // SELECT … INTO new_table
  if ((f == "WITH" || f == "EXPLAIN" || f == "PREPARE" || f == "DECLARE") && s.dml) return SQL_WRITE;
  if (f == "SELECT" && s.dml) return SQL_WRITE;                     // FOR UPDATE: refused anyway
  return SQL_READ;
}

// Classifies `n` bytes at `p` (one Query string or Parse query, without its NUL).
export function classifySql(p: usize, n: i32): i32 {
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
      while (i < n && isWord(<i32>load<u8>(p + <usize>i))) i++;
      word(p + <usize>start, i - start);
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
