/**
 * `<symbol>@trade` -> TradeV2.
 *  - m=true: the buyer is the maker, so the taker sold: SELL; m=false: BUY.
 *  - timestamp = T * 1000 micros; trade_id = BINANCE-{t}; source_sequence = t.
 *
 * Hot path: a hand-written check with the exact predicates of tradeEventSchema
 * accepts well-formed payloads without zod; anything it refuses goes through zod,
 * which either accepts it (never, if the two agree) or explains the rejection.
 */
import { microsFromMillis } from '../../../model/time.js';
import type { TaggedRecord } from '../../../model/record-kind.js';
import type { TradeV2 } from '../../../model/trade.js';
import { positiveScaledField } from '../decimal-field.js';
import { BINANCE_EXCHANGE, type BinanceMapper, type MapContext } from '../mapper.js';
import { splitSymbol } from '../quote-assets.js';
import { tradeEventSchema, type TradeEvent } from '../schemas.js';
import { isDecimalText, isSymbol, isUint, validateOrThrow } from './validate.js';

/** True when tradeEventSchema would accept `d` (kept in lock-step with the schema). */
export function isTradeEvent(d: Record<string, unknown>): boolean {
  return (
    d.e === 'trade' &&
    isUint(d.E) &&
    isSymbol(d.s) &&
    isUint(d.t) &&
    isDecimalText(d.p) &&
    isDecimalText(d.q) &&
    isUint(d.T) &&
    typeof d.m === 'boolean' &&
    (d.M === undefined || typeof d.M === 'boolean') &&
    (d.b === undefined || isUint(d.b)) &&
    (d.a === undefined || isUint(d.a))
  );
}

export function tradeEventToV2(ev: TradeEvent, ctx: MapContext): TradeV2 {
  const { base, quote } = splitSymbol(ev.s);
  const vendor: Record<string, string> = {
    base_asset: base,
    quote_asset: quote,
    is_buyer_maker: ev.m ? 'true' : 'false',
    event_type: 'trade',
    event_time: String(ev.E),
    trade_time: String(ev.T),
  };
  if (ev.M !== undefined) vendor.is_best_match = ev.M ? 'true' : 'false';
  if (ev.b !== undefined) vendor.buyer_order_id = String(ev.b);
  if (ev.a !== undefined) vendor.seller_order_id = String(ev.a);
  return {
    message_id: ctx.newMessageId(),
    trade_id: `BINANCE-${ev.t}`,
    symbol: ev.s,
    exchange: BINANCE_EXCHANGE,
    asset_class: 'crypto',
    timestamp: microsFromMillis(ev.T),
    price: positiveScaledField(ev.p, 'p', ev.s),
    quantity: positiveScaledField(ev.q, 'q', ev.s),
    currency: quote,
    side: ev.m ? 'SELL' : 'BUY',
    trade_conditions: [],
    source_sequence: BigInt(ev.t),
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
