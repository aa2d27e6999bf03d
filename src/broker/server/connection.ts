/**
 * One client TCP connection: reassembles size-prefixed frames from the byte
 * stream, refuses frames over the size limit, processes requests in order (Kafka's
 * per-connection ordering, which idempotent producers rely on; see pump() for the
 * overlap of Produce requests awaiting fdatasync) and writes each response in
 * request order (a Fetch response as one writev of its parts, record bytes uncopied). A malformed frame closes only
 * this connection, with a log line.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../../log/logger.js';
import { ApiKey } from '../protocol/api-keys.js';
import { MalformedFrameError } from '../protocol/primitives.js';
import type { RequestRouter } from './request-router.js';

/**
 * The smallest request: api key, api version, correlation id and a null client id (2 + 2 + 4 + 2
 * bytes) with an empty body, as ApiVersions v0-v2 are. kafkajs with a one-character client id
 * sends 11.
 */
const MIN_REQUEST_BYTES = 10;

/** Produce requests that may be in progress at once on one connection. */
const MAX_OVERLAPPING_PRODUCES = 32;

export class Connection {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private need = -1;
  private readonly frames: Buffer[] = [];
  /** Requests started and not yet answered. */
  private outstanding = 0;
  /** A non-Produce request is among them (nothing else may start). */
  private exclusiveRunning = false;
  /** Settles once every request started so far has been answered (or failed). */
  private answered: Promise<void> = Promise.resolve();
  /** pump() is waiting for `answered`. */
  private parked = false;
  /** A request failed: start nothing more (the connection is being closed). */
  private halted = false;
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
        if (size < MIN_REQUEST_BYTES || size > this.maxFrameBytes) {
          this.reject(size < MIN_REQUEST_BYTES ? `invalid frame size ${size}` : `frame of ${size} bytes exceeds the ${this.maxFrameBytes}-byte limit`);
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
    if (this.frames.length > 0) this.pump();
  }

  private reject(reason: string): void {
    this.logger.warn(`broker: closing connection: ${reason}`, { remote: this.remote });
    this.close();
  }

  /**
   * Starts the queued requests. A request runs alone, as Kafka does, with one
   * exception: Produce requests may overlap other Produce requests. Each one
   * appends synchronously when it starts (so appends, sequence checks and offsets
   * keep the request order), then waits for its fdatasync; overlapping them lets
   * one group-committed fdatasync cover several requests instead of one each.
   * Responses are always written in request order.
   */
  private pump(): void {
    while (this.frames.length > 0 && !this.closed && !this.parked && !this.halted) {
      const frame = this.frames[0]!;
      const produce = frame.length >= 2 && frame.readInt16BE(0) === ApiKey.Produce;
      const canOverlap = produce && !this.exclusiveRunning && this.outstanding < MAX_OVERLAPPING_PRODUCES;
      if (this.outstanding > 0 && !canOverlap) {
        this.parked = true;
        void this.answered.then(() => {
          this.parked = false;
          this.pump();
        });
        return;
      }
      this.frames.shift();
      this.start(frame, produce);
      if (produce && this.frames.length > 0) {
        // Let a request that failed while starting (a malformed frame) halt the
        // connection before the next one starts: start() registered its rejection
        // handler first, so it runs before this continuation.
        queueMicrotask(() => this.pump());
        return;
      }
    }
  }

  private start(frame: Buffer, produce: boolean): void {
    this.outstanding++;
    if (!produce) this.exclusiveRunning = true;
    const result = this.router.handle(frame, { remoteHost: this.socket.remoteAddress ?? '' });
    result.catch(() => {
      this.halted = true;
    });
    const previous = this.answered;
    this.answered = (async () => {
      let res: Buffer | Buffer[] | null = null;
      let failure: { err: unknown } | null = null;
      try {
        res = await result;
      } catch (err) {
        failure = { err };
      }
      await previous;
      this.outstanding--;
      if (!produce) this.exclusiveRunning = false;
      if (failure !== null) this.fail(failure.err);
      else if (res !== null && !this.closed) this.write(res);
    })();
  }

  /** One response; several buffers go out corked, i.e. as one writev. */
  private write(res: Buffer | Buffer[]): void {
    if (Buffer.isBuffer(res)) {
      this.socket.write(res);
      return;
    }
    this.socket.cork();
    for (const b of res) this.socket.write(b);
    this.socket.uncork();
  }

  private fail(err: unknown): void {
    if (this.closed) return;
    if (err instanceof MalformedFrameError) this.reject(`malformed request: ${err.describe()}`);
    else {
      this.logger.error('broker: request failed; closing connection', { remote: this.remote, error: err instanceof Error ? err.stack : String(err) });
      this.close();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.frames.length = 0;
    this.socket.destroy();
  }
}
