/**
 * One WebSocket connection to a Binance combined stream. It reports text frames,
 * pings and its end; it knows nothing about reconnecting (the client decides).
 * ws answers every ping with a pong echoing the payload (autoPong), as Binance
 * requires; the emulator test checks the echo.
 */
import WebSocket from 'ws';

export interface ConnectionEnd {
  code: number;
  reason: string;
  /** Error message when the connection failed (refused, reset, handshake timeout). */
  error: string | null;
  /** Whether it delivered at least one message. */
  delivered: boolean;
}

export interface ConnectionHandlers {
  onOpen(conn: StreamConnection): void;
  onMessage(conn: StreamConnection, text: string): void;
  onPing(conn: StreamConnection, payload: Buffer): void;
  onEnd(conn: StreamConnection, end: ConnectionEnd): void;
}

let nextId = 1;

export class StreamConnection {
  readonly id = nextId++;
  readonly openedAt: number;
  delivered = false;
  /** Why k2 closed it, if it did (rotation, stale, shutdown...). */
  closeReason: string | null = null;
  private readonly ws: WebSocket;
  private error: string | null = null;
  private ended = false;

  constructor(readonly url: string, handlers: ConnectionHandlers, opts: { handshakeTimeoutMs: number; now: number }) {
    this.openedAt = opts.now;
    this.ws = new WebSocket(url, { handshakeTimeout: opts.handshakeTimeoutMs, perMessageDeflate: false });
    this.ws.on('open', () => handlers.onOpen(this));
    this.ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (this.closeReason !== null) return; // closing on purpose: ignore late frames
      this.delivered = true;
      handlers.onMessage(this, isBinary ? '' : typeof data === 'string' ? data : data.toString());
    });
    this.ws.on('ping', (payload: Buffer) => handlers.onPing(this, payload));
    this.ws.on('error', (err: Error) => {
      this.error = err.message;
    });
    this.ws.on('close', (code: number, reason: Buffer) => {
      if (this.ended) return;
      this.ended = true;
      handlers.onEnd(this, { code, reason: reason.toString(), error: this.error, delivered: this.delivered });
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Stops reading from the socket (backpressure). */
  pause(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.pause();
  }

  resume(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.resume();
  }

  /** Closes on purpose with a normal close frame; falls back to terminate after 2 s. */
  close(reason: string): void {
    if (this.closeReason !== null) return;
    this.closeReason = reason;
    if (this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.terminate();
      return;
    }
    this.ws.close(1000, reason.slice(0, 100));
    const t = setTimeout(() => this.ws.terminate(), 2_000);
    t.unref();
  }

  /** Drops the socket at once (stale connection: a close handshake would hang too). */
  terminate(reason: string): void {
    if (this.closeReason === null) this.closeReason = reason;
    this.ws.terminate();
  }
}
