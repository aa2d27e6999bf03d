/**
 * The few public Binance REST endpoints k2 needs for gap backfill, validated with
 * zod and rate-limited by request weight. No API key is ever sent.
 *  - GET /api/v3/historicalTrades?symbol&fromId&limit (weight 25): any trade by id.
 *    Needs no key on api.binance.com since 2023, but data-api.binance.vision does
 *    not serve it.
 *  - GET /api/v3/trades?symbol&limit (weight 25): the latest <= 1000 trades; served
 *    everywhere, so it is the fallback for recent gaps.
 *  - GET /api/v3/aggTrades?symbol&fromId&limit (weight 4): aggregate trades by id.
 */
import { sleep, systemClock, type Clock } from '../../resilience/clock.js';
import { TokenBucket } from '../../resilience/rate-limiter.js';
import { BinanceRestError } from './errors.js';
import { describeIssue, restAggTradesSchema, restTradesSchema, type RestAggTrade, type RestTrade } from './schemas.js';

export const REST_PAGE_LIMIT = 1000;

export interface BinanceRestOptions {
  baseUrl: string;
  /** Request weight per minute k2 allows itself (Binance's IP limit is 6000). */
  weightPerMinute?: number;
  timeoutMs?: number;
  /** Retries of one request on 429/418/5xx/network errors. */
  retries?: number;
  clock?: Clock;
  fetch?: typeof fetch;
}

export class BinanceRestClient {
  private readonly limiter: TokenBucket;
  private readonly clock: Clock;
  private readonly fetchFn: typeof fetch;
  readonly baseUrl: string;

  constructor(private readonly opts: BinanceRestOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.clock = opts.clock ?? systemClock;
    const perMinute = opts.weightPerMinute ?? 1200;
    this.limiter = new TokenBucket({ perSecond: perMinute / 60, burst: Math.max(100, perMinute / 6) }, this.clock);
    this.fetchFn = opts.fetch ?? fetch;
  }

  historicalTrades(symbol: string, fromId: number, limit = REST_PAGE_LIMIT, signal?: AbortSignal): Promise<RestTrade[]> {
    return this.get('/api/v3/historicalTrades', { symbol, fromId: String(fromId), limit: String(limit) }, 25, signal).then((body) =>
      parseBody(restTradesSchema, body, '/api/v3/historicalTrades'),
    );
  }

  recentTrades(symbol: string, limit = REST_PAGE_LIMIT, signal?: AbortSignal): Promise<RestTrade[]> {
    return this.get('/api/v3/trades', { symbol, limit: String(limit) }, 25, signal).then((body) =>
      parseBody(restTradesSchema, body, '/api/v3/trades'),
    );
  }

  aggTrades(symbol: string, fromId: number, limit = REST_PAGE_LIMIT, signal?: AbortSignal): Promise<RestAggTrade[]> {
    return this.get('/api/v3/aggTrades', { symbol, fromId: String(fromId), limit: String(limit) }, 4, signal).then((body) =>
      parseBody(restAggTradesSchema, body, '/api/v3/aggTrades'),
    );
  }

  private async get(path: string, query: Record<string, string>, weight: number, signal?: AbortSignal): Promise<unknown> {
    const url = `${this.baseUrl}${path}?${new URLSearchParams(query).toString()}`;
    const retries = this.opts.retries ?? 3;
    let lastError: BinanceRestError | null = null;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (signal?.aborted) break;
      await this.limiter.acquire(weight, signal);
      let res: Response;
      try {
        const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? 10_000);
        res = await this.fetchFn(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout, headers: { accept: 'application/json' } });
      } catch (err) {
        lastError = new BinanceRestError(`GET ${path} failed: ${(err as Error).message}`, null, { path }, { cause: err });
        await sleep(this.clock, 250 * 2 ** attempt, signal);
        continue;
      }
      const text = await res.text();
      if (res.ok) {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          throw new BinanceRestError(`GET ${path}: body is not JSON`, res.status, { path });
        }
      }
      lastError = new BinanceRestError(`GET ${path}: HTTP ${res.status} ${text.slice(0, 200)}`, res.status, { path });
      if (res.status === 429 || res.status === 418) {
        // Binance: back off for Retry-After seconds; keep the bucket empty meanwhile.
        this.limiter.drain();
        const after = Number(res.headers.get('retry-after') ?? '1');
        await sleep(this.clock, Math.min(60, Number.isFinite(after) ? after : 1) * 1000, signal);
        continue;
      }
      if (res.status >= 500) {
        await sleep(this.clock, 250 * 2 ** attempt, signal);
        continue;
      }
      throw lastError; // other 4xx: not retryable (e.g. endpoint not served, key required)
    }
    throw lastError ?? new BinanceRestError(`GET ${path} aborted`, null, { path });
  }
}

function parseBody<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: import('zod').ZodError } }, body: unknown, path: string): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const { field, message } = describeIssue(r.error);
  throw new BinanceRestError(`GET ${path}: unexpected body at ${field}: ${message}`, 200, { path, field });
}
