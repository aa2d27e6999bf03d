/**
 * The endless timeline a replay server serves from one sample session: loop k
 * plays the session again shifted by k * duration, with trade ids and book update
 * ids shifted by k * (ids per loop), so ids keep increasing across loops exactly
 * as a live feed's do. Event and trade times become absolute: origin + offset.
 */
import { multiplyToString, parseScaled } from '../../model/decimal.js';
import { isTradeData, type BinanceBookTickerData, type BinanceTradeData, type CombinedFrame } from '../sample/binance-frames.js';
import type { SampleSession } from '../sample/session-file.js';

interface SymbolIds {
  firstTradeId: number;
  tradeSpan: number;
  firstUpdateId: number;
  updateSpan: number;
  /** The session's trades of this symbol in id order. */
  trades: BinanceTradeData[];
  /** Aggregate trades (same order: same T, side and price), in order. */
  aggs: AggregateTrade[];
}

export interface AggregateTrade {
  firstIndex: number;
  lastIndex: number;
}

/** One historical trade, as Binance's /api/v3/historicalTrades returns it. */
export interface HistoricalTrade {
  id: number;
  price: string;
  qty: string;
  quoteQty: string;
  time: number;
  isBuyerMaker: boolean;
  isBestMatch: boolean;
}

/** One aggregate trade, as /api/v3/aggTrades returns it. */
export interface AggTradeRow {
  a: number;
  p: string;
  q: string;
  f: number;
  l: number;
  T: number;
  m: boolean;
  M: boolean;
}

export class ReplayTimeline {
  readonly durationMs: number;
  private readonly ids = new Map<string, SymbolIds>();

  constructor(
    readonly session: SampleSession,
    /** Epoch ms that session offset 0 of loop 0 maps to. */
    readonly originMs: number,
  ) {
    this.durationMs = session.header.duration_ms;
    for (const e of session.events) {
      const d = e.frame.data;
      const ids = this.symbolIds(d.s);
      if (isTradeData(d)) ids.trades.push(d);
      else {
        if (ids.firstUpdateId < 0) ids.firstUpdateId = d.u;
        ids.updateSpan = d.u - ids.firstUpdateId + 1;
      }
    }
    for (const ids of this.ids.values()) {
      ids.trades.sort((a, b) => a.t - b.t);
      if (ids.trades.length > 0) {
        ids.firstTradeId = ids.trades[0]!.t;
        ids.tradeSpan = ids.trades[ids.trades.length - 1]!.t - ids.firstTradeId + 1;
      }
      ids.aggs = aggregate(ids.trades);
    }
  }

  get symbols(): string[] {
    return [...this.ids.keys()];
  }

  hasSymbol(symbol: string): boolean {
    return this.ids.has(symbol);
  }

  /** The frame of session event `index` in loop `loop`, with absolute times and shifted ids. */
  frameAt(index: number, loop: number): CombinedFrame {
    const e = this.session.events[index]!;
    const d = e.frame.data;
    const ids = this.ids.get(d.s)!;
    const shift = this.originMs + loop * this.durationMs;
    if (isTradeData(d)) {
      const data: BinanceTradeData = { ...d, E: d.E + shift, T: d.T + shift, t: d.t + loop * ids.tradeSpan };
      return { stream: e.frame.stream, data };
    }
    const data: BinanceBookTickerData = { ...(d as BinanceBookTickerData), u: (d as BinanceBookTickerData).u + loop * ids.updateSpan };
    return { stream: e.frame.stream, data };
  }

  /** Session-relative time (ms since origin) at which event `index` of `loop` is due. */
  dueAt(index: number, loop: number): number {
    return loop * this.durationMs + this.session.events[index]!.at;
  }

  /**
   * Trades of `symbol` from trade id `fromId` on, at most `limit`, only those
   * already due by `elapsedMs` (a replay cannot know the future either).
   */
  historicalTrades(symbol: string, fromId: number | null, limit: number, elapsedMs: number): HistoricalTrade[] {
    const ids = this.ids.get(symbol);
    if (ids === undefined || ids.trades.length === 0) return [];
    const lastDue = this.lastDueTradeId(ids, elapsedMs);
    if (lastDue === null) return [];
    const start = fromId === null ? Math.max(ids.firstTradeId, lastDue - limit + 1) : Math.max(fromId, ids.firstTradeId);
    const out: HistoricalTrade[] = [];
    for (let id = start; id <= lastDue && out.length < limit; id++) {
      const { trade, loop } = this.tradeById(ids, id);
      out.push({
        id,
        price: trade.p,
        qty: trade.q,
        quoteQty: multiplyToString(parseScaled(trade.p), parseScaled(trade.q)),
        time: trade.T + this.originMs + loop * this.durationMs,
        isBuyerMaker: trade.m,
        isBestMatch: trade.M,
      });
    }
    return out;
  }

  /** Aggregate trades from aggregate id `fromId` on (ids: loop * aggsPerLoop + index + 1). */
  aggTrades(symbol: string, fromId: number | null, limit: number, elapsedMs: number): AggTradeRow[] {
    const ids = this.ids.get(symbol);
    if (ids === undefined || ids.aggs.length === 0) return [];
    const perLoop = ids.aggs.length;
    const lastDueTrade = this.lastDueTradeId(ids, elapsedMs);
    if (lastDueTrade === null) return [];
    const out: AggTradeRow[] = [];
    let aggId = fromId ?? 1;
    if (fromId === null) {
      // most recent `limit` aggregates
      const dueLoop = Math.floor((lastDueTrade - ids.firstTradeId) / ids.tradeSpan);
      const dueIndex = (lastDueTrade - ids.firstTradeId) % ids.tradeSpan;
      const aggIndex = ids.aggs.findIndex((a) => a.lastIndex >= dueIndex);
      aggId = Math.max(1, dueLoop * perLoop + aggIndex + 1 - limit + 1);
    }
    for (; out.length < limit; aggId++) {
      const loop = Math.floor((aggId - 1) / perLoop);
      const agg = ids.aggs[(aggId - 1) % perLoop]!;
      const lastTradeId = ids.firstTradeId + loop * ids.tradeSpan + agg.lastIndex;
      if (lastTradeId > lastDueTrade) break;
      const first = ids.trades[agg.firstIndex]!;
      let qty = 0n;
      for (let i = agg.firstIndex; i <= agg.lastIndex; i++) qty += parseScaled(ids.trades[i]!.q);
      out.push({
        a: aggId,
        p: first.p,
        q: formatQty(qty, first.q),
        f: first.t + loop * ids.tradeSpan,
        l: lastTradeId,
        T: first.T + this.originMs + loop * this.durationMs,
        m: first.m,
        M: first.M,
      });
    }
    return out;
  }

  private lastDueTradeId(ids: SymbolIds, elapsedMs: number): number | null {
    if (elapsedMs < 0) return null;
    const loop = Math.floor(elapsedMs / this.durationMs);
    const within = elapsedMs - loop * this.durationMs;
    // trades are in id order and their send times (E) are non-decreasing with the id
    let lo = 0;
    let hi = ids.trades.length; // first index with E > within
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ids.trades[mid]!.E <= within) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return loop === 0 ? null : ids.firstTradeId + loop * ids.tradeSpan - 1;
    return ids.trades[lo - 1]!.t + loop * ids.tradeSpan;
  }

  private tradeById(ids: SymbolIds, id: number): { trade: BinanceTradeData; loop: number } {
    const rel = id - ids.firstTradeId;
    const loop = Math.floor(rel / ids.tradeSpan);
    return { trade: ids.trades[rel - loop * ids.tradeSpan]!, loop };
  }

  private symbolIds(symbol: string): SymbolIds {
    let ids = this.ids.get(symbol);
    if (ids === undefined) {
      ids = { firstTradeId: 0, tradeSpan: 1, firstUpdateId: -1, updateSpan: 1, trades: [], aggs: [] };
      this.ids.set(symbol, ids);
    }
    return ids;
  }
}

function aggregate(trades: BinanceTradeData[]): AggregateTrade[] {
  const out: AggregateTrade[] = [];
  for (let i = 0; i < trades.length; i++) {
    const t = trades[i]!;
    const last = out[out.length - 1];
    const prev = last === undefined ? undefined : trades[last.lastIndex]!;
    if (last !== undefined && prev !== undefined && prev.T === t.T && prev.m === t.m && prev.p === t.p) last.lastIndex = i;
    else out.push({ firstIndex: i, lastIndex: i });
  }
  return out;
}

/** Formats a summed quantity with the same number of decimals Binance uses (8). */
function formatQty(unscaled: bigint, like: string): string {
  const decimals = like.includes('.') ? like.length - like.indexOf('.') - 1 : 0;
  const int = unscaled / 100_000_000n;
  const frac = (unscaled % 100_000_000n).toString().padStart(8, '0').slice(0, decimals);
  return decimals > 0 ? `${int}.${frac}` : `${int}`;
}
