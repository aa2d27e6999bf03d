/** The demo's market view: exact VWAP, change, msg/s, tape bound, sparkline. */
import { describe, expect, it } from 'vitest';
import { parseScaled } from '../../src/model/decimal.js';
import { MarketView, TAPE_SIZE, divideRounded } from '../../src/demo/model/market-view.js';
import { sparkline } from '../../src/demo/model/sparkline.js';
import { formatChange, formatDecimal, formatRounded } from '../../src/demo/format.js';
import type { DemoEvent } from '../../src/demo/types.js';

const S = 1_000_000n; // micros per second
function trade(symbol: string, id: number, price: string, qty: string, atSec: number, side: 'BUY' | 'SELL' = 'BUY'): DemoEvent {
  const at = BigInt(atSec) * S;
  return {
    kind: 'trade',
    trade: { symbol, tradeId: BigInt(id), side, price: parseScaled(price), quantity: parseScaled(qty), tradeTime: at, receivedAt: at, backfilled: false },
  };
}

describe('MarketView', () => {
  it('computes the 1-minute VWAP exactly over the trades of the last minute only', () => {
    const v = new MarketView(['BTCUSDT']);
    v.ingest(trade('BTCUSDT', 1, '90000', '5', 1000)); // falls out of the window
    v.ingest(trade('BTCUSDT', 2, '97250.01', '0.1', 1100));
    v.ingest(trade('BTCUSDT', 3, '97250.03', '0.3', 1150));
    const f = v.snapshot(1155n * S).symbols[0]!;
    // (97250.01*0.1 + 97250.03*0.3) / 0.4 = 97250.025
    expect(formatDecimal(f.vwap1m!)).toBe('97250.025');
    expect(f.last).toBe(parseScaled('97250.03'));
    expect(formatChange(f.change, f.changeBps)).toBe('+7250.03 (+8.056%)');
    expect(f.trades).toBe(3);
  });

  it('counts trades and quotes in msg/s over the last 10 seconds', () => {
    const v = new MarketView(['ETHUSDT']);
    for (let i = 0; i < 30; i++) v.ingest(trade('ETHUSDT', i, '3400', '1', 100 + Math.floor(i / 3)));
    for (let i = 0; i < 10; i++) v.ingest({ kind: 'quote', quote: { symbol: 'ETHUSDT', bid: 1n, ask: 2n, receivedAt: BigInt(105 + i % 5) * S } });
    // at t=120 s only messages received at >= 110 s count: none
    expect(v.snapshot(120n * S).symbols[0]!.msgsPerSecond).toBe(0);
    const v2 = new MarketView(['ETHUSDT']);
    for (let i = 0; i < 50; i++) v2.ingest(trade('ETHUSDT', i, '3400', '1', 100 + Math.floor(i / 5)));
    expect(v2.snapshot(110n * S).symbols[0]!.msgsPerSecond).toBe(5);
  });

  it('keeps a bounded tape, newest last, and per-symbol counts', () => {
    const v = new MarketView(['BTCUSDT', 'ETHUSDT']);
    for (let i = 0; i < TAPE_SIZE * 3; i++) v.ingest(trade(i % 2 ? 'ETHUSDT' : 'BTCUSDT', i, '1', '1', 10));
    const snap = v.snapshot(11n * S);
    expect(snap.tape).toHaveLength(TAPE_SIZE);
    expect(snap.tape[snap.tape.length - 1]!.tradeId).toBe(BigInt(TAPE_SIZE * 3 - 1));
    expect(v.tradeCounts()).toEqual({ BTCUSDT: TAPE_SIZE * 1.5, ETHUSDT: TAPE_SIZE * 1.5 });
  });

  it('samples the last price per 5 s for the sparkline', () => {
    const v = new MarketView(['BNBUSDT']);
    v.ingest(trade('BNBUSDT', 1, '650', '1', 1000));
    v.ingest(trade('BNBUSDT', 2, '651', '1', 1006));
    v.ingest(trade('BNBUSDT', 3, '649', '1', 1012));
    const spark = v.snapshot(1013n * S).symbols[0]!.spark;
    expect(spark).toEqual([650, 651, 649]);
    expect(sparkline(spark)).toBe('▅█▁');
  });
});

describe('exact display helpers', () => {
  it('rounds half away from zero on bigints', () => {
    expect(divideRounded(5n, 2n)).toBe(3n);
    expect(divideRounded(-5n, 2n)).toBe(-3n);
    expect(divideRounded(4n, 3n)).toBe(1n);
    expect(formatRounded(parseScaled('97250.025'), 2)).toBe('97250.03');
    expect(formatRounded(parseScaled('0.004'), 2)).toBe('0.00');
    expect(formatDecimal(parseScaled('97250.1'))).toBe('97250.10');
    expect(formatDecimal(parseScaled('0.00012345'), 0)).toBe('0.00012345');
  });
});
