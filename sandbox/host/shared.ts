// Process-wide shared data and shared queues keyed by vm_id, as cpp-host src/shared_data.cc and
// src/shared_queue.cc: one CAS counter starting at 1 (never 0), cas 0 = unconditional set, a
// mismatched cas on an existing key = CasMismatch, a new key is stored whatever cas was given;
// queue tokens start at 1 and the LAST registrant of a (vm_id, name) receives on_queue_ready,
// posted asynchronously to its own "thread" (here: setImmediate).

import { WasmResult } from './abi.js';

export interface SharedValue {
  value: Buffer;
  cas: number;
}

export class SharedData {
  private readonly data = new Map<string, Map<string, SharedValue>>();
  private cas = 1;

  private nextCas(): number {
    const c = this.cas;
    this.cas = (this.cas + 1) >>> 0 || 1;
    return c;
  }

  get(vmId: string, key: string): SharedValue | undefined {
    return this.data.get(vmId)?.get(key);
  }

  set(vmId: string, key: string, value: Buffer, cas: number): number {
    let map = this.data.get(vmId);
    if (!map) this.data.set(vmId, (map = new Map()));
    const existing = map.get(key);
    if (existing && cas !== 0 && cas !== existing.cas) return WasmResult.CasMismatch;
    map.set(key, { value: Buffer.from(value), cas: this.nextCas() });
    return WasmResult.Ok;
  }

  keys(vmId: string): string[] {
    return [...(this.data.get(vmId)?.keys() ?? [])];
  }

  /** Data for a vm_id goes when the last VM with that id goes (cpp-host VmIdHandle callback). */
  dropVmId(vmId: string): void {
    this.data.delete(vmId);
  }
}

export type QueueReadyTarget = (token: number) => void;

interface Queue {
  vmId: string;
  name: string;
  items: Buffer[];
  notify: QueueReadyTarget | undefined;
}

export class SharedQueues {
  private readonly tokens = new Map<string, number>();
  private readonly queues = new Map<number, Queue>();
  private nextToken = 1;
  private closed = false;

  register(vmId: string, name: string, notify: QueueReadyTarget): number {
    const key = `${vmId}\u0000${name}`;
    let token = this.tokens.get(key);
    if (token === undefined) {
      while (this.nextToken === 0 || this.queues.has(this.nextToken)) this.nextToken = (this.nextToken + 1) >>> 0;
      token = this.nextToken++;
      this.tokens.set(key, token);
      this.queues.set(token, { vmId, name, items: [], notify });
    }
    this.queues.get(token)!.notify = notify; // each registration overwrites the target, data is kept
    return token;
  }

  resolve(vmId: string, name: string): number | undefined {
    return this.tokens.get(`${vmId}\u0000${name}`);
  }

  enqueue(token: number, value: Buffer): number {
    const q = this.queues.get(token);
    if (!q) return WasmResult.NotFound;
    q.items.push(Buffer.from(value));
    const notify = q.notify;
    if (notify)
      setImmediate(() => {
        if (!this.closed) notify(token);
      });
    return WasmResult.Ok;
  }

  dequeue(token: number): { result: number; value?: Buffer } {
    const q = this.queues.get(token);
    if (!q) return { result: WasmResult.NotFound };
    const value = q.items.shift();
    return value ? { result: WasmResult.Ok, value } : { result: WasmResult.Empty };
  }

  /** Forget a registrant that went away (its root context was deleted). */
  unregisterTarget(notify: QueueReadyTarget): void {
    for (const q of this.queues.values()) if (q.notify === notify) q.notify = undefined;
  }

  close(): void {
    this.closed = true;
  }
}
