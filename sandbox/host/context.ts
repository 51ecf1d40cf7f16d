// What a host function sees of "the current context" (cpp-host ContextBase / Envoy Context): the
// header maps and buffers reachable from it, and the stream actions it may request. Implemented by
// the root context (root.ts), by stream contexts (stream-context.ts) and by the VM context used while
// the module starts (id 0).

import type { HeaderMap } from './headers.js';
import type { RootContext } from './root.js';

export interface HostBuffer {
  size(): number;
  read(start: number, length: number): Buffer;
  /** Envoy Buffer::copyFrom semantics; immutable buffers answer BadArgument. */
  write(start: number, length: number, data: Buffer): number;
}

export interface LocalReplyRequest {
  status: number;
  body: Buffer;
  headers: Array<[string, string]>;
  grpcStatus: number | undefined;
  details: string;
}

export interface FilterContext {
  readonly id: number;
  /** The root context this context belongs to; undefined only for the VM context (id 0). */
  readonly root: RootContext | undefined;
  readonly accessLogPhase: boolean;
  /** Mutable map (Envoy Context::getMap) — undefined outside its window. */
  getMap(type: number): HeaderMap | undefined;
  /** Read-only view (Envoy Context::getConstMap) — also serves the access-log phase and callouts. */
  getConstMap(type: number): HeaderMap | undefined;
  onHeadersModified(type: number): void;
  getBuffer(type: number): HostBuffer | undefined;
  continueStream(type: number): number;
  closeStream(type: number): number;
  sendLocalResponse(reply: LocalReplyRequest): void;
  /** Top-level property lookup for this context (properties.ts walks the rest of the path). */
  findProperty(name: string): unknown;
  setProperty(path: string, value: Buffer): number;
}

/** The empty buffer. Shared: a zero-length Buffer has no bytes anyone could change. */
export const EMPTY: Buffer = Buffer.alloc(0);

/** An immutable byte buffer (configurations, HTTP call bodies): writes fail as BufferBase::copyFrom. */
export function constBuffer(data: Buffer): HostBuffer {
  return {
    size: () => data.length,
    read: (start, length) => data.subarray(start, start + length),
    write: () => 2 /* BadArgument */,
  };
}

/** A mutable body buffer with Envoy's copyFrom rules (source/extensions/common/wasm/context.cc
 *  Buffer::copyFrom): start 0 drains `length` bytes then prepends; start >= size appends; else BadArgument. */
export class BodyBuffer implements HostBuffer {
  constructor(public data: Buffer = EMPTY) {}
  size(): number {
    return this.data.length;
  }
  read(start: number, length: number): Buffer {
    return this.data.subarray(start, start + length);
  }
  write(start: number, length: number, data: Buffer): number {
    if (start === 0) {
      this.data = Buffer.concat([data, this.data.subarray(Math.min(length, this.data.length))]);
      return 0;
    }
    if (start >= this.data.length) {
      this.data = Buffer.concat([this.data, data]);
      return 0;
    }
    return 2; // BadArgument: no mid-buffer insert in Envoy
  }
  append(data: Uint8Array): void {
    this.data = this.data.length ? Buffer.concat([this.data, data]) : Buffer.from(data);
  }
  take(): Buffer {
    const d = this.data;
    this.data = EMPTY;
    return d;
  }
}

/** An empty "no buffer" view: Envoy's getBuffer returns buffer_.set(nullptr) for an HTTP body outside
 *  its window, so reads succeed with 0 bytes and writes fail with BadArgument (BufferBase::copyFrom). */
export const NULL_BUFFER: HostBuffer = { size: () => 0, read: () => EMPTY, write: () => 2 };
