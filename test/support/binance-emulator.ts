/**
 * A local, fault-injecting Binance emulator for tests and benches: a WebSocket
 * server for combined streams (/stream?streams=...) and a REST server
 * (/api/v3/historicalTrades, /api/v3/trades, /api/v3/aggTrades) on one port.
 *
 * Trades are a deterministic tape: trade `id` of a symbol always has the same
 * price, quantity, time and side, so REST can serve any id that was produced and
 * a test can check every field of what the client published.
 *
 * Faults: drop connections mid-stream, stall without closing, malformed JSON and
 * unknown events, skipped ids (produced but not sent live), pings, serverShutdown,
 * a close at a simulated 24 h (driven by an injectable clock), refused connections,
 * REST that needs a key or fails.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import { systemClock, type Clock, type ClockTimer } from '../../src/resilience/clock.js';

export const TAPE_START_MS = 1_718_035_200_000;
const DAY_MS = 86_400_000;

export interface TapeTrade {
  id: number;
  price: string;
  qty: string;
  time: number;
  isBuyerMaker: boolean;
}

/** The deterministic trade `id` of a symbol. */
export function tapeTrade(symbol: string, id: number): TapeTrade {
  const salt = symbol.length * 31 + symbol.charCodeAt(0);
  const cents = (id * 37 + salt) % 500_000;
  const price = `${100 + Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}000000`;
  const qty = `0.${String(((id * 7919 + salt) % 99_999_999) + 1).padStart(8, '0')}`;
  return { id, price, qty, time: TAPE_START_MS + id, isBuyerMaker: id % 2 === 0 };
}

export function tradeFrame(symbol: string, id: number): string {
  const t = tapeTrade(symbol, id);
  return `{"stream":"${symbol.toLowerCase()}@trade","data":{"e":"trade","E":${t.time + 1},"s":"${symbol}","t":${id},"p":"${t.price}","q":"${t.qty}","T":${t.time},"m":${t.isBuyerMaker},"M":true}}`;
}

export function bookTickerFrame(symbol: string, u: number): string {
  const t = tapeTrade(symbol, u);
  return `{"stream":"${symbol.toLowerCase()}@bookTicker","data":{"u":${u},"s":"${symbol}","b":"${t.price}","B":"${t.qty}","a":"${t.price}","A":"1.00000000"}}`;
}

/** The header of an unmasked, final text frame of `len` (< 65536) bytes, as latin1 text. */
function wsTextFrameHeader(len: number): string {
  return len < 126 ? String.fromCharCode(0x81, len) : String.fromCharCode(0x81, 126, len >> 8, len & 0xff);
}

/** An unmasked, final text frame (RFC 6455 section 5.2), as a server sends it. */
function wsTextFrame(text: string): Buffer[] {
  const payload = Buffer.from(text, 'utf8');
  const len = payload.length;
  let header: Buffer;
  if (len < 126) header = Buffer.from([0x81, len]);
  else if (len < 65536) {
    header = Buffer.alloc(4);
    header[0] = 0x81;
    header[1] = 126;
    header.writeUInt16BE(len, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x81;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(len), 2);
  }
  return [header, payload];
}

interface EmulatedConnection {
  ws: WebSocket;
  streams: Set<string>;
  stalled: boolean;
  openedAt: number;
  ageTimer: ClockTimer;
}

export interface BinanceEmulatorOptions {
  symbols: string[];
  clock?: Clock;
  /** Binance closes every connection at 24 h. */
  maxConnectionAgeMs?: number;
  /** Answer /api/v3/historicalTrades with 401 (as a host that wants an API key would). */
  historicalTradesRequiresKey?: boolean;
}

export class BinanceEmulator {
  readonly wsUrl: string;
  readonly restUrl: string;
  readonly pongs: Buffer[] = [];
  readonly restRequests: string[] = [];
  connectionsOpened = 0;
  /** Host header of every upgrade attempt (shows failover rotation). */
  readonly hostsSeen: string[] = [];
  upgradeAttempts = 0;
  refusedAttempts = 0;
  /** The next n REST requests fail with HTTP 500. */
  restFailures = 0;
  historicalTradesRequiresKey: boolean;
  private refuseRemaining = 0;
  private readonly produced = new Map<string, number>();
  private quoteSeq = 0;
  private readonly conns = new Set<EmulatedConnection>();
  private readonly clock: Clock;

  private constructor(
    private readonly server: Server,
    private readonly wss: WebSocketServer,
    private readonly opts: BinanceEmulatorOptions,
  ) {
    const port = (server.address() as AddressInfo).port;
    this.wsUrl = `ws://127.0.0.1:${port}`;
    this.restUrl = `http://127.0.0.1:${port}`;
    this.clock = opts.clock ?? systemClock;
    this.historicalTradesRequiresKey = opts.historicalTradesRequiresKey ?? false;
    for (const s of opts.symbols) this.produced.set(s, 0);
  }

  static async start(opts: BinanceEmulatorOptions): Promise<BinanceEmulator> {
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    let emulator!: BinanceEmulator;
    const server = createServer((req, res) => emulator.onRest(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => emulator.onUpgrade(req, socket, head));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    emulator = new BinanceEmulator(server, wss, opts);
    return emulator;
  }

  // ---- tape --------------------------------------------------------------

  lastId(symbol: string): number {
    return this.produced.get(symbol) ?? 0;
  }

  /** Produces the next `count` trades of `symbol`; sends them live unless `live` is false (skipped ids). */
  emitTrades(symbol: string, count: number, live = true): void {
    let id = this.lastId(symbol);
    for (let i = 0; i < count; i++) {
      id++;
      if (live) this.broadcast(`${symbol.toLowerCase()}@trade`, tradeFrame(symbol, id));
    }
    this.produced.set(symbol, id);
  }

  /** One round: `count` trades of every symbol, interleaved. */
  emitRound(count: number, live = true): void {
    for (let i = 0; i < count; i++) for (const s of this.opts.symbols) this.emitTrades(s, 1, live);
  }

  emitQuotes(symbol: string, count: number): void {
    for (let i = 0; i < count; i++) this.broadcast(`${symbol.toLowerCase()}@bookTicker`, bookTickerFrame(symbol, ++this.quoteSeq));
  }

  // ---- faults ------------------------------------------------------------

  sendRaw(text: string): void {
    for (const c of this.conns) if (!c.stalled && c.ws.readyState === WebSocket.OPEN) c.ws.send(text);
  }

  sendMalformedJson(): void {
    this.sendRaw('{"stream":"btcusdt@trade","data":{"e":"trade",');
  }

  sendUnknownEvent(): void {
    this.sendRaw(`{"stream":"${this.opts.symbols[0]!.toLowerCase()}@kline_1m","data":{"e":"kline","E":${TAPE_START_MS},"s":"${this.opts.symbols[0]}","k":{}}}`);
  }

  sendServerShutdown(): void {
    this.sendRaw(`{"e":"serverShutdown","E":${this.clock.now()}}`);
  }

  /** Pings every open connection; resolves with the pong payloads that came back. */
  async ping(payload: Buffer): Promise<Buffer[]> {
    const before = this.pongs.length;
    const targets = [...this.conns].filter((c) => c.ws.readyState === WebSocket.OPEN);
    for (const c of targets) c.ws.ping(payload);
    await waitFor(() => this.pongs.length >= before + targets.length, 5_000, 'pongs');
    return this.pongs.slice(before);
  }

  /** Drops every connection abruptly (no close frame). */
  dropAll(): void {
    for (const c of this.conns) c.ws.terminate();
  }

  /** Current connections stop receiving anything but stay open. */
  stallAll(): void {
    for (const c of this.conns) c.stalled = true;
  }

  /** Refuses the next `n` connection attempts with HTTP 503. */
  refuse(n: number): void {
    this.refuseRemaining = n;
  }

  get openConnections(): number {
    return [...this.conns].filter((c) => c.ws.readyState === WebSocket.OPEN).length;
  }

  /**
   * Sends `n` trades of `symbol` as fast as the socket takes them (bench). Frames
   * are ordinary unmasked text frames, written 1000 at a time straight to the TCP
   * socket (ws has no cork API), so the sender is not the bottleneck.
   */
  async replay(symbol: string, fromId: number, n: number): Promise<void> {
    const targets = [...this.conns].filter((c) => c.streams.has(`${symbol.toLowerCase()}@trade`) && c.ws.readyState === WebSocket.OPEN);
    const sockets = targets.map((c) => (c.ws as unknown as { _socket: Socket })._socket);
    const CHUNK = 1000;
    // Trade frames are ASCII: 1000 of them, headers included, are built as one latin1
    // string and encoded once, which keeps the emulator well ahead of the client.
    const ascii = /^[\x20-\x7e]*$/.test(symbol);
    for (let start = 0; start < n; start += CHUNK) {
      const end = Math.min(n, start + CHUNK);
      let chunk: Buffer;
      if (ascii) {
        let text = '';
        for (let i = start; i < end; i++) {
          const frame = tradeFrame(symbol, fromId + i);
          text += wsTextFrameHeader(frame.length) + frame;
        }
        chunk = Buffer.from(text, 'latin1');
      } else {
        const parts: Buffer[] = [];
        for (let i = start; i < end; i++) parts.push(...wsTextFrame(tradeFrame(symbol, fromId + i)));
        chunk = Buffer.concat(parts);
      }
      await Promise.all(
        sockets.map((sock) => (sock.write(chunk) ? Promise.resolve() : new Promise<void>((resolve) => sock.once('drain', () => resolve())))),
      );
    }
    this.produced.set(symbol, Math.max(this.lastId(symbol), fromId + n - 1));
  }

  async close(): Promise<void> {
    for (const c of this.conns) {
      c.ageTimer.cancel();
      c.ws.terminate();
    }
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- servers -----------------------------------------------------------

  private broadcast(stream: string, frame: string): void {
    for (const c of this.conns) {
      if (!c.stalled && c.streams.has(stream) && c.ws.readyState === WebSocket.OPEN) c.ws.send(frame);
    }
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.upgradeAttempts++;
    this.hostsSeen.push(req.headers.host ?? '');
    if (this.refuseRemaining > 0) {
      this.refuseRemaining--;
      this.refusedAttempts++;
      socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/stream') {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const streams = new Set((url.searchParams.get('streams') ?? '').split('/').filter((s) => s.length > 0));
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.connectionsOpened++;
      const maxAge = this.opts.maxConnectionAgeMs ?? DAY_MS;
      const conn: EmulatedConnection = {
        ws,
        streams,
        stalled: false,
        openedAt: this.clock.now(),
        ageTimer: this.clock.setTimeout(() => ws.close(1000, '24h connection limit'), maxAge),
      };
      this.conns.add(conn);
      ws.on('pong', (payload: Buffer) => this.pongs.push(payload));
      ws.on('close', () => {
        conn.ageTimer.cancel();
        this.conns.delete(conn);
      });
      ws.on('error', () => {});
    });
  }

  private onRest(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    this.restRequests.push(`${url.pathname}${url.search}`);
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (this.restFailures > 0) {
      this.restFailures--;
      json(500, { code: -1000, msg: 'An unknown error occurred while processing the request.' });
      return;
    }
    const symbol = url.searchParams.get('symbol') ?? '';
    if (!this.produced.has(symbol)) {
      json(400, { code: -1121, msg: 'Invalid symbol.' });
      return;
    }
    const last = this.lastId(symbol);
    const limit = Math.min(1000, Number(url.searchParams.get('limit') ?? '500'));
    const row = (id: number): Record<string, unknown> => {
      const t = tapeTrade(symbol, id);
      return { id, price: t.price, qty: t.qty, quoteQty: '0', time: t.time, isBuyerMaker: t.isBuyerMaker, isBestMatch: true };
    };
    switch (url.pathname) {
      case '/api/v3/historicalTrades': {
        if (this.historicalTradesRequiresKey) {
          json(401, { code: -2014, msg: 'API-key format invalid.' });
          return;
        }
        const from = Number(url.searchParams.get('fromId') ?? String(Math.max(1, last - limit + 1)));
        const rows = [];
        for (let id = Math.max(1, from); id <= last && rows.length < limit; id++) rows.push(row(id));
        json(200, rows);
        return;
      }
      case '/api/v3/trades': {
        const rows = [];
        for (let id = Math.max(1, last - limit + 1); id <= last; id++) rows.push(row(id));
        json(200, rows);
        return;
      }
      case '/api/v3/aggTrades': {
        const from = Number(url.searchParams.get('fromId') ?? '1');
        const rows = [];
        for (let id = Math.max(1, from); id <= last && rows.length < limit; id++) {
          const t = tapeTrade(symbol, id);
          rows.push({ a: id, p: t.price, q: t.qty, f: id, l: id, T: t.time, m: t.isBuyerMaker, M: true });
        }
        json(200, rows);
        return;
      }
      default:
        json(404, { code: -1, msg: 'not found' });
    }
  }
}

/** Polls `pred` every 5 ms until it holds; rejects with `what` after `timeoutMs`. */
export async function waitFor(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Run as its own process (benches: the emulator must not share the client's
 * core): `node --import tsx test/support/binance-emulator.ts SYMBOL[,SYMBOL...]`
 * under child_process.fork. It sends {wsUrl, restUrl} once listening, then serves
 * IPC commands: {cmd:'replay', symbol, fromId, n} -> {done:'replay'},
 * {cmd:'openConnections'} -> {openConnections}, {cmd:'close'}.
 */
export interface EmulatorCommand {
  cmd: 'replay' | 'openConnections' | 'close';
  symbol?: string;
  fromId?: number;
  n?: number;
}

async function runAsProcess(symbols: string[]): Promise<void> {
  const emu = await BinanceEmulator.start({ symbols });
  const send = (m: unknown): void => void process.send?.(m);
  send({ wsUrl: emu.wsUrl, restUrl: emu.restUrl });
  process.on('message', (m: EmulatorCommand) => {
    if (m.cmd === 'replay') void emu.replay(m.symbol!, m.fromId!, m.n!).then(() => send({ done: 'replay' }));
    else if (m.cmd === 'openConnections') send({ openConnections: emu.openConnections });
    else if (m.cmd === 'close') void emu.close().then(() => process.exit(0));
  });
}

if (process.send !== undefined && process.argv[1] !== undefined && process.argv[1].endsWith('binance-emulator.ts')) {
  void runAsProcess((process.argv[2] ?? 'BTCUSDT').split(','));
}
