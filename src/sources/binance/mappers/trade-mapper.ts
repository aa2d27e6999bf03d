/**
 * `<symbol>@trade` -> TradeV2.
 *  - m=true: the buyer is the maker, so the taker sold: SELL; m=false: BUY.
 *  - timestamp = T * 1000 micros; trade_id = BINANCE-{t}; source_sequence = t.
 *
 * Hot path: a hand-written check with the exact predicates of tradeEventSchema
 * accepts well-formed payloads without zod; anything it refuses goes through zod,
 * which either accepts it (never, if the two agree) or explains the rejection.
 */
import type { TaggedRecord } from '../../../model/record-kind.js';
import type { TradeV2 } from '../../../model/trade.js';
import { positiveScaledField } from '../decimal-field.js';
import { millisText, tradeTimeMicros } from './trade-time.js';
import { BINANCE_EXCHANGE, type BinanceMapper, type MapContext } from '../mapper.js';
import { splitSymbol } from '../quote-assets.js';
import { tradeEventSchema, type TradeEvent } from '../schemas.js';
import { isDecimalText, isSymbol, isMillis, isUint, validateOrThrow } from './validate.js';

/** True when tradeEventSchema would accept `d` (kept in lock-step with the schema). */
export function isTradeEvent(d: Record<string, unknown>): boolean {
  return (
    d.e === 'trade' &&
    isMillis(d.E) &&
    isSymbol(d.s) &&
    isUint(d.t) &&
    isDecimalText(d.p) &&
    isDecimalText(d.q) &&
    isMillis(d.T) &&
    typeof d.m === 'boolean' &&
    (d.M === undefined || typeof d.M === 'boolean') &&
    (d.b === undefined || isUint(d.b)) &&
    (d.a === undefined || isUint(d.a))
  );
}

export function tradeEventToV2(ev: TradeEvent, ctx: MapContext): TradeV2 {
  const { base, quote } = splitSymbol(ev.s);
  const price = positiveScaledField(ev.p, 'p', ev.s);
  const quantity = positiveScaledField(ev.q, 'q', ev.s);
  const isBuyerMaker = ev.m ? 'true' : 'false';
  // ids above 2^31 are heap numbers, whose String() is slow here; the bigint prints fast
  const sequence = BigInt(ev.t);
  // One literal per shape (same keys, same order as adding them one by one), so the
  // common frame (M present, no order ids) builds vendor_data in a single allocation.
  let vendor: Record<string, string>;
  if (ev.M !== undefined) {
    vendor = {
      base_asset: base,
      quote_asset: quote,
      is_buyer_maker: isBuyerMaker,
      event_type: 'trade',
      event_time: millisText(ev.E),
      trade_time: millisText(ev.T),
      is_best_match: ev.M ? 'true' : 'false',
    };
  } else {
    vendor = { base_asset: base, quote_asset: quote, is_buyer_maker: isBuyerMaker, event_type: 'trade', event_time: millisText(ev.E), trade_time: millisText(ev.T) };
  }
  if (ev.b !== undefined) vendor.buyer_order_id = String(ev.b);
  if (ev.a !== undefined) vendor.seller_order_id = String(ev.a);
  return {
    message_id: ctx.newMessageId(),
    trade_id: `BINANCE-${sequence}`,
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

export const tradeMapper: BinanceMapper = {
  channel: 'trade',
  map(data: Record<string, unknown>, ctx: MapContext): TaggedRecord {
    const ev = isTradeEvent(data) ? (data as unknown as TradeEvent) : validateOrThrow(tradeEventSchema, data, 'trade');
    return { kind: 'trades', record: tradeEventToV2(ev, ctx) };
  },
};
