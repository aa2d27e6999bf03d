/**
 * Header CSVs of the older loader (`sample_asx_trades.csv`, `sample_asx_quotes.csv`):
 *   symbol,exchange_timestamp,price,quantity[,side,sequence_number,trade_id]
 *   symbol,exchange_timestamp,bid_price,ask_price,bid_size,ask_size[,sequence_number]
 * exchange_timestamp is ISO-8601 (UTC when it has no offset), kept to the microsecond.
 * A given side (buy/sell/sell_short) is used as is (side_method "source"); a missing
 * one is inferred like raw trades. A given trade_id is kept; otherwise ids follow
 * the raw scheme (record-ids.ts) with the symbol in place of the company id, the time
 * since the Sydney day's start as microsOfDay, and the price, quantity, side and
 * sequence_number (bid, ask, sizes and sequence_number for quotes) as the content. sequence_number becomes
 * source_sequence.
 */
import type { TradeSide } from '../../model/enums.js';
import { ValidationError } from '../../model/errors.js';
import type { QuoteV2 } from '../../model/quote.js';
import { isoToMicros, inTimestampRange } from '../../model/time.js';
import type { Micros, TradeV2 } from '../../model/trade.js';
import { AsxRowError } from './asx-row-error.js';
import { parseDecimalField } from './decimal-field.js';
import { HEADER_QUOTE_REQUIRED, HEADER_TRADE_REQUIRED } from './file-format.js';
import { ASX_CURRENCY, ASX_EXCHANGE, bookPrice } from './raw-row-converters.js';
import { CONTENT_HASH_SEED, hashNumber, hashText, idNumberText, IdSpaces, uuidV5 } from './record-ids.js';
import type { SideClassifier } from './side-classifier.js';
import { sydneyDayOfUtc, type LocalDay, type SydneyClock } from './sydney-time.js';

type ColumnIndex = Record<string, number>;

function indexColumns(columns: string[], required: readonly string[]): ColumnIndex {
  const idx: ColumnIndex = {};
  columns.forEach((c, i) => {
    idx[c] = i;
  });
  for (const r of required) if (idx[r] === undefined) throw new AsxRowError(`missing column ${r}`, r);
  return idx;
}

const SIDES: Record<string, TradeSide> = {
  buy: 'BUY',
  b: 'BUY',
  sell: 'SELL',
  s: 'SELL',
  sell_short: 'SELL_SHORT',
  short: 'SELL_SHORT',
};

/** Shared handling of the symbol, timestamp and day of a header row. */
class HeaderRowBase {
  protected readonly idx: ColumnIndex;
  protected readonly ids = new IdSpaces();

  constructor(
    protected readonly columns: string[],
    required: readonly string[],
    protected readonly clock: SydneyClock,
    protected readonly companyIdOfSymbol: (symbol: string) => string | null,
  ) {
    this.idx = indexColumns(columns, required);
  }

  protected field(fields: string[], name: string): string {
    const i = this.idx[name];
    return i === undefined ? '' : (fields[i] ?? '').trim();
  }

  protected identity(fields: string[]): { symbol: string; ts: Micros; day: LocalDay; microsOfDay: number } {
    if (fields.length !== this.columns.length) {
      throw new AsxRowError(`wrong column count: ${fields.length}, expected ${this.columns.length} (${this.columns.join(',')})`);
    }
    const symbol = this.field(fields, 'symbol').toUpperCase();
    if (!/^[A-Z0-9.]{1,12}$/.test(symbol)) throw new AsxRowError(`bad symbol ${JSON.stringify(symbol)}`, 'symbol');
    let ts: Micros;
    try {
      ts = isoToMicros(this.field(fields, 'exchange_timestamp'), 'exchange_timestamp');
    } catch (err) {
      if (err instanceof ValidationError) throw new AsxRowError(err.message, 'exchange_timestamp');
      throw err;
    }
    if (!inTimestampRange(ts)) throw new AsxRowError(`exchange_timestamp out of the v2 range (1827-06-13 to 2255-06-05): ${this.field(fields, 'exchange_timestamp')}`, 'exchange_timestamp');
    const day = sydneyDayOfUtc(this.clock, ts);
    return { symbol, ts, day, microsOfDay: Number(ts) - day.startUtcMicros };
  }

  protected sequence(fields: string[]): bigint | null {
    const s = this.field(fields, 'sequence_number');
    if (s === '') return null;
    if (!/^-?\d{1,19}$/.test(s)) throw new AsxRowError(`bad sequence_number ${JSON.stringify(s)}`, 'sequence_number');
    return BigInt(s);
  }

  protected vendor(symbol: string): Record<string, string> {
    const companyId = this.companyIdOfSymbol(symbol);
    return companyId === null ? {} : { company_id: companyId };
  }
}

export class HeaderTradeConverter extends HeaderRowBase {
  constructor(
    columns: string[],
    clock: SydneyClock,
    companyIdOfSymbol: (symbol: string) => string | null,
    private readonly sides: SideClassifier,
  ) {
    super(columns, HEADER_TRADE_REQUIRED, clock, companyIdOfSymbol);
  }

  /** Given trade ids seen in this file, by symbol. */
  private readonly givenIds = new Set<string>();

  convert(fields: string[], ingestion: Micros): TradeV2 {
    const { symbol, ts, day, microsOfDay } = this.identity(fields);
    const price = parseDecimalField(this.field(fields, 'price'), 'price');
    if (price <= 0n) throw new AsxRowError(`price must be positive: ${this.field(fields, 'price')}`, 'price');
    const quantity = parseDecimalField(this.field(fields, 'quantity'), 'quantity');
    if (quantity < 0n) throw new AsxRowError(`quantity must not be negative: ${this.field(fields, 'quantity')}`, 'quantity');
    const sideText = this.field(fields, 'side').toLowerCase();
    const vendor = this.vendor(symbol);
    let side: TradeSide;
    // Always advance the tick state, so inferred sides after a given one stay right.
    const inferred = this.sides.classify(symbol, day.ymd, day.startUtcMicros, Number(ts), price);
    if (sideText === '' || sideText === 'unknown') {
      side = inferred.side;
      vendor.side_method = inferred.method;
    } else {
      const s = SIDES[sideText];
      if (s === undefined) throw new AsxRowError(`bad side ${JSON.stringify(sideText)}: expected buy or sell`, 'side');
      side = s;
      vendor.side_method = 'source';
    }
    const sequence = this.sequence(fields);
    const givenId = this.field(fields, 'trade_id');
    if (givenId !== '') {
      // The tables keep one row per (exchange, symbol, trade_id): a second row with the same id
      // would be dropped as a duplicate downstream, so it is refused here, with its line.
      const key = `${symbol}\u0000${givenId}`;
      if (this.givenIds.has(key)) throw new AsxRowError(`duplicate trade_id ${JSON.stringify(givenId)} for ${symbol}: an earlier row of this file has it`, 'trade_id');
      this.givenIds.add(key);
    }
    let tradeId: string;
    let messageId: string;
    if (givenId !== '') {
      tradeId = givenId;
      messageId = uuidV5(`ASX:trades:${symbol}:${givenId}`);
    } else {
      // last: a row rejected above takes no number
      const space = this.ids.get(`ASX-${symbol}-${day.ymdText}`);
      // the side as given, not as inferred: an inferred side depends on the rows before
      const content = hashText(hashText(hashNumber(hashNumber(CONTENT_HASH_SEED, Number(price)), Number(quantity)), sideText), sequence === null ? '' : sequence.toString());
      const n = space.number(microsOfDay, content);
      tradeId = `${space.idPrefix}-${idNumberText(n)}`;
      messageId = space.messageId(n);
    }
    return {
      message_id: messageId,
      trade_id: tradeId,
      symbol,
      exchange: ASX_EXCHANGE,
      asset_class: 'equities',
      timestamp: ts,
      price,
      quantity,
      currency: ASX_CURRENCY,
      side,
      trade_conditions: [],
      source_sequence: sequence,
      ingestion_timestamp: ingestion,
      platform_sequence: null,
      vendor_data: vendor,
    };
  }
}

export class HeaderQuoteConverter extends HeaderRowBase {
  constructor(columns: string[], clock: SydneyClock, companyIdOfSymbol: (symbol: string) => string | null) {
    super(columns, HEADER_QUOTE_REQUIRED, clock, companyIdOfSymbol);
  }

  convert(fields: string[], ingestion: Micros): QuoteV2 {
    const { symbol, ts, day, microsOfDay } = this.identity(fields);
    const bid = bookPrice(this.field(fields, 'bid_price'), 'bid_price');
    const ask = bookPrice(this.field(fields, 'ask_price'), 'ask_price');
    const bidQty = parseDecimalField(this.field(fields, 'bid_size'), 'bid_size');
    const askQty = parseDecimalField(this.field(fields, 'ask_size'), 'ask_size');
    if (bidQty < 0n || askQty < 0n) throw new AsxRowError('sizes must not be negative', bidQty < 0n ? 'bid_size' : 'ask_size');
    const sequence = this.sequence(fields);
    const space = this.ids.get(`ASX-${symbol}-${day.ymdText}-Q`);
    // last: a row rejected above takes no number
    const prices = hashNumber(hashNumber(CONTENT_HASH_SEED, bid === null ? null : Number(bid)), ask === null ? null : Number(ask));
    const content = hashText(hashNumber(hashNumber(prices, Number(bidQty)), Number(askQty)), sequence === null ? '' : sequence.toString());
    const n = space.number(microsOfDay, content);
    const vendor = this.vendor(symbol);
    return {
      message_id: space.messageId(n),
      quote_id: `${space.idPrefix}${idNumberText(n)}`,
      symbol,
      exchange: ASX_EXCHANGE,
      asset_class: 'equities',
      timestamp: ts,
      bid_price: bid,
      bid_quantity: bid === null ? null : bidQty,
      ask_price: ask,
      ask_quantity: ask === null ? null : askQty,
      currency: ASX_CURRENCY,
      source_sequence: sequence,
      ingestion_timestamp: ingestion,
      platform_sequence: null,
      vendor_data: Object.keys(vendor).length === 0 ? null : vendor,
    };
  }
}
