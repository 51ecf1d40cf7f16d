// PostgreSQL readonly guard (wire protocol v3, postgresql.org/docs/current/protocol-message-formats.html).
// Client side: the StartupMessage gets `-c default_transaction_read_only=on` appended to `options`
// (startup values outrank role/database settings, and RESET returns to them), client-sent
// *_read_only startup pairs are dropped; SSLRequest / GSSENCRequest / a raw TLS ClientHello close the
// connection (a connection the guard cannot read is not a readonly connection); Query ('Q') and
// Parse ('P') text is classified (sql-screen.ts) and a write or escape is rewritten so the SERVER
// answers it with an error in order (ErrorResponse + ReadyForQuery, the status byte stays true):
// 'Q' becomes a DO block that raises SQLSTATE 25006 naming Shadowguard; 'P' becomes a statement that
// fails at parse analysis (the server then skips to Sync); the legacy FunctionCall ('F') becomes the
// same 'Q'. Bytes toward the client can only ride on server bytes in Envoy (context.cc onWrite), so
// the guard never invents replies. Server side: ParameterStatus is watched — default_transaction_read_only
// must be reported "on" before the first ReadyForQuery (PG ≥ 14 reports it, GUC_REPORT) and never
// turn "off" (a session escaped: close); with requireReplica, in_hot_standby must be "on".
import { Guard, ByteOut, G_CLOSE, G_CONTINUE, G_PAUSE, MAX_MESSAGE, be32, asciiUpper } from "./guard";
import { classifySql, SQL_ESCAPE, SQL_READ } from "./sql-screen";

const CODE_V3: u32 = 196608;
const CODE_V32: u32 = 196610;
const CODE_SSL: u32 = 80877103;
const CODE_GSS: u32 = 80877104;
const CODE_CANCEL: u32 = 80877102;
const MAX_STARTUP: u32 = 10000; // the server's own limit (MAX_STARTUP_PACKET_LENGTH)

const S_STARTUP: i32 = 0;
const S_READY: i32 = 1;
const S_DONE: i32 = 2;   // after CancelRequest: nothing more may follow

const READ_ONLY_OPTION = "-c default_transaction_read_only=on";
const BLOCKED_WRITE = String.UTF8.encode("DO $shadowguard$BEGIN RAISE EXCEPTION USING ERRCODE = '25006', MESSAGE = 'shadowguard: write blocked (read-only shadow connection)'; END$shadowguard$");
const BLOCKED_ESCAPE = String.UTF8.encode("DO $shadowguard$BEGIN RAISE EXCEPTION USING ERRCODE = '25006', MESSAGE = 'shadowguard: statement blocked (it could leave read-only mode)'; END$shadowguard$");
const BLOCKED_LIMIT = String.UTF8.encode("DO $shadowguard$BEGIN RAISE EXCEPTION USING ERRCODE = '53400', MESSAGE = 'shadowguard: statement rate limit exceeded'; END$shadowguard$");
// A relation name: at most 63 bytes (NAMEDATALEN), or the server truncates the message.
const PARSE_BLOCKED = String.UTF8.encode("SELECT * FROM \"shadowguard: write or escape blocked (read-only shadow)\"");
const PARSE_LIMIT = String.UTF8.encode("SELECT * FROM \"shadowguard: statement rate limit exceeded\"");

export class PostgresGuard extends Guard {
  private state: i32 = S_STARTUP;
  private requireReplica: bool;
  // Server stream parser: header bytes gathered, bytes of the current body left, body kept for 'S'.
  private hdr: ByteOut = new ByteOut();
  private left: i32 = 0;
  private kind: i32 = 0;
  private body: ByteOut = new ByteOut();
  private keep: bool = false;
  private readOnlySeen: bool = false;
  private standby: bool = false;
  private ready: bool = false;

  constructor(requireReplica: bool) { super(); this.requireReplica = requireReplica; }

  client(p: usize, n: i32, from: i32): i32 {
    const out = this.out;
    this.begin(p, from);
    let i = from;
    while (i < n) {
      if (this.state == S_DONE) return this.close("data after CancelRequest");
      if (this.state == S_STARTUP) {
        if (load<u8>(p + <usize>i) == 0x16) return this.close("TLS ClientHello: the guard cannot read encrypted PostgreSQL");
        if (n - i < 8) break;
        const len = be32(p + <usize>i);
        const code = be32(p + <usize>(i + 4));
        if (len < 8 || len > MAX_STARTUP) return this.close("malformed startup packet");
        if (code == CODE_SSL || code == CODE_GSS) return this.close("SSLRequest/GSSENCRequest: encrypted sessions cannot be screened (fail closed)");
        if (<u32>(n - i) < len) break;
        if (code == CODE_CANCEL) { this.state = S_DONE; i += <i32>len; continue; }
        if (code != CODE_V3 && code != CODE_V32) return this.close("unknown startup protocol code");
        this.replacing(i, i + <i32>len);
        if (!this.startup(p + <usize>i, <i32>len)) return this.close("malformed StartupMessage");
        this.rewritten = true;
        this.state = S_READY;
        i += <i32>len;
        continue;
      }
      if (n - i < 5) break;
      const t = <i32>load<u8>(p + <usize>i);
      const len = be32(p + <usize>(i + 1));
      if (len < 4 || len > <u32>MAX_MESSAGE) return this.close("malformed or oversized message");
      const total = <i32>len + 1;
      if (n - i < total) break;
      const m = p + <usize>i;
      if (t == 0x51) { if (!this.query(m, total)) return G_CLOSE; }            // 'Q'
      else if (t == 0x50) { if (!this.parse(m, total)) return G_CLOSE; }       // 'P'
      else if (t == 0x46) { this.escapes++; this.lastSample = "FunctionCall"; this.replaceQ(m, total, BLOCKED_ESCAPE); } // 'F'
      else if (!isClientType(t)) return this.close("unknown client message type");
      i += total; // forwarded as it is unless a rewrite above replaced it
    }
    this.finish(i);
    if (i < n) {
      if (n - i > MAX_MESSAGE + 5) return this.close("oversized message");
      return G_PAUSE;
    }
    return G_CONTINUE;
  }

  // Rebuilds the StartupMessage: pairs kept except *_read_only ones, options extended.
  private startup(m: usize, len: i32): bool {
    const out = this.out;
    const at = out.len;
    out.u32be(0);
    out.u32be(be32(m + 4));
    let i = 8;
    let hasOptions = false;
    while (i < len && load<u8>(m + <usize>i) != 0) {
      const k0 = i;
      while (i < len && load<u8>(m + <usize>i) != 0) i++;
      if (i >= len) return false;
      const kLen = i - k0;
      i++;
      const v0 = i;
      while (i < len && load<u8>(m + <usize>i) != 0) i++;
      if (i >= len) return false;
      const key = String.UTF8.decodeUnsafe(m + <usize>k0, <usize>kLen);
      const vLen = i - v0;
      i++;
      if (asciiUpper(m + <usize>k0, kLen).indexOf("READ_ONLY") >= 0) continue; // ours wins: drop theirs
      out.bytes(m + <usize>k0, kLen + 1);
      if (key == "options") {
        hasOptions = true;
        out.bytes(m + <usize>v0, vLen);
        if (vLen > 0) out.byte(0x20);
        out.str(READ_ONLY_OPTION);
        out.byte(0);
      } else out.bytes(m + <usize>v0, vLen + 1);
    }
    if (i >= len) return false;
    if (!hasOptions) { out.str("options"); out.byte(0); out.str(READ_ONLY_OPTION); out.byte(0); }
    out.byte(0);
    out.patchU32be(at, <u32>(out.len - at));
    return true;
  }

  private query(m: usize, total: i32): bool {
    const n = total - 6; // type, length, text, NUL
    if (n < 0 || load<u8>(m + <usize>(total - 1)) != 0) { this.reason = "malformed Query"; return false; }
    this.screen(m + 5, n, m, total, false);
    return true;
  }

  private parse(m: usize, total: i32): bool {
    let i = 5;
    while (i < total && load<u8>(m + <usize>i) != 0) i++;  // statement name
    const nameEnd = i;
    i++;
    const q0 = i;
    while (i < total && load<u8>(m + <usize>i) != 0) i++;
    if (i >= total) { this.reason = "malformed Parse"; return false; }
    this.screen(m + <usize>q0, i - q0, m, total, true, nameEnd);
    return true;
  }

  private screen(q: usize, n: i32, m: usize, total: i32, isParse: bool, nameEnd: i32 = 0): void {
    const cls = classifySql(q, n);
    if (cls == SQL_READ && this.allowStatement()) { this.reads++; return; }
    const limited = cls == SQL_READ;
    if (limited) this.limited = true;
    else if (cls == SQL_ESCAPE) this.escapes++;
    else this.writes++;
    this.lastSample = leadingWord(q, n);
    if (!isParse) { this.replaceQ(m, total, limited ? BLOCKED_LIMIT : cls == SQL_ESCAPE ? BLOCKED_ESCAPE : BLOCKED_WRITE); return; }
    // Parse: same statement name, failing text, no parameter types.
    const out = this.out;
    this.replacing(<i32>(m - this.base), <i32>(m - this.base) + total);
    const at = out.len;
    out.byte(0x50);
    out.u32be(0);
    out.bytes(m + 5, nameEnd - 5 + 1);
    out.raw(limited ? PARSE_LIMIT : PARSE_BLOCKED);
    out.byte(0);
    out.byte(0); out.byte(0);
    out.patchU32be(at + 1, <u32>(out.len - at - 1));
    this.rewritten = true;
  }

  // Replaces the message [m, m + total) with a Query of `text`.
  private replaceQ(m: usize, total: i32, text: ArrayBuffer): void {
    const out = this.out;
    this.replacing(<i32>(m - this.base), <i32>(m - this.base) + total);
    const at = out.len;
    out.byte(0x51);
    out.u32be(0);
    out.raw(text);
    out.byte(0);
    out.patchU32be(at + 1, <u32>(out.len - at - 1));
    this.rewritten = true;
  }

  // Server → client stream: watch ParameterStatus and the first ReadyForQuery.
  server(p: usize, n: i32): i32 {
    let i = 0;
    while (i < n) {
      if (this.left == 0 && this.hdr.len < 5) {
        const need = 5 - this.hdr.len;
        const take = n - i < need ? n - i : need;
        this.hdr.bytes(p + <usize>i, take);
        i += take;
        if (this.hdr.len < 5) break;
        const h = changetype<usize>(this.hdr.buf);
        this.kind = <i32>load<u8>(h);
        const len = be32(h + 1);
        if (len < 4 || len > <u32>MAX_MESSAGE) return this.close("malformed server message");
        this.left = <i32>len - 4;
        this.keep = this.kind == 0x53; // 'S' ParameterStatus
        this.body.reset();
        if (this.left == 0 && this.end() == G_CLOSE) return G_CLOSE;
        continue;
      }
      const take = n - i < this.left ? n - i : this.left;
      if (this.keep) this.body.bytes(p + <usize>i, take);
      this.left -= take;
      i += take;
      if (this.left == 0 && this.end() == G_CLOSE) return G_CLOSE;
    }
    return G_CONTINUE;
  }

  private end(): i32 {
    this.hdr.reset();
    if (this.kind == 0x53) {
      const b = changetype<usize>(this.body.buf);
      const n = this.body.len;
      let i = 0;
      while (i < n && load<u8>(b + <usize>i) != 0) i++;
      const name = String.UTF8.decodeUnsafe(b, <usize>i);
      const v0 = i + 1;
      let j = v0;
      while (j < n && load<u8>(b + <usize>j) != 0) j++;
      const value = v0 < n ? String.UTF8.decodeUnsafe(b + <usize>v0, <usize>(j - v0)) : "";
      if (name == "default_transaction_read_only") {
        if (value != "on") { this.escapes++; this.lastSample = "default_transaction_read_only=" + value; return this.close("session left read-only mode (default_transaction_read_only=" + value + ")"); }
        this.readOnlySeen = true;
      } else if (name == "in_hot_standby") {
        this.standby = value == "on";
        if (this.requireReplica && !this.standby && this.ready) return this.close("server left hot standby");
      }
    } else if (this.kind == 0x5a && !this.ready) { // first ReadyForQuery: startup done
      this.ready = true;
      if (!this.readOnlySeen && !this.standby) return this.close("server did not confirm default_transaction_read_only=on (PostgreSQL >= 14 reports it)");
      if (this.requireReplica && !this.standby) return this.close("requireReplica: server is not a hot standby (in_hot_standby is not on)");
    }
    return G_CONTINUE;
  }
}

// Frontend message types forwarded as they are (protocol-message-formats.html).
function isClientType(t: i32): bool {
  // B Bind, C Close, D Describe, E Execute, H Flush, S Sync, X Terminate, p password/SASL,
  // d CopyData, c CopyDone, f CopyFail
  return t == 0x42 || t == 0x43 || t == 0x44 || t == 0x45 || t == 0x48 || t == 0x53 || t == 0x58 ||
    t == 0x70 || t == 0x64 || t == 0x63 || t == 0x66;
}

// The first keyword of a statement, for the event sample (never literal values).
export function leadingWord(q: usize, n: i32): string {
  let i = 0;
  while (i < n && !isAlpha(<i32>load<u8>(q + <usize>i))) i++;
  const s = i;
  while (i < n && i - s < 24 && isAlpha(<i32>load<u8>(q + <usize>i))) i++;
  return asciiUpper(q + <usize>s, i - s);
}
@inline function isAlpha(c: i32): bool { return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a); }
