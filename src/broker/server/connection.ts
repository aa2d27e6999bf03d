/**
 * One client TCP connection: reassembles size-prefixed frames from the byte
 * stream, refuses frames over the size limit, processes requests strictly one
 * after another (Kafka's per-connection ordering, which idempotent producers rely
 * on) and writes each response as a single Buffer. A malformed frame closes only
 * this connection, with a log line.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../../log/logger.js';
import { MalformedFrameError } from '../protocol/primitives.js';
import type { RequestRouter } from './request-router.js';

export class Connection {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private need = -1;
  private readonly frames: Buffer[] = [];
  private busy = false;
  private closed = false;
  private readonly remote: string;

  constructor(private readonly socket: Socket, private readonly router: RequestRouter, private readonly maxFrameBytes: number, private readonly logger: Logger) {
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => logger.debug('broker: connection error', { remote: this.remote, error: err.message }));
    socket.on('close', () => {
      this.closed = true;
      this.frames.length = 0;
    });
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < 4) break;
        if (this.chunks[0]!.length < 4) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
        const size = this.chunks[0]!.readInt32BE(0);
        if (size < 12 || size > this.maxFrameBytes) {
          this.reject(size < 12 ? `invalid frame size ${size}` : `frame of ${size} bytes exceeds the ${this.maxFrameBytes}-byte limit`);
          return;
        }
        this.need = size + 4;
      }
      if (this.buffered < this.need) break;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
      this.frames.push(all.subarray(4, this.need));
      const rest = all.subarray(this.need);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      this.need = -1;
    }
    if (!this.busy && this.frames.length > 0) void this.pump();
  }

  private reject(reason: string): void {
    this.logger.warn(`broker: closing connection: ${reason}`, { remote: this.remote });
    this.close();
  }

  private async pump(): Promise<void> {
    this.busy = true;
    try {
      while (this.frames.length > 0 && !this.closed) {
        const frame = this.frames.shift()!;
        let res: Buffer | null;
        try {
          res = await this.router.handle(frame, { remoteHost: this.socket.remoteAddress ?? '' });
        } catch (err) {
          if (err instanceof MalformedFrameError) this.reject(`malformed request: ${err.describe()}`);
          else {
            this.logger.error('broker: request failed; closing connection', { remote: this.remote, error: err instanceof Error ? err.stack : String(err) });
            this.close();
          }
          return;
        }
        if (res !== null && !this.closed) this.socket.write(res);
      }
    } finally {
      this.busy = false;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.frames.length = 0;
    this.socket.destroy();
  }
}
