/**
 * Fetches missing trades over REST after a reconnect or a jump in trade ids, and
 * turns them into v2 records marked vendor_data.backfilled = "true".
 *
 * Trade ids (`@trade`): /api/v3/historicalTrades by id; when the REST host does
 * not serve it (data-api.binance.vision, or a host that wants a key) k2 falls back,
 * once and for good, to /api/v3/trades (the latest 1000 trades), which fills
 * recent gaps. Aggregate ids (`@aggTrade`): /api/v3/aggTrades by id.
 * Ids that no endpoint returns are counted as unfilled, never invented.
 */
import type { Micros, TradeV2 } from '../../model/trade.js';
import type { Logger } from '../../log/logger.js';
import { silentLogger } from '../../log/logger.js';
import { BinanceRestError } from './errors.js';
import type { BinanceChannel, MapContext } from './mapper.js';
import { aggTradeEventToV2 } from './mappers/agg-trade-mapper.js';
import { tradeEventToV2 } from './mappers/trade-mapper.js';
import { REST_PAGE_LIMIT, type BinanceRestClient } from './rest-client.js';
import type { RestAggTrade, RestTrade } from './schemas.js';

export type SequencedChannel = Extract<BinanceChannel, 'trade' | 'aggTrade'>;

export interface BackfillRequest {
  channel: SequencedChannel;
  symbol: string;
  /** First missing id. */
  fromId: number;
  /** Last missing id, or null for "up to now" (after a reconnect). */
  toId: number | null;
  /** For open-ended requests: stop before this id (the first live id held back), read at each page. */
  stopBefore?: () => number | null;
}

export interface BackfillResult {
  records: TradeV2[];
  /** Ids known missing that could not be fetched. */
  unfilled: number;
  source: string;
}

export interface TradeBackfillerOptions {
  newMessageId: () => string;
  now: () => Micros;
  /** Upper bound of trades fetched for one gap; beyond it the rest is counted unfilled. */
  maxTradesPerGap?: number;
  logger?: Logger;
}

const NOT_SERVED = new Set([400, 401, 403, 404, 405, 410]);

export class TradeBackfiller {
  private tradeSource: 'historicalTrades' | 'trades' = 'historicalTrades';
  private readonly logger: Logger;
  private readonly maxPerGap: number;

  constructor(private readonly rest: BinanceRestClient, private readonly opts: TradeBackfillerOptions) {
    this.logger = opts.logger ?? silentLogger;
    this.maxPerGap = opts.maxTradesPerGap ?? 200_000;
  }

  get source(): string {
    return this.tradeSource;
  }

  async fill(req: BackfillRequest, signal?: AbortSignal): Promise<BackfillResult> {
    if (req.channel === 'aggTrade') return this.fillPaged(req, signal, 'aggTrades');
    if (this.tradeSource === 'historicalTrades') {
      try {
        return await this.fillPaged(req, signal, 'historicalTrades');
      } catch (err) {
        if (!(err instanceof BinanceRestError && err.status !== null && NOT_SERVED.has(err.status))) throw err;
        this.tradeSource = 'trades';
        this.logger.warn('REST host does not serve /api/v3/historicalTrades; backfilling from /api/v3/trades (latest 1000 trades)', {
          rest: this.rest.baseUrl,
          status: err.status,
        });
      }
    }
    return this.fillFromRecent(req, signal);
  }

  private async fillPaged(req: BackfillRequest, signal: AbortSignal | undefined, source: 'historicalTrades' | 'aggTrades'): Promise<BackfillResult> {
    const records: TradeV2[] = [];
    let next = req.fromId;
    const ctx = this.ctx();
    for (;;) {
      if (signal?.aborted) break;
      const stop = req.toId !== null ? req.toId + 1 : (req.stopBefore?.() ?? null);
      if (stop !== null && next >= stop) break;
      if (records.length >= this.maxPerGap) break;
      const want = Math.min(REST_PAGE_LIMIT, stop === null ? REST_PAGE_LIMIT : stop - next);
      let ids: number[];
      if (source === 'aggTrades') {
        const rows = await this.rest.aggTrades(req.symbol, next, want, signal);
        ids = [];
        for (const row of rows) {
          if (row.a < next || (stop !== null && row.a >= stop)) continue;
          records.push(this.fromAgg(req.symbol, row, ctx));
          ids.push(row.a);
        }
        if (rows.length === 0) break;
      } else {
        const rows = await this.rest.historicalTrades(req.symbol, next, want, signal);
        ids = [];
        for (const row of rows) {
          if (row.id < next || (stop !== null && row.id >= stop)) continue;
          records.push(this.fromTrade(req.symbol, row, ctx, source));
          ids.push(row.id);
        }
        if (rows.length === 0) break;
      }
      if (ids.length === 0) break;
      next = Math.max(...ids) + 1;
      if (req.toId === null && ids.length < want) break; // reached the present
    }
    return finish(records, req, source);
  }

  private async fillFromRecent(req: BackfillRequest, signal?: AbortSignal): Promise<BackfillResult> {
    const rows = await this.rest.recentTrades(req.symbol, REST_PAGE_LIMIT, signal);
    const ctx = this.ctx();
    const stop = req.toId !== null ? req.toId + 1 : (req.stopBefore?.() ?? null);
    const records = rows
      .filter((r) => r.id >= req.fromId && (stop === null || r.id < stop))
      .map((r) => this.fromTrade(req.symbol, r, ctx, 'trades'));
    return finish(records, req, 'trades');
  }

  private ctx(): MapContext {
    return { ingestionMicros: this.opts.now(), newMessageId: this.opts.newMessageId };
  }

  private fromTrade(symbol: string, row: RestTrade, ctx: MapContext, source: string): TradeV2 {
    const rec = tradeEventToV2(
      { e: 'trade', E: row.time, s: symbol, t: row.id, p: row.price, q: row.qty, T: row.time, m: row.isBuyerMaker, M: row.isBestMatch },
      ctx,
    );
    return markBackfilled(rec, source);
  }

  private fromAgg(symbol: string, row: RestAggTrade, ctx: MapContext): TradeV2 {
    const rec = aggTradeEventToV2({ e: 'aggTrade', E: row.T, s: symbol, a: row.a, p: row.p, q: row.q, f: row.f, l: row.l, T: row.T, m: row.m, M: row.M }, ctx);
    return markBackfilled(rec, 'aggTrades');
  }
}

function markBackfilled(rec: TradeV2, source: string): TradeV2 {
  const vendor = rec.vendor_data!;
  delete vendor.event_time; // REST rows have no event time
  vendor.backfilled = 'true';
  vendor.backfill_source = source;
  return rec;
}

function finish(records: TradeV2[], req: BackfillRequest, source: string): BackfillResult {
  records.sort((a, b) => (a.source_sequence! < b.source_sequence! ? -1 : a.source_sequence! > b.source_sequence! ? 1 : 0));
  const unique = records.filter((r, i) => i === 0 || r.source_sequence !== records[i - 1]!.source_sequence);
  const unfilled = req.toId === null ? 0 : Math.max(0, req.toId - req.fromId + 1 - unique.length);
  return { records: unique, unfilled, source };
}
