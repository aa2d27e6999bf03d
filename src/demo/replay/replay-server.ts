/**
 * A local stand-in for Binance, serving a recorded (here: synthetic sample)
 * session in real time:
 *
 * - WebSocket on the combined-stream path `/stream?streams=a@trade/b@bookTicker`,
 *   each client receiving only its streams, event times rewritten to now, looping
 *   forever with ids that keep increasing; pings every 20 s like Binance;
 * - REST `/api/v3/historicalTrades`, `/api/v3/trades`, `/api/v3/aggTrades`,
 *   `/api/v3/ping`, `/api/v3/time`, so gap backfill works against it. REST only
 *   returns trades already sent: the replay has no future either.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { isTradeData } from '../sample/binance-frames.js';
import type { SampleSession } from '../sample/session-file.js';
import { ReplayTimeline } from './replay-timeline.js';

export interface ReplayServerOptions {
  session: SampleSession;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Session milliseconds per wall-clock millisecond; 1 is real time. */
  speed?: number;
  /** Wall clock in epoch ms; injectable for tests. */
  clock?: () => number;
  /**
   * Epoch ms at which loop 0 of the session starts. The replay is one endless
   * timeline anchored there, so the trade ids served at a given moment are always
   * the same and grow with time: a second demo run on the same data dir gets new
   * ids instead of repeating (and having deduplicated) the first run's.
   * Default REPLAY_ANCHOR_MS; tests pass the clock's start to begin at offset 0.
   */
  anchorMs?: number;
  /** How often due frames are sent. */
  tickMs?: number;
  pingIntervalMs?: number;
  /**
   * Fault injection for tests: trades for which this returns true are not sent
   * over the WebSocket (REST still has them), as if the connection had lost them.
   */
  withholdTrade?: (symbol: string, tradeId: number) => boolean;
}

export interface ReplayStats {
  clients: number;
  framesSent: number;
  tradesSent: number;
  loops: number;
  restRequests: number;
}

export interface ReplayServer {
  /** Base WebSocket URL, e.g. ws://127.0.0.1:40123 (append /stream?streams=...). */
  readonly wsUrl: string;
  /** Base REST URL, e.g. http://127.0.0.1:40123 */
  readonly restUrl: string;
  readonly port: number;
  readonly symbols: string[];
  stats(): ReplayStats;
  /** Combined-stream URL for the given symbols and channels. */
  streamUrl(symbols: string[], channels?: ('trade' | 'bookTicker')[]): string;
  close(): Promise<void>;
}

/** 2025-01-01T00:00:00Z: where the replay's endless timeline starts. */
export const REPLAY_ANCHOR_MS = Date.UTC(2025, 0, 1);
const MAX_REST_LIMIT = 1000;
const DEFAULT_REST_LIMIT = 500;

export async function startReplayServer(opts: ReplayServerOptions): Promise<ReplayServer> {
  const clock = opts.clock ?? Date.now;
  const speed = opts.speed ?? 1;
  const started = clock();
  const anchor = Math.min(opts.anchorMs ?? REPLAY_ANCHOR_MS, started);
  const timeline = new ReplayTimeline(opts.session, anchor);
  /** Session time since the anchor: real time before the server started, `speed` times real time after. */
  const elapsed = (): number => started - anchor + Math.floor((clock() - started) * speed);
  const clients = new Map<WebSocket, Set<string>>();
  const stats: ReplayStats = { clients: 0, framesSent: 0, tradesSent: 0, loops: 0, restRequests: 0 };
  const sockets = new Set<Socket>();
  const eventCount = opts.session.events.length;
  // Start where the endless timeline is now.
  const startAt = elapsed();
  let loop = Math.floor(startAt / timeline.durationMs);
  let index = 0;
  while (index < eventCount && timeline.dueAt(index, loop) < startAt) index++;
  if (index === eventCount) {
    index = 0;
    loop++;
  }
  const firstLoop = loop;

  const http: Server = createServer((req, res) => {
    stats.restRequests++;
    handleRest(req, res, timeline, elapsed());
  });
  http.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const wss = new WebSocketServer({ noServer: true });
  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://replay');
    const streams = (url.searchParams.get('streams') ?? '').split('/').filter((s) => s.length > 0);
    if (url.pathname !== '/stream' || streams.length === 0) {
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n\r\nexpected /stream?streams=<symbol>@trade/...\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.set(ws, new Set(streams));
      stats.clients = clients.size;
      ws.on('message', (raw) => answerControlMessage(ws, clients, String(raw)));
      ws.on('close', () => {
        clients.delete(ws);
        stats.clients = clients.size;
      });
      ws.on('error', () => ws.terminate());
    });
  });

  const pump = (): void => {
    const now = elapsed();
    while (eventCount > 0 && timeline.dueAt(index, loop) <= now) {
      const frame = timeline.frameAt(index, loop);
      const withheld = opts.withholdTrade !== undefined && isTradeData(frame.data) && opts.withholdTrade(frame.data.s, frame.data.t);
      let text: string | null = null;
      for (const [ws, streams] of withheld ? [] : clients) {
        if (!streams.has(frame.stream) || ws.readyState !== ws.OPEN) continue;
        text ??= JSON.stringify(frame);
        ws.send(text);
      }
      stats.framesSent++;
      if (isTradeData(frame.data)) stats.tradesSent++;
      index++;
      if (index === eventCount) {
        index = 0;
        loop++;
        stats.loops = loop - firstLoop;
      }
    }
  };
  const timer = setInterval(pump, opts.tickMs ?? 20);
  const pinger = setInterval(() => {
    for (const ws of clients.keys()) if (ws.readyState === ws.OPEN) ws.ping(String(clock()));
  }, opts.pingIntervalMs ?? 20_000);

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  const host = opts.host ?? '127.0.0.1';
  const wsUrl = `ws://${host}:${port}`;
  return {
    wsUrl,
    restUrl: `http://${host}:${port}`,
    port,
    symbols: timeline.symbols,
    stats: () => ({ ...stats }),
    streamUrl: (symbols, channels = ['trade', 'bookTicker']) =>
      `${wsUrl}/stream?streams=${symbols.flatMap((s) => channels.map((c) => `${s.toLowerCase()}@${c}`)).join('/')}`,
    close: async () => {
      clearInterval(timer);
      clearInterval(pinger);
      for (const ws of clients.keys()) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}

/** Binance's combined stream accepts SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS requests. */
function answerControlMessage(ws: WebSocket, clients: Map<WebSocket, Set<string>>, text: string): void {
  let msg: { method?: unknown; params?: unknown; id?: unknown };
  try {
    msg = JSON.parse(text) as typeof msg;
  } catch {
    ws.send(JSON.stringify({ error: { code: 2, msg: 'Invalid JSON' } }));
    return;
  }
  const streams = clients.get(ws);
  if (streams === undefined) return;
  const params = Array.isArray(msg.params) ? msg.params.filter((p): p is string => typeof p === 'string') : [];
  if (msg.method === 'SUBSCRIBE') params.forEach((p) => streams.add(p));
  else if (msg.method === 'UNSUBSCRIBE') params.forEach((p) => streams.delete(p));
  else if (msg.method === 'LIST_SUBSCRIPTIONS') {
    ws.send(JSON.stringify({ result: [...streams], id: msg.id ?? null }));
    return;
  } else {
    ws.send(JSON.stringify({ error: { code: 1, msg: 'Unknown method' }, id: msg.id ?? null }));
    return;
  }
  ws.send(JSON.stringify({ result: null, id: msg.id ?? null }));
}

function handleRest(req: IncomingMessage, res: ServerResponse, timeline: ReplayTimeline, elapsedMs: number): void {
  const url = new URL(req.url ?? '/', 'http://replay');
  const send = (status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.method !== 'GET') return send(405, { code: -1000, msg: 'Only GET is supported.' });
  switch (url.pathname) {
    case '/api/v3/ping':
      return send(200, {});
    case '/api/v3/time':
      return send(200, { serverTime: timeline.originMs + elapsedMs });
    case '/api/v3/trades':
    case '/api/v3/historicalTrades':
    case '/api/v3/aggTrades': {
      const symbol = url.searchParams.get('symbol');
      if (symbol === null || symbol === '') return send(400, { code: -1102, msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed." });
      if (!timeline.hasSymbol(symbol)) return send(400, { code: -1121, msg: 'Invalid symbol.' });
      const limit = parseIntParam(url.searchParams.get('limit')) ?? DEFAULT_REST_LIMIT;
      const fromId = url.pathname === '/api/v3/trades' ? null : parseIntParam(url.searchParams.get('fromId'));
      if (limit < 1 || limit > MAX_REST_LIMIT) return send(400, { code: -1100, msg: "Illegal characters found in parameter 'limit'; legal range is '1' to '1000'." });
      if (Number.isNaN(fromId)) return send(400, { code: -1100, msg: "Illegal characters found in parameter 'fromId'." });
      const rows =
        url.pathname === '/api/v3/aggTrades'
          ? timeline.aggTrades(symbol, fromId, limit, elapsedMs)
          : timeline.historicalTrades(symbol, fromId, limit, elapsedMs);
      return send(200, rows);
    }
    default:
      return send(404, { code: -1, msg: `not found: ${url.pathname}` });
  }
}

function parseIntParam(value: string | null): number | null {
  if (value === null || value === '') return null;
  return /^\d+$/.test(value) ? Number(value) : Number.NaN;
}
