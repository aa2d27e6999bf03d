/** Deterministic TradeV2 / QuoteV2 batches for the Iceberg tests and bench. */
import type { QuoteV2 } from '../../src/model/quote.js';
import type { TradeV2 } from '../../src/model/trade.js';

const SYMBOLS = ['BHP', 'CBA', 'RIO', 'BTCUSDT', 'ETHUSDT', 'WBC'];
const SIDES = ['BUY', 'SELL', 'SELL_SHORT', 'UNKNOWN'] as const;
/** 2014-03-10T00:00:00Z */
export const BASE_MICROS = 1_394_409_600_000_000n;
export const DAY_MICROS = 86_400_000_000n;

export interface SampleOptions {
  /** first id, so batches do not collide */
  start?: number;
  days?: number;
  exchanges?: string[];
}

export function sampleTrades(n: number, o: SampleOptions = {}): TradeV2[] {
  const start = o.start ?? 0;
  const days = o.days ?? 2;
  const exchanges = o.exchanges ?? ['ASX', 'BINANCE'];
  const out: TradeV2[] = [];
  for (let k = 0; k < n; k++) {
    const i = start + k;
    const exchange = exchanges[i % exchanges.length]!;
    const symbol = SYMBOLS[(i * 7) % SYMBOLS.length]!;
    const day = BigInt(i % days);
    out.push({
      message_id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
      trade_id: `${exchange}-${i}`,
      symbol,
      exchange,
      asset_class: exchange === 'BINANCE' ? 'crypto' : 'equities',
      timestamp: BASE_MICROS + day * DAY_MICROS + BigInt(i) * 1_013n,
      // exact values with all 8 decimals, some past 2^53 units, some negative-free edge values
      price: 4_215_612_345_678n + BigInt(i) * 99_999_999n + (i % 5 === 0 ? 900_000_000_000_000_000n : 0n),
      quantity: BigInt(i % 1000) * 12_345_678n + 1n,
      currency: exchange === 'BINANCE' ? 'USDT' : 'AUD',
      side: SIDES[i % SIDES.length]!,
      trade_conditions: i % 3 === 0 ? [] : i % 3 === 1 ? ['XT'] : ['XT', 'L'],
      source_sequence: i % 4 === 0 ? null : BigInt(i),
      ingestion_timestamp: BASE_MICROS + BigInt(i) * 1_000_000n + 123_456n,
      platform_sequence: i % 2 === 0 ? BigInt(i) * 3n : null,
      vendor_data: i % 2 === 0 ? null : { raw_id: String(i), venue: 'X' },
    });
  }
  return out;
}

export function sampleQuotes(n: number, o: SampleOptions = {}): QuoteV2[] {
  const start = o.start ?? 0;
  const exchanges = o.exchanges ?? ['ASX', 'BINANCE'];
  const out: QuoteV2[] = [];
  for (let k = 0; k < n; k++) {
    const i = start + k;
    const exchange = exchanges[i % exchanges.length]!;
    out.push({
      message_id: `10000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
      quote_id: `${exchange}-Q${i}`,
      symbol: SYMBOLS[i % SYMBOLS.length]!,
      exchange,
      asset_class: 'equities',
      timestamp: BASE_MICROS + BigInt(i) * 7_000_000n,
      bid_price: i % 7 === 0 ? null : 100_000_000n + BigInt(i),
      bid_quantity: i % 7 === 0 ? null : 5n * 100_000_000n,
      ask_price: 100_000_001n + BigInt(i),
      ask_quantity: i % 11 === 0 ? null : 1n,
      currency: 'AUD',
      source_sequence: BigInt(i),
      ingestion_timestamp: BASE_MICROS + BigInt(i) * 7_000_000n + 5n,
      platform_sequence: null,
      vendor_data: null,
    });
  }
  return out;
}
