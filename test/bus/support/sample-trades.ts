/** Deterministic v2 trades for bus tests. */
import { randomUUID } from 'node:crypto';
import type { TradeV2 } from '../../../src/model/trade.js';

export function sampleTrades(n: number, symbols = ['BHP', 'CBA', 'RIO', 'WES', 'NAB']): TradeV2[] {
  return Array.from({ length: n }, (_, i) => ({
    message_id: randomUUID(),
    trade_id: `ASX-${i}`,
    symbol: symbols[i % symbols.length]!,
    exchange: 'asx',
    asset_class: 'equities',
    timestamp: 1_394_400_000_000_000n + BigInt(i) * 1000n,
    price: 3_612_345_678n + BigInt(i), // 36.12345678 + i e-8
    quantity: 123_456_789_012_345n, // 1234567.89012345
    currency: 'AUD',
    side: i % 2 === 0 ? 'BUY' : 'SELL',
    trade_conditions: i % 3 === 0 ? ['XT'] : [],
    source_sequence: BigInt(i),
    ingestion_timestamp: 1_700_000_000_000_000n + BigInt(i),
    platform_sequence: null,
    vendor_data: i % 4 === 0 ? { board: 'main' } : null,
  }));
}
