/** A raw Kafka-protocol TCP client for sending hand-made (and broken) frames. */
import { connect, type Socket } from 'node:net';

export class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: Array<(b: Buffer) => void> = [];
  closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readInt32BE(0) && this.waiters.length > 0) {
        const size = this.buf.readInt32BE(0);
        const frame = this.buf.subarray(4, 4 + size);
        this.buf = this.buf.subarray(4 + size);
        this.waiters.shift()!(frame);
      }
    });
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
  }

  static open(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, host, () => resolve(new RawClient(s)));
      s.on('error', reject);
    });
  }

  /** Sends a request (header v1 + body) and returns the response frame (without size). */
  request(apiKey: number, version: number, correlationId: number, body: Buffer, clientId = 'raw'): Promise<Buffer> {
    const p = new Promise<Buffer>((resolve) => this.waiters.push(resolve));
    this.socket.write(frame(apiKey, version, correlationId, body, clientId));
    return p;
  }

  write(b: Buffer): void {
    this.socket.write(b);
  }

  close(): void {
    this.socket.destroy();
  }
}

export function frame(apiKey: number, version: number, correlationId: number, body: Buffer, clientId = 'raw'): Buffer {
  const cid = Buffer.from(clientId);
  const head = Buffer.alloc(10 + cid.length);
  head.writeInt16BE(apiKey, 0);
  head.writeInt16BE(version, 2);
  head.writeInt32BE(correlationId, 4);
  head.writeInt16BE(cid.length, 8);
  cid.copy(head, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(head.length + body.length);
  return Buffer.concat([size, head, body]);
}
