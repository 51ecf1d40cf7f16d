// Redis readonly guard (RESP2/RESP3 requests are the same: arrays of bulk strings, or inline
// commands; redis.io/docs/latest/develop/reference/protocol-spec). Reads pass; every other command
// (writes, scripts, admin, pub/sub publishing, unknown) is rewritten to a one-element command the
// server does not know, `shadowguard-blocked:<NAME>`, so the SERVER answers it in its slot with
// `-ERR unknown command 'shadowguard-blocked:SET'…` — in order under pipelining, in RESP2 and RESP3,
// and inside MULTI an unknown command aborts the transaction at EXEC (EXECABORT), as Redis does for
// any command refused while queuing. Reads are the commands flagged READONLY in Redis's command
// table (src/commands/*.json) plus connection/transaction commands; containers (CLIENT, CONFIG, …)
// are judged by their subcommand. Allowlist, not denylist: a command added to Redis later is blocked.
import { Guard, G_CLOSE, G_CONTINUE, G_PAUSE, MAX_MESSAGE, asciiUpper } from "./guard";

const READS = new Set<string>();
const ESCAPES = new Set<string>();
const CONTAINER_READS = new Map<string, Set<string>>();
let tables = false;

function init(): void {
  tables = true;
  const r = ("GET MGET STRLEN GETRANGE SUBSTR EXISTS TYPE TTL PTTL EXPIRETIME PEXPIRETIME KEYS SCAN RANDOMKEY DBSIZE " +
    "HGET HMGET HGETALL HKEYS HVALS HLEN HEXISTS HSTRLEN HSCAN HRANDFIELD HTTL HPTTL HEXPIRETIME HPEXPIRETIME " +
    "LRANGE LLEN LINDEX LPOS SMEMBERS SISMEMBER SMISMEMBER SCARD SRANDMEMBER SSCAN SINTER SINTERCARD SUNION SDIFF " +
    "ZRANGE ZRANGEBYSCORE ZRANGEBYLEX ZREVRANGE ZREVRANGEBYSCORE ZREVRANGEBYLEX ZRANK ZREVRANK ZSCORE ZMSCORE ZCARD " +
    "ZCOUNT ZLEXCOUNT ZSCAN ZRANDMEMBER ZINTER ZUNION ZDIFF ZINTERCARD XRANGE XREVRANGE XLEN XREAD XPENDING " +
    "GETBIT BITCOUNT BITPOS BITFIELD_RO PFCOUNT GEOPOS GEODIST GEOHASH GEORADIUS_RO GEORADIUSBYMEMBER_RO GEOSEARCH " +
    "SORT_RO DUMP TOUCH LCS EVAL_RO EVALSHA_RO FCALL_RO " +
    "PING ECHO HELLO AUTH SELECT QUIT RESET READONLY READWRITE MULTI EXEC DISCARD WATCH UNWATCH " +
    "SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE SSUBSCRIBE SUNSUBSCRIBE TIME INFO LASTSAVE ROLE LOLWUT").split(" ");
  for (let i = 0; i < r.length; i++) READS.add(r[i]);
  const e = "EVAL EVALSHA FCALL SCRIPT FUNCTION CONFIG MODULE DEBUG ACL SHUTDOWN MIGRATE REPLICAOF SLAVEOF FAILOVER SYNC PSYNC MONITOR CLIENT CLUSTER".split(" ");
  for (let i = 0; i < e.length; i++) ESCAPES.add(e[i]);
  sub("CLIENT", "SETNAME SETINFO GETNAME ID INFO LIST TRACKING TRACKINGINFO GETREDIR CACHING NO-TOUCH HELP");
  sub("CONFIG", "GET HELP");
  sub("OBJECT", "ENCODING FREQ IDLETIME REFCOUNT HELP");
  sub("MEMORY", "USAGE STATS DOCTOR MALLOC-STATS HELP");
  sub("XINFO", "STREAM GROUPS CONSUMERS HELP");
  sub("PUBSUB", "CHANNELS NUMSUB NUMPAT SHARDCHANNELS SHARDNUMSUB HELP");
  sub("SCRIPT", "EXISTS HELP");
  sub("FUNCTION", "LIST DUMP STATS HELP");
  sub("COMMAND", "COUNT DOCS INFO LIST GETKEYS GETKEYSANDFLAGS HELP");
  sub("CLUSTER", "INFO NODES SLOTS SHARDS KEYSLOT MYID MYSHARDID COUNTKEYSINSLOT GETKEYSINSLOT LINKS HELP");
  sub("ACL", "WHOAMI CAT HELP");
  sub("SLOWLOG", "GET LEN HELP");
  sub("LATENCY", "LATEST HISTORY DOCTOR GRAPH HISTOGRAM HELP");
}
function sub(name: string, list: string): void {
  const s = new Set<string>();
  const a = list.split(" ");
  for (let i = 0; i < a.length; i++) s.add(a[i]);
  CONTAINER_READS.set(name, s);
}

function isContainer(name: string): bool {
  if (!tables) init();
  return CONTAINER_READS.has(name);
}

export const R_READ: i32 = 0;
export const R_WRITE: i32 = 1;
export const R_ESCAPE: i32 = 2;

export function classifyRedis(name: string, subcommand: string): i32 {
  if (!tables) init();
  if (CONTAINER_READS.has(name)) {
    if (CONTAINER_READS.get(name).has(subcommand)) return R_READ;
    return ESCAPES.has(name) ? R_ESCAPE : R_WRITE;
  }
  if (READS.has(name)) return R_READ;
  return ESCAPES.has(name) ? R_ESCAPE : R_WRITE;
}

const MAX_ARGS: i32 = 1 << 20;

export class RedisGuard extends Guard {
  // Parse results of the last command.
  private end: i32 = 0;
  private name: string = "";
  private sub: string = "";
  private inline: bool = false;
  private bad: string = "";

  client(p: usize, n: i32, from: i32): i32 {
    const out = this.out;
    this.begin(p, from);
    let i = from;
    while (i < n) {
      const r = this.command(p, n, i);
      if (r == G_CLOSE) return this.close(this.bad);
      if (r == G_PAUSE) break;
      let cls = classifyRedis(this.name, this.sub);
      if (cls == R_READ && !this.allowStatement()) { this.limited = true; cls = R_WRITE; this.name = "RATE-LIMITED"; }
      if (cls == R_READ) this.reads++; // forwarded as it is
      else {
        this.replacing(i, this.end);
        if (cls == R_ESCAPE) this.escapes++; else if (this.name != "RATE-LIMITED") this.writes++;
        this.lastSample = this.sub.length > 0 ? this.name + " " + this.sub : this.name;
        const cmd = "shadowguard-blocked:" + this.name;
        if (this.inline) { out.str(cmd); out.byte(0x0d); out.byte(0x0a); }
        else { out.str("*1\r\n$" + cmd.length.toString() + "\r\n" + cmd + "\r\n"); }
        this.rewritten = true;
      }
      i = this.end;
    }
    this.finish(i);
    if (i < n) return n - i > MAX_MESSAGE ? this.close("oversized command") : G_PAUSE;
    return G_CONTINUE;
  }

  // Parses one command at i: sets end/name/sub/inline; G_PAUSE when incomplete, G_CLOSE when malformed.
  private command(p: usize, n: i32, i: i32): i32 {
    this.name = ""; this.sub = ""; this.inline = false;
    const c = <i32>load<u8>(p + <usize>i);
    if (c != 0x2a) return this.inlineCommand(p, n, i);
    let j = i + 1;
    const count = this.num(p, n, j);
    if (count == -2) return G_PAUSE;
    if (count < 0 || count > MAX_ARGS) { this.bad = "malformed RESP array"; return G_CLOSE; }
    j = this.end;
    for (let k: i64 = 0; k < count; k++) {
      if (j >= n) return G_PAUSE;
      if (load<u8>(p + <usize>j) != 0x24) { this.bad = "malformed RESP bulk string"; return G_CLOSE; }
      const len = this.num(p, n, j + 1);
      if (len == -2) return G_PAUSE;
      if (len < 0 || len > <i64>MAX_MESSAGE) { this.bad = "malformed or oversized RESP bulk string"; return G_CLOSE; }
      const s = this.end;
      const e = s + <i32>len;
      if (e + 2 > n) return G_PAUSE;
      if (load<u8>(p + <usize>e) != 0x0d || load<u8>(p + <usize>(e + 1)) != 0x0a) { this.bad = "malformed RESP bulk string"; return G_CLOSE; }
      // The subcommand only where the name is a container (CLIENT, CONFIG…): anywhere else the second
      // argument is a key, a literal the event sample must never carry.
      if (k == 0) this.name = len <= 64 ? asciiUpper(p + <usize>s, <i32>len) : "(long)";
      else if (k == 1 && len <= 64 && isContainer(this.name)) this.sub = asciiUpper(p + <usize>s, <i32>len);
      j = e + 2;
    }
    if (count == 0) { this.bad = "empty RESP array"; return G_CLOSE; }
    this.end = j;
    return G_CONTINUE;
  }

  // Decimal after a prefix byte up to CRLF: the value (end = after CRLF), -2 incomplete, -1 malformed.
  private num(p: usize, n: i32, i: i32): i64 {
    let v: i64 = 0;
    let digits = 0;
    let neg = false;
    if (i < n && load<u8>(p + <usize>i) == 0x2d) { neg = true; i++; }
    while (i < n) {
      const c = <i32>load<u8>(p + <usize>i);
      if (c == 0x0d) {
        if (i + 1 >= n) return -2;
        if (load<u8>(p + <usize>(i + 1)) != 0x0a || digits == 0) return -1;
        this.end = i + 2;
        return neg ? -1 : v;
      }
      if (c < 0x30 || c > 0x39 || digits >= 12) return -1;
      v = v * 10 + (c - 0x30);
      digits++;
      i++;
    }
    return -2;
  }

  private inlineCommand(p: usize, n: i32, i: i32): i32 {
    let j = i;
    while (j < n && load<u8>(p + <usize>j) != 0x0a) j++;
    if (j >= n) return j - i > 65536 ? this.fail("inline command too long") : G_PAUSE;
    this.end = j + 1;
    this.inline = true;
    let k = i;
    const words = new Array<string>();
    while (k < j && words.length < 2) {
      while (k < j && isSpace(<i32>load<u8>(p + <usize>k))) k++;
      const s = k;
      while (k < j && !isSpace(<i32>load<u8>(p + <usize>k))) k++;
      if (k > s) words.push(asciiUpper(p + <usize>s, k - s));
    }
    if (words.length == 0) { this.name = "PING"; return G_CONTINUE; } // an empty line: Redis ignores it
    this.name = words[0];
    if (words.length > 1 && isContainer(this.name)) this.sub = words[1];
    return G_CONTINUE;
  }
  private fail(why: string): i32 { this.bad = why; return G_CLOSE; }
}
@inline function isSpace(c: i32): bool { return c == 0x20 || c == 0x09 || c == 0x0d; }
