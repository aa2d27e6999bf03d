/**
 * `<symbol>@bookTicker` -> QuoteV2 (best bid and ask).
 *  - source_sequence = u (order book update id); quote_id = BINANCE-{u}.
 *  - A side that is absent (field missing or null) or empty (a zero price or a zero
 *    quantity; Binance sends "0.00000000" for an empty book side) is null, never 0.
 *  - Spot bookTicker carries no exchange time: timestamp is the receive time and
 *    vendor_data.timestamp_source says "receive"; when T or E is present it is used.
 */
import { microsFromMillis } from '../../../model/time.js';
import type { Scaled } from '../../../model/decimal.js';
import type { QuoteV2 } from '../../../model/quote.js';
import type { TaggedRecord } from '../../../model/record-kind.js';
import { scaledField } from '../decimal-field.js';
import { millisText } from './trade-time.js';
import { BinanceMessageError } from '../errors.js';
import { BINANCE_EXCHANGE, type BinanceMapper, type MapContext } from '../mapper.js';
import { splitSymbol } from '../quote-assets.js';
import { bookTickerEventSchema, type BookTickerEvent } from '../schemas.js';
import { isDecimalText, isSymbol, isMillis, isUint, validateOrThrow } from './validate.js';

const optDecimal = (v: unknown): boolean => v === undefined || v === null || isDecimalText(v);

export function isBookTickerEvent(d: Record<string, unknown>): boolean {
  return (
    (d.e === undefined || d.e === 'bookTicker') &&
    isUint(d.u) &&
    isSymbol(d.s) &&
    optDecimal(d.b) &&
    optDecimal(d.B) &&
    optDecimal(d.a) &&
    optDecimal(d.A) &&
    (d.E === undefined || isMillis(d.E)) &&
    (d.T === undefined || isMillis(d.T))
  );
}

function side(
  priceText: string | null | undefined,
  qtyText: string | null | undefined,
  priceField: string,
  qtyField: string,
  symbol: string,
): [Scaled | null, Scaled | null] {
  const price = priceText === undefined || priceText === null ? null : scaledField(priceText, priceField, symbol);
  const qty = qtyText === undefined || qtyText === null ? null : scaledField(qtyText, qtyField, symbol);
  if ((price !== null && price < 0n) || (qty !== null && qty < 0n)) {
    throw new BinanceMessageError('invalid_payload', `negative ${priceField}/${qtyField}`, { field: priceField, symbol });
  }
  if (price === null || qty === null || price === 0n || qty === 0n) return [null, null];
  return [price, qty];
}

export function bookTickerEventToV2(ev: BookTickerEvent, ctx: MapContext): QuoteV2 {
  const { base, quote } = splitSymbol(ev.s);
  const [bidPrice, bidQty] = side(ev.b, ev.B, 'b', 'B', ev.s);
  const [askPrice, askQty] = side(ev.a, ev.A, 'a', 'A', ev.s);
  const exchangeMillis = ev.T ?? ev.E;
  const sequence = BigInt(ev.u); // prints faster than a heap number
  const updateId = sequence.toString();
  const vendor: Record<string, string> = {
    base_asset: base,
    quote_asset: quote,
    event_type: 'bookTicker',
    update_id: updateId,
    timestamp_source: exchangeMillis === undefined ? 'receive' : ev.T !== undefined ? 'transaction_time' : 'event_time',
  };
  if (ev.E !== undefined) vendor.event_time = millisText(ev.E);
  if (ev.T !== undefined) vendor.transaction_time = millisText(ev.T);
  return {
    message_id: ctx.newMessageId(),
    quote_id: `BINANCE-${updateId}`,
    symbol: ev.s,
    exchange: BINANCE_EXCHANGE,
    asset_class: 'crypto',
    timestamp: exchangeMillis === undefined ? ctx.ingestionMicros : microsFromMillis(exchangeMillis),
    bid_price: bidPrice,
    bid_quantity: bidQty,
    ask_price: askPrice,
    ask_quantity: askQty,
    currency: quote,
    source_sequence: sequence,
    ingestion_timestamp: ctx.ingestionMicros,
    platform_sequence: null,
    vendor_data: vendor,
  };
}

export const bookTickerMapper: BinanceMapper = {
  channel: 'bookTicker',
  map(data: Record<string, unknown>, ctx: MapContext): TaggedRecord {
    const ev = isBookTickerEvent(data)
      ? (data as unknown as BookTickerEvent)
      : validateOrThrow(bookTickerEventSchema, data, 'bookTicker');
    return { kind: 'quotes', record: bookTickerEventToV2(ev, ctx) };
  },
};
