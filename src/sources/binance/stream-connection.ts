/**
 * One WebSocket connection to a Binance combined stream. It reports text frames,
 * pings and its end; it knows nothing about reconnecting (the client decides).
 * ws answers every ping with a pong echoing the payload (autoPong), as Binance
 * requires; the emulator test checks the echo.
 */
import WebSocket from 'ws';
import { applyWsReceiverViews } from './ws-receiver-views.js';

applyWsReceiverViews();

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
  /** A text frame's UTF-8 bytes (validated by ws), valid for the call; binary frames come as empty frames. */
  onMessage(conn: StreamConnection, frame: Buffer): void;
  onPing(conn: StreamConnection, payload: Buffer): void;
  onEnd(conn: StreamConnection, end: ConnectionEnd): void;
}

let nextId = 1;

const EMPTY_FRAME = Buffer.alloc(0);

/** A message's bytes as one Buffer (ws gives one unless the message came in fragments). */
function frameBytes(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

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
      handlers.onMessage(this, isBinary ? EMPTY_FRAME : frameBytes(data));
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
