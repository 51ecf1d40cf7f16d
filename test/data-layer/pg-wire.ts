// A minimal raw PostgreSQL wire client for the tests that need control over TCP segments and
// message batching (node-postgres always sends whole messages, one query at a time).
import net from 'node:net';

export function startup(user = 'postgres', database = 'postgres', extra: Record<string, string> = {}): Buffer {
  const pairs = Object.entries({ user, database, ...extra }).flat();
  const body = Buffer.from(`${pairs.join('\0')}\0\0`);
  const b = Buffer.alloc(8);
  b.writeUInt32BE(8 + body.length, 0);
  b.writeUInt32BE(196608, 4);
  return Buffer.concat([b, body]);
}

const msg = (type: string, body: Buffer): Buffer => {
  const h = Buffer.alloc(5);
  h.write(type, 0, 'latin1');
  h.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([h, body]);
};
const cstr = (s: string) => Buffer.from(`${s}\0`);

export const query = (sql: string) => msg('Q', cstr(sql));
export const parse = (sql: string, name = '') => msg('P', Buffer.concat([cstr(name), cstr(sql), Buffer.from([0, 0])]));
export const bind = () => msg('B', Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]));
export const execute = () => msg('E', Buffer.concat([cstr(''), Buffer.from([0, 0, 0, 0])]));
export const sync = () => msg('S', Buffer.alloc(0));
/** FunctionCall of function `oid` with no arguments, text result. */
export const functionCall = (oid: number) => {
  const b = Buffer.alloc(4 + 2 + 2 + 2);
  b.writeUInt32BE(oid, 0);
  return msg('F', b);
};
export const sslRequest = () => {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(8, 0);
  b.writeUInt32BE(80877103, 4);
  return b;
};

export interface ServerMessage {
  type: string;
  body: Buffer;
}

/** Error text (field M) of an ErrorResponse. */
export function errorMessage(m: ServerMessage): string {
  let i = 0;
  while (i < m.body.length && m.body[i] !== 0) {
    const field = String.fromCharCode(m.body[i]);
    const end = m.body.indexOf(0, i + 1);
    if (field === 'M') return m.body.toString('utf8', i + 1, end);
    i = end + 1;
  }
  return '';
}

export class RawPg {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  readonly messages: ServerMessage[] = [];
  closed = false;
  constructor(readonly sock: net.Socket) {
    sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 5) {
        const len = this.buf.readUInt32BE(1);
        if (this.buf.length < len + 1) break;
        this.messages.push({ type: String.fromCharCode(this.buf[0]), body: this.buf.subarray(5, len + 1) });
        this.buf = this.buf.subarray(len + 1);
      }
      this.wake();
    });
    sock.on('close', () => {
      this.closed = true;
      this.wake();
    });
    sock.on('error', () => {});
  }
  static async connect(port: number): Promise<RawPg> {
    const s = net.connect(port, '127.0.0.1');
    await new Promise((r, j) => s.once('connect', r).once('error', j));
    return new RawPg(s);
  }
  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
  /** Waits until `n` ReadyForQuery messages arrived in total (or the connection closed). */
  async readyCount(n: number, timeoutMs = 5000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.messages.filter((m) => m.type === 'Z').length < n && !this.closed) {
      if (Date.now() > end) throw new Error(`timeout waiting for ${n} ReadyForQuery`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }
  async waitClosed(timeoutMs = 5000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > end) throw new Error('timeout waiting for close');
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }
  write(b: Buffer): void {
    this.sock.write(b);
  }
  end(): void {
    this.sock.destroy();
  }
}
