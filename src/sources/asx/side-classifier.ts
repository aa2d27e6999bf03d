/**
 * Aggressor side of ASX trades, which the raw files do not carry.
 *
 * Lee-Ready (1991): a trade above the prevailing midquote is a BUY, below a SELL;
 * at the mid, the tick test decides. Without a usable prevailing quote the tick test
 * decides alone. Tick test: above the previous trade price -> BUY (uptick), below ->
 * SELL (downtick), equal -> the direction of the last price change (zero-uptick BUY,
 * zero-downtick SELL); with no earlier price change that day -> UNKNOWN.
 * Tick state is per symbol and per local trading day, in file (time) order.
 *
 * The method is recorded in vendor_data.side_method:
 *  - "lee_ready":      quote rule (price above/below the prevailing mid)
 *  - "lee_ready_tick": at the mid, decided by the tick test
 *  - "tick_test":      no usable prevailing quote, decided by the tick test
 *  - "unknown":        neither could decide (side UNKNOWN)
 */
import type { Scaled } from '../../model/decimal.js';
import type { TradeSide } from '../../model/enums.js';
import type { QuoteMidIndex } from './quote-mid-index.js';

export const SIDE_METHODS = ['lee_ready', 'lee_ready_tick', 'tick_test', 'unknown'] as const;
export type SideMethod = (typeof SIDE_METHODS)[number];

export interface SideResult {
  readonly side: TradeSide;
  readonly method: SideMethod;
}

const r = (side: TradeSide, method: SideMethod): SideResult => Object.freeze({ side, method });
const QUOTE_BUY = r('BUY', 'lee_ready');
const QUOTE_SELL = r('SELL', 'lee_ready');
const MID_TICK_BUY = r('BUY', 'lee_ready_tick');
const MID_TICK_SELL = r('SELL', 'lee_ready_tick');
const TICK_BUY = r('BUY', 'tick_test');
const TICK_SELL = r('SELL', 'tick_test');
const UNKNOWN = r('UNKNOWN', 'unknown');

interface TickState {
  day: number;
  lastPrice: Scaled | null;
  /** +1 after an uptick, -1 after a downtick, 0 before any price change. */
  direction: number;
}

export class SideClassifier {
  private readonly ticks = new Map<string, TickState>();

  constructor(private readonly quotes: QuoteMidIndex | null) {}

  /**
   * Classifies one trade and advances the symbol's tick state. Call in file order.
   * `tsMicros` and `dayStartMicros` are UTC micros (numbers, exact); `day` is yyyymmdd.
   */
  classify(symbol: string, day: number, dayStartMicros: number, tsMicros: number, price: Scaled): SideResult {
    let t = this.ticks.get(symbol);
    if (t === undefined) {
      t = { day, lastPrice: null, direction: 0 };
      this.ticks.set(symbol, t);
    } else if (t.day !== day) {
      t.day = day;
      t.lastPrice = null;
      t.direction = 0;
    }
    let tick = 0;
    if (t.lastPrice !== null) {
      if (price > t.lastPrice) tick = 1;
      else if (price < t.lastPrice) tick = -1;
      else tick = t.direction;
      if (price !== t.lastPrice) t.direction = tick;
    }
    t.lastPrice = price;

    const mid2 = this.quotes === null ? null : this.quotes.prevailingMid2(symbol, tsMicros, dayStartMicros);
    if (mid2 !== null) {
      const p2 = price * 2n;
      if (p2 > mid2) return QUOTE_BUY;
      if (p2 < mid2) return QUOTE_SELL;
      return tick > 0 ? MID_TICK_BUY : tick < 0 ? MID_TICK_SELL : UNKNOWN;
    }
    return tick > 0 ? TICK_BUY : tick < 0 ? TICK_SELL : UNKNOWN;
  }
}
