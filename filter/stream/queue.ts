// The bounded report queue of one worker VM: numbered FilterMessages waiting for the stream or for
// the control plane's acknowledgement. A ring buffer bounded by count (controlPlane.queueSize) and
// bytes (MAX_BYTES); when full the OLDEST entry is dropped and counted by kind — sent-but-unacknowledged
// or not yet sent alike — so reporting never blocks a request or grows unbounded.
//
// Layout from the head: [sent, not yet acknowledged][not yet sent]. acknowledge(seq) drops the
// acknowledged prefix (the control plane acknowledges cumulatively); rewind() after a stream ends
// makes the unacknowledged entries unsent again, to be resent on the next stream with the same seq.
// Each entry is stored encoded with its seq (StreamClient.report), so a resend is the same bytes.

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
  private seqs: StaticArray<u64>;
  private tries: Uint8Array;   // 1 once an entry has been sent on some stream
  private head: i32 = 0;       // index of the oldest entry
  private size: i32 = 0;
  private bytes: i32 = 0;
  private sentCount: i32 = 0;  // entries from the head sent on the current stream, unacknowledged
  private nextSeq: u64 = 1;
  capacity: i32;
  halvesDropped: u64 = 0;
  eventsDropped: u64 = 0;
  acknowledged: u64 = 0;

  constructor(capacity: i32) {
    const cap = capacity < 1 ? 1 : capacity;
    this.items = new Array<Uint8Array | null>(cap);
    this.kinds = new Uint8Array(cap);
    this.seqs = new StaticArray<u64>(cap);
    this.tries = new Uint8Array(cap);
    this.capacity = cap;
  }

  get length(): i32 { return this.size; }
  get unsent(): i32 { return this.size - this.sentCount; }
  get inFlight(): i32 { return this.sentCount; }

  // The seq the next entry gets.
  get next(): u64 { return this.nextSeq; }

  // Queues msg, which carries the next seq (encoded with FilterMessage.seq = next); returns the kind
  // of the last entry dropped for room.
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
    unchecked(this.seqs[tail] = this.nextSeq);
    unchecked(this.tries[tail] = 0);
    this.nextSeq++;
    this.size++;
    this.bytes += msg.byteLength;
    return dropped;
  }

  // The i-th entry not yet sent on this stream (0 = the next to send).
  unsentAt(i: i32): Uint8Array | null {
    if (i < 0 || i >= this.unsent) return null;
    return unchecked(this.items[(this.head + this.sentCount + i) % this.capacity]);
  }

  // Marks the next unsent entry sent; returns its kind, with 0x80 set when it had been sent before.
  markSent(): u8 {
    if (this.unsent == 0) return 0;
    const i = (this.head + this.sentCount) % this.capacity;
    this.sentCount++;
    const again: u8 = unchecked(this.tries[i]) != 0 ? 0x80 : 0;
    unchecked(this.tries[i] = 1);
    return unchecked(this.kinds[i]) | again;
  }

  // The control plane has every entry numbered up to seq: drop them (also unsent ones after a
  // rewind: a reconnect's first Delivered says what the previous stream already delivered).
  acknowledge(seq: u64): void {
    while (this.size > 0 && unchecked(this.seqs[this.head]) <= seq) {
      this.acknowledged++;
      this.shift();
    }
  }

  // A stream ended: whatever it did not acknowledge is sent again on the next one.
  rewind(): void { this.sentCount = 0; }

  // A control plane that does not acknowledge (older than Delivered): what it was sent counts as
  // delivered, as before numbering existed.
  forgetSent(): void {
    while (this.sentCount > 0) this.shift();
  }

  private shift(): void {
    if (this.size == 0) return;
    const m = unchecked(this.items[this.head]);
    if (m !== null) this.bytes -= m.byteLength;
    unchecked(this.items[this.head] = null);
    this.head = (this.head + 1) % this.capacity;
    this.size--;
    if (this.sentCount > 0) this.sentCount--;
  }

  private dropOldest(): u8 {
    const k = unchecked(this.kinds[this.head]);
    if (k == KIND_HALF) this.halvesDropped++;
    else if (k == KIND_EVENT) this.eventsDropped++;
    this.shift();
    return k;
  }
}
