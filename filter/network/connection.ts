// One TCP connection through the network-filter role (proxy-wasm network context). Shadow role:
// decide the connection rule (decide.ts) at accept — or at the first byte when a rule needs the
// cluster —, then deny (close before a byte reaches the upstream: PAUSE at accept keeps tcp_proxy
// from connecting), allow (optionally connections/s-limited), or readonly through a protocol guard.
// Unconfigured (empty plugin configuration): every connection is denied. Live and edge roles:
// connections pass untouched. Guard plumbing follows Envoy (context.cc onData/onWrite, Buffer::copyFrom):
// paused downstream bytes are shown again with more, so `held` remembers how much of the buffer's
// start is already handled; rewrites replace a prefix (start 0), never the middle.
import { Config, ROLE_NONE, ROLE_SHADOW, CONN_ALLOW, CONN_DENY, CONN_READONLY, ConnRule, PROTO_POSTGRES, PROTOCOLS } from "../config/parse";
import { parseIPv4At } from "../config/connections";
import { Root } from "../root";
import { getBuffer, getPropertyInto, getPropertyRaw, lastSize, log, LOG_WARN, nowNanos } from "../host";
import { CONTINUE, PAUSE, proxy_set_buffer_bytes } from "../abi";
import { take } from "../ratelimit";
import { Guard, G_CLOSE, G_PAUSE } from "./guard";
import { PostgresGuard } from "./postgres";
import { RedisGuard } from "./redis";
import { decide, Destination, DEFAULT_RULE, UNDECIDED, clusterHost } from "./decide";
import { reportConnection, reportCounts } from "./events";
import * as imports from "@gcoredev/proxy-wasm-sdk-as/assembly/imports";

const DOWNSTREAM_DATA: i32 = 2;
const UPSTREAM_DATA: i32 = 3;
const STREAM_DOWNSTREAM: i32 = 2;
const P_DEST_ADDR = String.UTF8.encode("destination\0address");
const P_DEST_PORT = String.UTF8.encode("destination\0port");
const P_SNI = String.UTF8.encode("connection\0requested_server_name");
const P_CLUSTER = String.UTF8.encode("cluster_name");
const FLUSH_NS: u64 = 1000000000;
// Where the host writes the destination address and port (no GC allocation per connection; a longer
// value gets a buffer of its own).
const addrBuf = new ArrayBuffer(64);
const portBuf = new ArrayBuffer(16);

export class NetContext {
  cfg: Config;
  private passThrough: bool;
  private decided: bool = false;
  private closed: bool = false;
  private held: i32 = 0;
  private dest: Destination = new Destination();
  rule: ConnRule | null = null;
  ruleName: string = "";
  guard: Guard | null = null;
  private lastFlush: u64 = 0;
  // An allowed connection is reported at its first byte, once cluster_name names the destination.
  private pendingReport: bool = false;

  constructor(public id: u32, public root: Root) {
    this.cfg = root.config;
    this.passThrough = this.cfg.role != ROLE_SHADOW && this.cfg.role != ROLE_NONE;
  }

  onNewConnection(): i32 {
    if (this.passThrough) return CONTINUE;
    if (this.cfg.role == ROLE_NONE) return this.deny("unconfigured", true);
    this.readDestination();
    const i = decide(this.cfg.connections, this.dest);
    if (i == UNDECIDED) return CONTINUE; // decided at the first byte, before any is forwarded
    return this.apply(i, true);
  }

  onDownstreamData(size: u32, eos: bool): i32 {
    if (this.passThrough) return CONTINUE;
    if (this.closed) return this.drain(DOWNSTREAM_DATA, size);
    if (!this.decided) {
      this.dest.clusterKnown = true;
      const c = getPropertyRaw(P_CLUSTER);
      this.dest.clusterHost = c === null ? "" : clusterHost(String.UTF8.decode(c));
      const v = this.apply(decide(this.cfg.connections, this.dest), false);
      if (this.closed) return this.drain(DOWNSTREAM_DATA, size);
      if (v != CONTINUE) return v;
    }
    this.firstByte();
    const g = this.guard;
    if (g === null || size == 0) return CONTINUE;
    const b = getBuffer(DOWNSTREAM_DATA, 0, size);
    if (b === null) { this.fail(g, "cannot read downstream data"); return this.drain(DOWNSTREAM_DATA, size); }
    const n = b.byteLength;
    const p = changetype<usize>(b);
    const from = this.held <= n ? this.held : 0;
    const r = g.client(p, n, from);
    if (r == G_CLOSE) { this.fail(g, g.reason); return this.drain(DOWNSTREAM_DATA, size); }
    if (g.rewritten) {
      // Replace [0, consumed) with the untouched handled prefix + the rewritten messages (the
      // guard's own buffer as it is when there is no prefix: no copy).
      let np = changetype<usize>(g.out.buf), nl = g.out.len;
      if (from > 0) {
        const nb = new ArrayBuffer(from + nl);
        memory.copy(changetype<usize>(nb), p, <usize>from);
        memory.copy(changetype<usize>(nb) + <usize>from, np, <usize>nl);
        np = changetype<usize>(nb);
        nl = nb.byteLength;
      }
      if (proxy_set_buffer_bytes(DOWNSTREAM_DATA, 0, <u32>g.consumed, np, nl) != 0) { this.fail(g, "cannot rewrite downstream data"); return this.drain(DOWNSTREAM_DATA, size); }
      this.held = from + g.out.len;
    } else this.held = g.consumed;
    this.maybeFlush(false);
    if (r == G_PAUSE) return PAUSE;
    this.held = 0;
    return CONTINUE;
  }

  onUpstreamData(size: u32, eos: bool): i32 {
    if (this.passThrough) return CONTINUE;
    if (this.closed) return this.drain(UPSTREAM_DATA, size);
    if (!this.decided) { // a server-first protocol spoke before the client: decide now
      this.dest.clusterKnown = true;
      const c = getPropertyRaw(P_CLUSTER);
      this.dest.clusterHost = c === null ? "" : clusterHost(String.UTF8.decode(c));
      this.apply(decide(this.cfg.connections, this.dest), false);
      if (this.closed) return this.drain(UPSTREAM_DATA, size);
    }
    this.firstByte();
    const g = this.guard;
    if (g === null || size == 0) return CONTINUE;
    const b = getBuffer(UPSTREAM_DATA, 0, size);
    if (b === null) { this.fail(g, "cannot read upstream data"); return this.drain(UPSTREAM_DATA, size); }
    if (g.server(changetype<usize>(b), b.byteLength) == G_CLOSE) { this.fail(g, g.reason); return this.drain(UPSTREAM_DATA, size); }
    return CONTINUE;
  }

  onClose(): void {
    if (this.passThrough) return;
    this.firstByte();
    this.maybeFlush(true);
  }

  // Reads only what the rules match on (or everything, for the events, when a control plane listens).
  private readDestination(): void {
    const d = this.dest;
    const conns = this.cfg.connections;
    const all = this.root.stream !== null;
    const a = all || conns.needsAddress ? getPropertyInto(P_DEST_ADDR, addrBuf) : null;
    if (a !== null) {
      // The address without its port, read in place: "v4:port" → before the colon, "[v6]:port" →
      // inside the brackets. The text is decoded only for exact-address rules and events.
      const p = changetype<usize>(a), n = <i32>lastSize;
      let first = -1, last = -1, close = -1;
      for (let i = 0; i < n; i++) {
        const c = load<u8>(p + <usize>i);
        if (c == 0x3a) { if (first < 0) first = i; last = i; }
        else if (c == 0x5d && close < 0) close = i;
      }
      let from = 0, to = n;
      if (last > 0 && first == last) to = last;
      else if (n > 0 && load<u8>(p) == 0x5b) { if (close > 0) { from = 1; to = close; } else to = 1; }
      if (all || conns.needsIpText) d.ipText = String.UTF8.decodeUnsafe(p + <usize>from, <usize>(to - from)).toLowerCase();
      const v = parseIPv4At(p, 0, from, to);
      d.ipv4 = v >= 0;
      d.ip = d.ipv4 ? <u32>v : 0;
    }
    const pt = all || conns.needsPort ? getPropertyInto(P_DEST_PORT, portBuf) : null;
    if (pt !== null && lastSize >= 8) d.port = <i32>load<i64>(changetype<usize>(pt));
    const sni = all || conns.needsSni ? getPropertyRaw(P_SNI) : null;
    if (sni !== null) d.sni = String.UTF8.decode(sni).toLowerCase();
  }

  // Acts on rule index i (or DEFAULT_RULE). atAccept: a deny returns PAUSE so tcp_proxy never connects.
  private apply(i: i32, atAccept: bool): i32 {
    this.decided = true;
    const conns = this.cfg.connections;
    const r: ConnRule | null = i == DEFAULT_RULE ? null : unchecked(conns.rules[i]);
    this.rule = r;
    this.ruleName = r === null ? "default" : r.name;
    const action = r === null ? (conns.defaultAllow ? CONN_ALLOW : CONN_DENY) : r.action;
    if (action == CONN_DENY) return this.deny(this.ruleName, atAccept);
    if (r !== null) {
      const cl = r.connLimit;
      if (cl !== null && !take(cl, nowNanos())) return this.deny(this.ruleName, atAccept, true);
      if (action == CONN_READONLY) {
        const g: Guard = r.protocol == PROTO_POSTGRES ? new PostgresGuard(r.requireReplica) : new RedisGuard();
        g.stmtLimit = r.stmtLimit;
        this.guard = g;
      }
    }
    this.pendingReport = true;
    return CONTINUE;
  }

  // First byte either way: the cluster is known (tcp_proxy picked it); report the allowed connection.
  private firstByte(): void {
    if (!this.pendingReport) return;
    this.pendingReport = false;
    if (this.root.stream === null) { reportConnection(this, true, false); return; } // counts only: no name needed
    if (!this.dest.clusterKnown) {
      this.dest.clusterKnown = true;
      const c = getPropertyRaw(P_CLUSTER);
      this.dest.clusterHost = c === null ? "" : clusterHost(String.UTF8.decode(c));
    }
    reportConnection(this, true, false);
  }

  private deny(rule: string, atAccept: bool, limited: bool = false): i32 {
    this.ruleName = rule;
    this.decided = true;
    this.closed = true;
    reportConnection(this, false, limited);
    imports.proxy_close_stream(STREAM_DOWNSTREAM);
    return atAccept ? PAUSE : CONTINUE;
  }

  // A guard refused the stream (malformed, oversized, escaped, unverifiable): close the connection.
  private fail(g: Guard, why: string): void {
    log(LOG_WARN, "shadowguard: connection closed (rule " + this.ruleName + "): " + why);
    this.closed = true;
    this.maybeFlush(true);
    imports.proxy_close_stream(STREAM_DOWNSTREAM);
  }

  // Drops the whole buffer (nothing more goes through a closed connection) and continues.
  private drain(type: i32, size: u32): i32 {
    proxy_set_buffer_bytes(type, 0, size, changetype<usize>(this.emptyBuf), 0);
    return CONTINUE;
  }
  private emptyBuf: ArrayBuffer = new ArrayBuffer(0);

  protocolName(): string {
    const r = this.rule;
    return r === null ? "tcp" : unchecked(PROTOCOLS[r.protocol]);
  }

  destinationText(): string {
    const d = this.dest;
    if (d.sni.length > 0) return d.sni;
    if (d.clusterHost.length > 0) return d.clusterHost;
    return d.port >= 0 ? d.ipText + ":" + d.port.toString() : d.ipText;
  }

  private maybeFlush(force: bool): void {
    const g = this.guard;
    if (g === null) return;
    const pending = g.reads + g.writes + g.escapes;
    if (!force && pending == 0) return;
    // The clock is read every 16th statement only (a host call per message costs more than the screen).
    if (!force && pending < 64 && (pending & 15) != 0) return;
    const now = nowNanos();
    if (!force && now - this.lastFlush < FLUSH_NS && pending < 64) return;
    this.lastFlush = now;
    reportCounts(this, g);
  }
}
