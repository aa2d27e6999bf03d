/** Builders of valid v2 records for tests. */
import { randomUUID } from 'node:crypto';
import { parseScaled } from '../../src/model/decimal.js';
import type { QuoteV2 } from '../../src/model/quote.js';
import type { TradeV2 } from '../../src/model/trade.js';

export function trade(overrides: Partial<Omit<TradeV2, 'price' | 'quantity'>> & { id: number; price?: string; qty?: string; ts?: bigint }): TradeV2 {
  const { id, price = '100.5', qty = '0.25', ts = 1_700_000_000_000_000n + BigInt(id) * 1000n, ...rest } = overrides;
  const symbol = overrides.symbol ?? 'BTCUSDT';
  return {
    message_id: randomUUID(),
    trade_id: `BINANCE-${id}`,
    symbol,
    exchange: 'BINANCE',
    asset_class: 'crypto',
    timestamp: ts,
    price: parseScaled(price),
    quantity: parseScaled(qty),
    currency: 'USDT',
    side: id % 2 === 0 ? 'BUY' : 'SELL',
    trade_conditions: [],
    source_sequence: BigInt(id),
    ingestion_timestamp: ts + 500n,
    platform_sequence: null,
    vendor_data: { is_buyer_maker: id % 2 === 0 ? 'false' : 'true' },
    ...rest,
  };
}

export function quote(id: number, symbol = 'BTCUSDT'): QuoteV2 {
  const ts = 1_700_000_000_000_000n + BigInt(id) * 1000n;
  return {
    message_id: randomUUID(),
    quote_id: `BINANCE-${id}`,
    symbol,
    exchange: 'BINANCE',
    asset_class: 'crypto',
    timestamp: ts,
    bid_price: parseScaled('100.1'),
    bid_quantity: parseScaled('1.5'),
    ask_price: id % 5 === 0 ? null : parseScaled('100.2'),
    ask_quantity: id % 5 === 0 ? null : parseScaled('2'),
    currency: 'USDT',
    source_sequence: BigInt(id),
    ingestion_timestamp: ts + 500n,
    platform_sequence: null,
    vendor_data: null,
  };
}
