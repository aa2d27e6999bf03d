/**
 * Is live Binance reachable? Opens the combined stream for one symbol and waits
 * for the handshake, with a short timeout. Never throws: the answer says why not.
 */
import WebSocket from 'ws';

export const DEFAULT_LIVE_URL = 'wss://stream.binance.com:9443';
export const DEFAULT_LIVE_REST_URL = 'https://data-api.binance.vision';

export type ProbeResult = { reachable: true } | { reachable: false; reason: string };

export function probeWebSocket(url: string, timeoutMs = 3000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    let ws: WebSocket;
    const done = (r: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      resolve(r);
    };
    const timer = setTimeout(() => done({ reachable: false, reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
    try {
      ws = new WebSocket(url, { handshakeTimeout: timeoutMs });
    } catch (err) {
      clearTimeout(timer);
      resolve({ reachable: false, reason: (err as Error).message });
      return;
    }
    ws.on('open', () => done({ reachable: true }));
    ws.on('unexpected-response', (_req, res) => done({ reachable: false, reason: `HTTP ${res.statusCode ?? '?'}` }));
    ws.on('error', (err: NodeJS.ErrnoException) => done({ reachable: false, reason: err.code ?? err.message }));
  });
}

/** Combined-stream URL for the symbols' trade and bookTicker streams. */
export function combinedStreamUrl(base: string, symbols: readonly string[], channels: readonly string[] = ['trade', 'bookTicker']): string {
  const streams = symbols.flatMap((s) => channels.map((c) => `${s.toLowerCase()}@${c}`)).join('/');
  return `${base.replace(/\/+$/, '')}/stream?streams=${streams}`;
}
