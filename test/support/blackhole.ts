import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** Accepts TCP connections and never answers nor closes them (a hung or blackholed Kafka broker). */
export class Blackhole {
  readonly sockets: Socket[] = [];
  private constructor(private readonly server: Server) {
    server.on('connection', (s) => {
      s.on('error', () => undefined);
      this.sockets.push(s);
    });
  }
  static async start(): Promise<Blackhole> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new Blackhole(server);
  }
  get address(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  /** Bus endpoints whose broker is this hole (and a registry nobody listens on). */
  get endpoints(): { brokers: string[]; registryUrl: string } {
    return { brokers: [this.address], registryUrl: 'http://127.0.0.1:9' };
  }
  /** Resolves once at least n connections were accepted. */
  async connections(n: number): Promise<void> {
    while (this.sockets.length < n) await new Promise((r) => setTimeout(r, 20));
  }
  close(): void {
    for (const s of this.sockets) s.destroy();
    this.server.close();
  }
}
