// The bounded report queue of one worker VM: encoded FilterMessages waiting for the stream.
// A ring buffer bounded by count (controlPlane.queueSize) and bytes (MAX_BYTES); when full the
// OLDEST entry is dropped and counted by kind — reporting never blocks a request or grows unbounded.

export const KIND_HALF: u8 = 1;
export const KIND_EVENT: u8 = 2;

const MAX_BYTES: i32 = 16 * 1024 * 1024;
// One message never reaches the control plane's gRPC limit (4 MiB by default): gRPC would end the
// whole stream with RESOURCE_EXHAUSTED and every report queued behind it would wait for a reconnect.
// A larger message is dropped here and counted like any other drop (issue 14 finding 14).
export const MAX_MESSAGE_BYTES: i32 = 4 * 1024 * 1024 - 64 * 1024;

export class ReportQueue {
  private items: Array<Uint8Array | null>;
  private kinds: Uint8Array;
  private head: i32 = 0;   // index of the oldest entry
  private size: i32 = 0;
  private bytes: i32 = 0;
  capacity: i32;
  halvesDropped: u64 = 0;
  eventsDropped: u64 = 0;

  constructor(capacity: i32) {
    const cap = capacity < 1 ? 1 : capacity;
    this.items = new Array<Uint8Array | null>(cap);
    this.kinds = new Uint8Array(cap);
    this.capacity = cap;
  }

  get length(): i32 { return this.size; }

  // Returns the kind of the entry dropped to make room (0 = none dropped).
  push(kind: u8, msg: Uint8Array): u8 {
    if (msg.byteLength > MAX_MESSAGE_BYTES) {
      if (kind == KIND_HALF) this.halvesDropped++;
      else if (kind == KIND_EVENT) this.eventsDropped++;
      return kind;
    }
    let dropped: u8 = 0;
    while (this.size > 0 && (this.size >= this.capacity || this.bytes + msg.byteLength > MAX_BYTES)) {
      dropped = this.dropOldest();
    }
    const tail = (this.head + this.size) % this.capacity;
    unchecked(this.items[tail] = msg);
    unchecked(this.kinds[tail] = kind);
    this.size++;
    this.bytes += msg.byteLength;
    return dropped;
  }

  peek(): Uint8Array | null {
    return this.size == 0 ? null : unchecked(this.items[this.head]);
  }

  peekKind(): u8 {
    return this.size == 0 ? 0 : unchecked(this.kinds[this.head]);
  }

  shift(): void {
    if (this.size == 0) return;
    const m = unchecked(this.items[this.head]);
    if (m !== null) this.bytes -= m.byteLength;
    unchecked(this.items[this.head] = null);
    this.head = (this.head + 1) % this.capacity;
    this.size--;
  }

  private dropOldest(): u8 {
    const k = unchecked(this.kinds[this.head]);
    if (k == KIND_HALF) this.halvesDropped++;
    else if (k == KIND_EVENT) this.eventsDropped++;
    this.shift();
    return k;
  }
}
