/**
 * Raw headerless ASX rows to v2 records.
 *
 * Trades `Date,Time,Price,Volume,Qualifiers,Venue,BuyerID` -> TradeV2:
 *   exchange ASX, asset_class equities, currency AUD, quantity = Volume,
 *   trade_conditions = [Qualifiers] ([] when empty), side by SideClassifier,
 *   vendor_data {company_id, qualifiers, venue?, buyer_id?, side_method}.
 * Quotes `Date,Time,Bid,Ask,BidVolume,AskVolume` -> QuoteV2: a price of 0 means
 *   that side is absent, so that side's price AND quantity are null (never 0).
 * Prices must be > 0 and quantities >= 0; everything exact, nothing rounded.
 */
import type { Scaled } from '../../model/decimal.js';
import type { QuoteV2 } from '../../model/quote.js';
import type { Micros, TradeV2 } from '../../model/trade.js';
import { AsxRowError } from './asx-row-error.js';
import { parseDecimalField } from './decimal-field.js';
import { RAW_QUOTE_COLUMNS, RAW_TRADE_COLUMNS } from './file-format.js';
import { CONTENT_HASH_SEED, hashNumber, hashText, idNumberText, IdSpaces, type DayIdSpace } from './record-ids.js';
import type { SideClassifier } from './side-classifier.js';
import { parseTimeOfDayMicros, type LocalDay, type SydneyClock } from './sydney-time.js';

export const ASX_EXCHANGE = 'ASX';
export const ASX_CURRENCY = 'AUD';

/** What is known about the file a row comes from. */
export interface RawFileIdentity {
  companyId: string;
  symbol: string;
}

/**
 * Resolves the row's date, then checks the column count; a wrong column count is
 * reported before a bad date.
 */
export function resolveRowDay(fields: string[], clock: SydneyClock, expected: readonly string[]): LocalDay {
  let day: LocalDay;
  try {
    day = clock.day(fields[0]!);
  } catch (err) {
    checkColumns(fields, expected);
    throw err;
  }
  checkColumns(fields, expected);
  return day;
}

function checkColumns(fields: string[], expected: readonly string[]): void {
  if (fields.length !== expected.length) {
    throw new AsxRowError(`wrong column count: ${fields.length}, expected ${expected.length} (${expected.join(',')})`);
  }
}

export class RawTradeConverter {
  private readonly ids = new IdSpaces();
  private lastDay: LocalDay | null = null;
  private lastSpace: DayIdSpace | null = null;
  private readonly idHead: string;

  constructor(
    private readonly file: RawFileIdentity,
    private readonly clock: SydneyClock,
    private readonly sides: SideClassifier,
  ) {
    this.idHead = `ASX-${file.companyId}-`;
  }

  convert(fields: string[], ingestion: Micros): TradeV2 {
    const day = resolveRowDay(fields, this.clock, RAW_TRADE_COLUMNS);
    const microsOfDay = parseTimeOfDayMicros(fields[1]!);
    const tsNumber = this.clock.toUtcMicrosNumber(day, microsOfDay);
    const price = parseDecimalField(fields[2]!, 'Price');
    if (price <= 0n) throw new AsxRowError(`Price must be positive: ${fields[2]}`, 'Price');
    const quantity = parseDecimalField(fields[3]!, 'Volume');
    if (quantity < 0n) throw new AsxRowError(`Volume must not be negative: ${fields[3]}`, 'Volume');
    const qualifiers = fields[4]!;
    const venue = fields[5]!;
    const buyerId = fields[6]!;
    const side = this.sides.classify(this.file.symbol, day.ymd, day.startUtcMicros, tsNumber, price);
    if (day !== this.lastDay) {
      this.lastDay = day;
      this.lastSpace = this.ids.get(this.idHead + day.ymdText);
    }
    const space = this.lastSpace!;
    // last: a row rejected above takes no number
    const content = hashText(hashText(hashText(hashNumber(hashNumber(CONTENT_HASH_SEED, Number(price)), Number(quantity)), qualifiers), venue), buyerId);
    const n = space.number(microsOfDay, content);
    const vendor: Record<string, string> = { company_id: this.file.companyId };
    if (qualifiers !== '') vendor.qualifiers = qualifiers;
    if (venue !== '') vendor.venue = venue;
    if (buyerId !== '') vendor.buyer_id = buyerId;
    vendor.side_method = side.method;
    return {
      message_id: space.messageId(n),
      trade_id: `${space.idPrefix}-${idNumberText(n)}`,
      symbol: this.file.symbol,
      exchange: ASX_EXCHANGE,
      asset_class: 'equities',
      timestamp: BigInt(tsNumber),
      price,
      quantity,
      currency: ASX_CURRENCY,
      side: side.side,
      trade_conditions: qualifiers === '' ? [] : [qualifiers],
      source_sequence: null,
      ingestion_timestamp: ingestion,
      platform_sequence: null,
      vendor_data: vendor,
    };
  }
}

export class RawQuoteConverter {
  private readonly ids = new IdSpaces();
  private readonly idHead: string;

  constructor(
    private readonly file: RawFileIdentity,
    private readonly clock: SydneyClock,
  ) {
    this.idHead = `ASX-${file.companyId}-`;
  }

  convert(fields: string[], ingestion: Micros): QuoteV2 {
    const day = resolveRowDay(fields, this.clock, RAW_QUOTE_COLUMNS);
    const microsOfDay = parseTimeOfDayMicros(fields[1]!);
    const ts = this.clock.toUtcMicros(day, microsOfDay);
    const bid = bookPrice(fields[2]!, 'Bid');
    const ask = bookPrice(fields[3]!, 'Ask');
    const bidVolume = bookQuantity(fields[4]!, 'BidVolume');
    const askVolume = bookQuantity(fields[5]!, 'AskVolume');
    const bidQty = bid === null ? null : bidVolume;
    const askQty = ask === null ? null : askVolume;
    const space = this.ids.get(`${this.idHead}${day.ymdText}-Q`);
    // last: a row rejected above takes no number
    const content = hashNumber(hashNumber(hashNumber(hashNumber(CONTENT_HASH_SEED, bid === null ? null : Number(bid)), ask === null ? null : Number(ask)), Number(bidVolume)), Number(askVolume));
    const n = space.number(microsOfDay, content);
    return {
      message_id: space.messageId(n),
      quote_id: `${space.idPrefix}${idNumberText(n)}`,
      symbol: this.file.symbol,
      exchange: ASX_EXCHANGE,
      asset_class: 'equities',
      timestamp: ts,
      bid_price: bid,
      bid_quantity: bidQty,
      ask_price: ask,
      ask_quantity: askQty,
      currency: ASX_CURRENCY,
      source_sequence: null,
      ingestion_timestamp: ingestion,
      platform_sequence: null,
      vendor_data: { company_id: this.file.companyId },
    };
  }
}

/** A book price: 0 means the side is absent (null); negative is an error. */
export function bookPrice(text: string, field: string): Scaled | null {
  const v = parseDecimalField(text, field);
  if (v < 0n) throw new AsxRowError(`${field} must not be negative: ${text}`, field);
  return v === 0n ? null : v;
}

function bookQuantity(text: string, field: string): Scaled {
  const v = parseDecimalField(text, field);
  if (v < 0n) throw new AsxRowError(`${field} must not be negative: ${text}`, field);
  return v;
}
