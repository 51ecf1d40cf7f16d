// What a protocol guard is to the connection (connection.ts): it reads the client's bytes as a
// whole buffer (the part before `from` was already handled while the connection was paused),
// answers continue / pause (an incomplete message: Envoy keeps the bytes and shows them again
// with more) / close, and may replace the handled prefix with rewritten bytes in `out`. Server bytes
// are read as a stream (Envoy cannot pause the write path) and may only close the connection.
// Counts per statement class feed the egress events (reads / writes blocked / escapes blocked).
import { RateLimit } from "../config/model";
import { take } from "../ratelimit";
import { nowNanos } from "../host";

export const G_CONTINUE: i32 = 0;
export const G_PAUSE: i32 = 1;
export const G_CLOSE: i32 = 2;

// Largest protocol message a guard accepts (Envoy's default per-connection buffer limit is 1 MiB):
// a bigger one is a denied connection, never a trap.
export const MAX_MESSAGE: i32 = 1 << 20;

export class ByteOut {
  buf: ArrayBuffer = new ArrayBuffer(256);
  len: i32 = 0;
  reset(): void { this.len = 0; }
  private room(n: i32): void {
    if (this.len + n <= this.buf.byteLength) return;
    let cap = this.buf.byteLength * 2;
    while (cap < this.len + n) cap *= 2;
    const nb = new ArrayBuffer(cap);
    memory.copy(changetype<usize>(nb), changetype<usize>(this.buf), <usize>this.len);
    this.buf = nb;
  }
  bytes(p: usize, n: i32): void {
    this.room(n);
    memory.copy(changetype<usize>(this.buf) + <usize>this.len, p, <usize>n);
    this.len += n;
  }
  byte(b: i32): void { this.room(1); store<u8>(changetype<usize>(this.buf) + <usize>this.len, <u8>b); this.len++; }
  u32be(v: u32): void { this.room(4); store<u32>(changetype<usize>(this.buf) + <usize>this.len, bswap<u32>(v)); this.len += 4; }
  str(s: string): void { this.raw(String.UTF8.encode(s)); }
  raw(b: ArrayBuffer): void { this.bytes(changetype<usize>(b), b.byteLength); }
  patchU32be(at: i32, v: u32): void { store<u32>(changetype<usize>(this.buf) + <usize>at, bswap<u32>(v)); }
}

export class Guard {
  out: ByteOut = new ByteOut();
  consumed: i32 = 0;       // client(): end of the complete messages handled
  rewritten: bool = false; // client(): out replaces bytes [from, consumed)
  reason: string = "";     // why the guard closed the connection
  reads: u64 = 0;
  writes: u64 = 0;         // writes blocked
  escapes: u64 = 0;        // escape attempts blocked
  lastSample: string = ""; // leading keyword/command of the last blocked statement (never literals)
  limited: bool = false;   // a statement was refused by the rule's statements/s limit
  stmtLimit: RateLimit | null = null;
  // client(): the buffer and the start of the messages passed as they are but not yet copied to
  // `out`. They are copied only once a rewrite needs them (keepUntouched); a buffer without a rewrite is
  // forwarded untouched and nothing is copied.
  protected base: usize = 0;
  protected pend: i32 = 0;

  client(p: usize, n: i32, from: i32): i32 { return G_CONTINUE; }
  // The start of a client() pass over the buffer at `p`, from `from`: nothing rewritten yet.
  protected begin(p: usize, from: i32): void {
    this.out.reset();
    this.rewritten = false;
    this.base = p;
    this.pend = from;
  }
  // Before a rewrite of the message at `at`: the untouched bytes before it go to `out` first.
  protected keepUntouched(at: i32): void {
    if (at > this.pend) this.out.bytes(this.base + <usize>this.pend, at - this.pend);
    this.pend = at;
  }
  // The message [at, end) is about to be replaced by what the caller writes to `out` next.
  protected replacing(at: i32, end: i32): void {
    this.keepUntouched(at);
    this.pend = end;
  }
  // The end of a client() pass over [from, end): out must cover all of it when anything was rewritten.
  protected finish(end: i32): void {
    this.consumed = end;
    if (this.rewritten) this.keepUntouched(end);
  }
  server(p: usize, n: i32): i32 { return G_CONTINUE; }
  close(why: string): i32 { this.reason = why; return G_CLOSE; }
  // Asked once per read statement: the rule's statements/s bucket (shared by the worker VMs).
  allowStatement(): bool {
    const rl = this.stmtLimit;
    return rl === null || take(rl, nowNanos());
  }
}

// ASCII upper-case of n bytes at p (command names and keywords are ASCII; String#toUpperCase would
// pull Unicode case tables into the module).
export function asciiUpper(p: usize, n: i32): string {
  const out = new ArrayBuffer(n);
  const o = changetype<usize>(out);
  for (let i = 0; i < n; i++) {
    const c = <i32>load<u8>(p + <usize>i);
    store<u8>(o + <usize>i, <u8>(c >= 0x61 && c <= 0x7a ? c - 32 : c));
  }
  return String.UTF8.decode(out);
}

// Big-endian u32 at p.
@inline export function be32(p: usize): u32 { return bswap<u32>(load<u32>(p)); }
@inline export function be16(p: usize): u32 { return <u32>bswap<u16>(load<u16>(p)); }
