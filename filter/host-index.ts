// The egress rules indexed by host, built once per configuration, so that a decision against a long
// allowlist looks at the few rules whose host can match instead of all of them. It only narrows:
// every rule whose host pattern can match the request host is in one of the candidate lists it
// returns (each ascending by rule index), and egress.ts runs the full match on them, so the first
// matching rule in configuration order still decides.
//   exact host ("api.example", "db:5432")   → one table lookup by the whole host
//   glob with a literal prefix ("svc-1.*")   → a table per (prefix length): lookup by the host's first
//                                              N characters (a rule can match only if they are its prefix)
//   glob with only a literal suffix ("*.x")  → likewise by the host's last N characters
//   no host, "*", "*mid*", or a glob group too small to pay for its lookup → scanned in order
// Lookups hash a range of the request host in place: no substring, no allocation.
import { HostPattern } from "./glob";

// A prefix/suffix table costs a hash of N characters per request; below this many rules a plain
// scan (one probe load per rule) is cheaper. At most MAX_GROUPS tables are probed per request.
const MIN_GROUP: i32 = 3;
const MAX_GROUPS: i32 = 8;

@inline function hashRange(s: string, start: i32, len: i32): u32 {
  let h: u32 = 0x811c9dc5;
  const p = changetype<usize>(s) + (<usize>start << 1);
  for (let i = 0; i < len; i++) { h ^= <u32>load<u16>(p + (<usize>i << 1)); h *= 0x01000193; }
  return h;
}

// Open-addressed table: key (string) → ascending list of rule indices. Frozen after build().
class KeyTable {
  keys: Array<string> = [];
  lists: Array<Array<i32>> = [];
  private slots: Int32Array = new Int32Array(0);
  private mask: u32 = 0;

  add(key: string, rule: i32): void {
    const i = this.keys.indexOf(key); // config time only
    if (i >= 0) { unchecked(this.lists[i]).push(rule); return; }
    this.keys.push(key);
    this.lists.push([rule]);
  }

  build(): void {
    let size = 4;
    while (size < this.keys.length * 2) size <<= 1;
    this.slots = new Int32Array(size).fill(-1);
    this.mask = <u32>size - 1;
    for (let e = 0; e < this.keys.length; e++) {
      const k = unchecked(this.keys[e]);
      let h = hashRange(k, 0, k.length) & this.mask;
      while (unchecked(this.slots[h]) >= 0) h = (h + 1) & this.mask;
      unchecked(this.slots[h] = e);
    }
  }

  get empty(): bool { return this.keys.length == 0; }

  // The list of the key equal to s[start, start+len), or null.
  find(s: string, start: i32, len: i32): Array<i32> | null {
    let h = hashRange(s, start, len) & this.mask;
    const p = changetype<usize>(s) + (<usize>start << 1);
    while (true) {
      const e = unchecked(this.slots[h]);
      if (e < 0) return null;
      const k = unchecked(this.keys[e]);
      if (k.length == len && memory.compare(changetype<usize>(k), p, <usize>len << 1) == 0) return unchecked(this.lists[e]);
      h = (h + 1) & this.mask;
    }
  }
}

class Group {
  table: KeyTable = new KeyTable();
  constructor(public withPort: bool, public suffix: bool, public len: i32) {}
}

export class HostIndex {
  private scan: Array<i32> = [];                 // rules no table covers, ascending
  private exact: KeyTable = new KeyTable();      // exact patterns without a port: by host without port
  private exactPort: KeyTable = new KeyTable();  // exact patterns naming a port: by host:port
  private groups: Array<Group> = [];

  // hosts[i]: rule i's host pattern (null = any host).
  constructor(hosts: Array<HostPattern | null>) {
    const keyed = new Array<Group>();        // candidate groups, in order of first appearance
    const groupOf = new Array<i32>(hosts.length);
    for (let i = 0; i < hosts.length; i++) {
      const hp = unchecked(hosts[i]);
      unchecked(groupOf[i] = -1);
      if (hp === null) continue;
      if (hp.exact) { (hp.withPort ? this.exactPort : this.exact).add(hp.glob, i); unchecked(groupOf[i] = -2); continue; }
      const suffix = hp.prefix.length == 0;
      const len = suffix ? hp.suffix.length : hp.prefix.length;
      if (len == 0) continue;
      let g = 0;
      for (; g < keyed.length; g++) {
        const k = unchecked(keyed[g]);
        if (k.withPort == hp.withPort && k.suffix == suffix && k.len == len) break;
      }
      if (g == keyed.length) keyed.push(new Group(hp.withPort, suffix, len));
      unchecked(keyed[g]).table.add(suffix ? hp.suffix : hp.prefix, i);
      unchecked(groupOf[i] = g);
    }
    // Keep the largest groups worth a lookup; their rules leave the scan list.
    const size = new Array<i32>(keyed.length);
    for (let g = 0; g < keyed.length; g++) unchecked(size[g] = 0);
    for (let i = 0; i < hosts.length; i++) { const g = unchecked(groupOf[i]); if (g >= 0) unchecked(size[g]++); }
    const kept = new Array<bool>(keyed.length);
    for (let n = 0; n < MAX_GROUPS; n++) {
      let best = -1;
      for (let g = 0; g < keyed.length; g++) {
        if (unchecked(kept[g]) || unchecked(size[g]) < MIN_GROUP) continue;
        if (best < 0 || unchecked(size[g]) > unchecked(size[best])) best = g;
      }
      if (best < 0) break;
      unchecked(kept[best] = true);
    }
    for (let g = 0; g < keyed.length; g++) {
      if (!unchecked(kept[g])) continue;
      const k = unchecked(keyed[g]);
      k.table.build();
      this.groups.push(k);
    }
    for (let i = 0; i < hosts.length; i++) {
      const g = unchecked(groupOf[i]);
      if (g == -2 || (g >= 0 && unchecked(kept[g]))) continue;
      this.scan.push(i);
    }
    this.exact.build();
    this.exactPort.build();
  }

  // False when every rule is in the scan list (nothing indexed): callers scan the rules directly.
  get narrows(): bool { return !this.exact.empty || !this.exactPort.empty || this.groups.length > 0; }

  // Pushes onto `out` every candidate list for this host (lower-cased; noPort: without its port).
  candidates(host: string, noPort: string, out: Array<Array<i32>>): void {
    if (this.scan.length > 0) out.push(this.scan);
    if (!this.exact.empty) { const l = this.exact.find(noPort, 0, noPort.length); if (l !== null) out.push(l); }
    if (!this.exactPort.empty) { const l = this.exactPort.find(host, 0, host.length); if (l !== null) out.push(l); }
    for (let g = 0, n = this.groups.length; g < n; g++) {
      const k = unchecked(this.groups[g]);
      const h = k.withPort ? host : noPort;
      const hl = h.length;
      if (hl < k.len) continue;
      const l = k.table.find(h, k.suffix ? hl - k.len : 0, k.len);
      if (l !== null) out.push(l);
    }
  }
}
