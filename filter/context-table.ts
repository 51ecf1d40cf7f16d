// Filter contexts by id, for the lookup every callback starts with. Open addressing with linear
// probing over a power-of-two slot array, deletion by backward shift (no tombstones): unlike
// ~lib/map, whose entry array is rebuilt (two new buffers) every few inserts when ids only grow,
// inserting and deleting never allocate; only growth does. Id 0 marks an empty slot: it is the VM
// context's id, never a filter context's (cpp-host numbers contexts from 1).
// Values are stored as Object (one copy of the code for every kind of context; callers cast back).
export class ContextTable {
  private keys: StaticArray<u32>;
  private vals: StaticArray<Object | null>;
  private mask: u32;
  size: i32 = 0;
  // The last id found: a context's callbacks mostly come in a row, so most lookups end here.
  private lastKey: u32 = 0;
  private lastVal: Object | null = null;

  constructor(capacity: i32 = 64) {
    this.keys = new StaticArray<u32>(capacity);
    this.vals = new StaticArray<Object | null>(capacity);
    this.mask = <u32>capacity - 1;
  }

  // Fibonacci hashing: consecutive ids (cpp-host's are sequential) land far apart.
  @inline private home(id: u32): u32 { return (id * 0x9e3779b1) & this.mask; }

  // The slot of id, or -1. Terminates: the table is never more than half full.
  private slot(id: u32): i32 {
    const keys = this.keys;
    let i = this.home(id);
    let k = unchecked(keys[i]);
    while (k != id) {
      if (k == 0) return -1;
      i = (i + 1) & this.mask;
      k = unchecked(keys[i]);
    }
    return <i32>i;
  }

  has(id: u32): bool { return id != 0 && this.slot(id) >= 0; }

  get(id: u32): Object | null {
    if (id == 0) return null;
    if (id == this.lastKey) return this.lastVal;
    const i = this.slot(id);
    if (i < 0) return null;
    const v = unchecked(this.vals[i]);
    this.lastKey = id;
    this.lastVal = v;
    return v;
  }

  set(id: u32, v: Object): void {
    if (id == 0) return;
    if (id == this.lastKey) this.lastVal = v;
    if ((this.size + 1) * 2 > this.keys.length) this.grow();
    const keys = this.keys;
    let i = this.home(id);
    for (;;) {
      const k = unchecked(keys[i]);
      if (k == id) { unchecked(this.vals[i] = v); return; }
      if (k == 0) break;
      i = (i + 1) & this.mask;
    }
    unchecked(keys[i] = id);
    unchecked(this.vals[i] = v);
    this.size++;
  }

  // Removes id; returns what it mapped to (null when absent).
  delete(id: u32): Object | null {
    if (id == 0) return null;
    const found = this.slot(id);
    if (found < 0) return null;
    if (id == this.lastKey) { this.lastKey = 0; this.lastVal = null; }
    const keys = this.keys, vals = this.vals, mask = this.mask;
    let hole = <u32>found;
    const v = unchecked(vals[hole]);
    // Backward shift: pull later entries of the probe run into the hole unless their home lies
    // cyclically in (hole, j] (then they are already as close to home as they can be).
    let j = hole;
    for (;;) {
      j = (j + 1) & mask;
      const k = unchecked(keys[j]);
      if (k == 0) break;
      const h = this.home(k);
      const stays = hole <= j ? (h > hole && h <= j) : (h > hole || h <= j);
      if (stays) continue;
      unchecked(keys[hole] = k);
      unchecked(vals[hole] = unchecked(vals[j]));
      hole = j;
    }
    unchecked(keys[hole] = 0);
    unchecked(vals[hole] = null);
    this.size--;
    return v;
  }

  private grow(): void {
    const oldKeys = this.keys, oldVals = this.vals;
    const cap = oldKeys.length * 2;
    this.keys = new StaticArray<u32>(cap);
    this.vals = new StaticArray<Object | null>(cap);
    this.mask = <u32>cap - 1;
    this.size = 0;
    for (let i = 0; i < oldKeys.length; i++) {
      const k = unchecked(oldKeys[i]);
      if (k != 0) this.set(k, changetype<Object>(unchecked(oldVals[i])));
    }
  }
}
