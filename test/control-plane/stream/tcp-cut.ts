// A loopback TCP relay between the filter (sandbox host) and a control plane, for delivery tests:
// it can black-hole one direction (bytes read and discarded, as on a dead network path) and cut every
// connection at once, which is what a failing stream looks like to both ends; retarget() points new
// connections at another port (a restarted control plane).
import net from 'node:net';

export type Direction = 'toServer' | 'toFilter';

export class TcpCut {
  private readonly sockets = new Set<net.Socket>();
  private readonly holes = new Set<Direction>();
  private constructor(
    private readonly server: net.Server,
    private target: number,
    readonly port: number,
  ) {}

  static async start(target: number): Promise<TcpCut> {
    let relay: TcpCut | undefined;
    const server = net.createServer((client) => relay?.accept(client));
    const port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
    );
    relay = new TcpCut(server, target, port);
    return relay;
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect(this.target, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (b) => {
      if (!this.holes.has('toServer')) upstream.write(b);
    });
    upstream.on('data', (b) => {
      if (!this.holes.has('toFilter')) client.write(b);
    });
  }

  /** From now on, bytes in that direction are read and dropped. */
  blackhole(direction: Direction): void {
    this.holes.add(direction);
  }

  /** Destroys every relayed connection; new ones flow normally (black holes cleared). */
  cut(): void {
    this.holes.clear();
    for (const s of this.sockets) s.destroy();
  }

  retarget(port: number): void {
    this.target = port;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
