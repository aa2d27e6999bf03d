/**
 * `<symbol>@aggTrade` -> TradeV2. An aggregate trade is one taker order filled at
 * one price against one or more makers (trade ids f..l).
 *  - trade_id = BINANCE-AGG-{a} (its own id space, never colliding with BINANCE-{t});
 *  - source_sequence = a, so gaps in aggregate ids can be found and backfilled;
 *  - vendor_data adds first_trade_id and last_trade_id.
 */
import type { TaggedRecord } from '../../../model/record-kind.js';
import type { TradeV2 } from '../../../model/trade.js';
import { positiveScaledField } from '../decimal-field.js';
import { millisText, tradeTimeMicros } from './trade-time.js';
import { BINANCE_EXCHANGE, type BinanceMapper, type MapContext } from '../mapper.js';
import { splitSymbol } from '../quote-assets.js';
import { aggTradeEventSchema, type AggTradeEvent } from '../schemas.js';
import { isDecimalText, isSymbol, isMillis, isUint, validateOrThrow } from './validate.js';

export function isAggTradeEvent(d: Record<string, unknown>): boolean {
  return (
    d.e === 'aggTrade' &&
    isMillis(d.E) &&
    isSymbol(d.s) &&
    isUint(d.a) &&
    isDecimalText(d.p) &&
    isDecimalText(d.q) &&
    isUint(d.f) &&
    isUint(d.l) &&
    isMillis(d.T) &&
    typeof d.m === 'boolean' &&
    (d.M === undefined || typeof d.M === 'boolean')
  );
}

export function aggTradeEventToV2(ev: AggTradeEvent, ctx: MapContext): TradeV2 {
  const { base, quote } = splitSymbol(ev.s);
  const price = positiveScaledField(ev.p, 'p', ev.s);
  const quantity = positiveScaledField(ev.q, 'q', ev.s);
  const isBuyerMaker = ev.m ? 'true' : 'false';
  const sequence = BigInt(ev.a); // prints faster than a heap number

  // one literal per shape (same keys, same order as adding them one by one)
  let vendor: Record<string, string>;
  if (ev.M !== undefined) {
    vendor = {
      base_asset: base,
      quote_asset: quote,
      is_buyer_maker: isBuyerMaker,
      event_type: 'aggTrade',
      event_time: millisText(ev.E),
      trade_time: millisText(ev.T),
      first_trade_id: String(ev.f),
      last_trade_id: String(ev.l),
      is_best_match: ev.M ? 'true' : 'false',
    };
  } else {
    vendor = {
      base_asset: base,
      quote_asset: quote,
      is_buyer_maker: isBuyerMaker,
      event_type: 'aggTrade',
      event_time: millisText(ev.E),
      trade_time: millisText(ev.T),
      first_trade_id: String(ev.f),
      last_trade_id: String(ev.l),
    };
  }
  return {
    message_id: ctx.newMessageId(),
    trade_id: `BINANCE-AGG-${sequence}`,
    symbol: ev.s,
    exchange: BINANCE_EXCHANGE,
    asset_class: 'crypto',
    timestamp: tradeTimeMicros(ev.T),
    price,
    quantity,
    currency: quote,
    side: ev.m ? 'SELL' : 'BUY',
    trade_conditions: [],
    source_sequence: sequence,
    ingestion_timestamp: ctx.ingestionMicros,
    platform_sequence: null,
    vendor_data: vendor,
  };
}

export const aggTradeMapper: BinanceMapper = {
  channel: 'aggTrade',
  map(data: Record<string, unknown>, ctx: MapContext): TaggedRecord {
    const ev = isAggTradeEvent(data) ? (data as unknown as AggTradeEvent) : validateOrThrow(aggTradeEventSchema, data, 'aggTrade');
    return { kind: 'trades', record: aggTradeEventToV2(ev, ctx) };
  },
};
