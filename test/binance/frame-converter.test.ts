import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatScaled } from '../../src/model/decimal.js';
import type { QuoteV2 } from '../../src/model/quote.js';
import { topicName } from '../../src/model/topics.js';
import type { TradeV2 } from '../../src/model/trade.js';
import { v2Type } from '../../src/schema/v2-schemas.js';
import { BinanceFrameConverter, type FrameOutcome } from '../../src/sources/binance/frame-converter.js';
import { BinanceMessageError } from '../../src/sources/binance/errors.js';
import { splitSymbol } from '../../src/sources/binance/quote-assets.js';

const FIXTURE = new URL('../../fixtures/binance/combined-frames.jsonl', import.meta.url);
const INGEST = 1_718_035_201_000_000n;
let seq = 0;
const converter = new BinanceFrameConverter({
  now: () => INGEST,
  newMessageId: () => `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`,
});

function trade(frame: object): TradeV2 {
  const out = converter.convertText(JSON.stringify(frame));
  if (out.type !== 'record' || out.tagged.kind !== 'trades') throw new Error(`expected a trade, got ${JSON.stringify(out)}`);
  return out.tagged.record;
}
function quote(frame: object): QuoteV2 {
  const out = converter.convertText(JSON.stringify(frame));
  if (out.type !== 'record' || out.tagged.kind !== 'quotes') throw new Error(`expected a quote, got ${JSON.stringify(out)}`);
  return out.tagged.record;
}
function errorOf(text: string): BinanceMessageError {
  const out = converter.convertText(text);
  if (out.type !== 'error') throw new Error(`expected an error, got ${out.type}`);
  return out.error;
}

const baseTrade = { e: 'trade', E: 1718035200123, s: 'BTCUSDT', t: 3621880001, p: '67412.01000000', q: '0.00150000', T: 1718035200121, m: true, M: true };

describe('@trade mapping', () => {
  it('maps every field exactly', () => {
    const r = trade({ stream: 'btcusdt@trade', data: { ...baseTrade, b: 111, a: 222 } });
    expect(r).toMatchObject({
      trade_id: 'BINANCE-3621880001',
      symbol: 'BTCUSDT',
      exchange: 'BINANCE',
      asset_class: 'crypto',
      timestamp: 1_718_035_200_121_000n,
      price: 6_741_201_000_000n,
      quantity: 150_000n,
      currency: 'USDT',
      side: 'SELL',
      trade_conditions: [],
      source_sequence: 3621880001n,
      ingestion_timestamp: INGEST,
      platform_sequence: null,
    });
    expect(r.message_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.vendor_data).toEqual({
      base_asset: 'BTC',
      quote_asset: 'USDT',
      is_buyer_maker: 'true',
      is_best_match: 'true',
      event_type: 'trade',
      event_time: '1718035200123',
      trade_time: '1718035200121',
      buyer_order_id: '111',
      seller_order_id: '222',
    });
  });

  it('m=true is SELL (buyer is maker, taker sold); m=false is BUY', () => {
    expect(trade({ stream: 'btcusdt@trade', data: { ...baseTrade, m: true } }).side).toBe('SELL');
    const buy = trade({ stream: 'btcusdt@trade', data: { ...baseTrade, m: false } });
    expect(buy.side).toBe('BUY');
    expect(buy.vendor_data?.is_buyer_maker).toBe('false');
  });

  it('omits order ids when b and a are absent', () => {
    const r = trade({ stream: 'btcusdt@trade', data: baseTrade });
    expect(r.vendor_data).not.toHaveProperty('buyer_order_id');
    expect(r.vendor_data).not.toHaveProperty('seller_order_id');
  });

  it('the topic is market.crypto.trades.binance', () => {
    const r = trade({ stream: 'btcusdt@trade', data: baseTrade });
    expect(topicName(r.asset_class, 'trades', r.exchange)).toBe('market.crypto.trades.binance');
  });

  it('parses decimals exactly (no float)', () => {
    const r = trade({ stream: 'btcusdt@trade', data: { ...baseTrade, p: '9999999999.99999999', q: '0.00000001' } });
    expect(r.price).toBe(999_999_999_999_999_999n);
    expect(r.quantity).toBe(1n);
  });

  it('accepts a raw (non-combined) trade payload', () => {
    const out = converter.convertText(JSON.stringify(baseTrade));
    expect(out.type).toBe('record');
  });
});

describe('@aggTrade mapping', () => {
  it('maps a, f, l into its own id space', () => {
    const r = trade({
      stream: 'btcusdt@aggTrade',
      data: { e: 'aggTrade', E: 1718035200150, s: 'BTCUSDT', a: 3187650010, p: '67412.02000000', q: '0.10000000', f: 3621880003, l: 3621880005, T: 1718035200149, m: false, M: true },
    });
    expect(r.trade_id).toBe('BINANCE-AGG-3187650010');
    expect(r.source_sequence).toBe(3187650010n);
    expect(r.side).toBe('BUY');
    expect(r.timestamp).toBe(1_718_035_200_149_000n);
    expect(r.vendor_data).toMatchObject({ event_type: 'aggTrade', first_trade_id: '3621880003', last_trade_id: '3621880005', is_buyer_maker: 'false' });
  });
});

describe('@bookTicker mapping', () => {
  it('maps both sides with source_sequence = u', () => {
    const q = quote({ stream: 'btcusdt@bookTicker', data: { u: 48391022144, s: 'BTCUSDT', b: '67412.01000000', B: '3.10412000', a: '67412.02000000', A: '0.51000000' } });
    expect(q).toMatchObject({
      quote_id: 'BINANCE-48391022144',
      bid_price: 6_741_201_000_000n,
      bid_quantity: 310_412_000n,
      ask_price: 6_741_202_000_000n,
      ask_quantity: 51_000_000n,
      currency: 'USDT',
      source_sequence: 48391022144n,
      timestamp: INGEST,
    });
    expect(q.vendor_data).toMatchObject({ timestamp_source: 'receive', update_id: '48391022144' });
  });

  it('an empty or absent side is null, never 0', () => {
    const empty = quote({ stream: 'ethbtc@bookTicker', data: { u: 1, s: 'ETHBTC', b: '0.00000000', B: '0.00000000', a: '0.05491000', A: '7.20000000' } });
    expect(empty.bid_price).toBeNull();
    expect(empty.bid_quantity).toBeNull();
    expect(empty.ask_price).toBe(5_491_000n);
    const zeroQty = quote({ stream: 'ethbtc@bookTicker', data: { u: 2, s: 'ETHBTC', b: '0.05490000', B: '1', a: '0.05491000', A: '0' } });
    expect(zeroQty.ask_price).toBeNull();
    expect(zeroQty.ask_quantity).toBeNull();
    const absent = quote({ stream: 'ethbtc@bookTicker', data: { u: 3, s: 'ETHBTC', b: '0.05490000', B: '1' } });
    expect(absent.ask_price).toBeNull();
    expect(absent.bid_quantity).toBe(100_000_000n);
  });

  it('uses the exchange time when a futures-style T is present', () => {
    const q = quote({ stream: 'btcusdt@bookTicker', data: { e: 'bookTicker', u: 5, s: 'BTCUSDT', b: '1', B: '1', a: '2', A: '1', E: 1718035200001, T: 1718035200000 } });
    expect(q.timestamp).toBe(1_718_035_200_000_000n);
    expect(q.vendor_data?.timestamp_source).toBe('transaction_time');
  });
});

describe('currency from the longest known quote-asset suffix', () => {
  it.each([
    ['BTCUSDT', 'BTC', 'USDT'],
    ['ETHBTC', 'ETH', 'BTC'],
    ['FDUSDUSDT', 'FDUSD', 'USDT'],
    ['BTCFDUSD', 'BTC', 'FDUSD'],
    ['BNBETH', 'BNB', 'ETH'],
    ['SOLBNB', 'SOL', 'BNB'],
    ['BTCEUR', 'BTC', 'EUR'],
    ['BTCTRY', 'BTC', 'TRY'],
    ['USDCUSDT', 'USDC', 'USDT'],
    ['BTCUSDC', 'BTC', 'USDC'],
  ])('%s -> base %s, quote %s', (symbol, base, quoteAsset) => {
    expect(splitSymbol(symbol)).toEqual({ base, quote: quoteAsset });
  });

  it('an unknown suffix is a typed error, not a guess', () => {
    expect(() => splitSymbol('ABCXYZ')).toThrow(BinanceMessageError);
    expect(() => splitSymbol('USDT')).toThrow(/no known quote asset/); // nothing left for the base
    const err = errorOf(JSON.stringify({ stream: 'abcxyz@trade', data: { ...baseTrade, s: 'ABCXYZ' } }));
    expect(err.errorType).toBe('unknown_quote_asset');
    expect(err.context.symbol).toBe('ABCXYZ');
  });
});

describe('malformed and unknown payloads give typed errors', () => {
  it.each([
    ['not JSON', '{"stream":', 'malformed_json'],
    ['an array', '[1,2]', 'invalid_frame'],
    ['data not an object', '{"stream":"btcusdt@trade","data":"x"}', 'invalid_frame'],
    ['stream without channel', '{"stream":"btcusdt","data":{}}', 'invalid_frame'],
    ['unknown channel', '{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate"}}', 'unknown_event'],
    ['unknown raw event', '{"e":"kline","s":"BTCUSDT"}', 'unknown_event'],
    ['missing price', JSON.stringify({ stream: 'btcusdt@trade', data: { ...baseTrade, p: undefined } }), 'invalid_payload'],
    ['price as a number', JSON.stringify({ stream: 'btcusdt@trade', data: { ...baseTrade, p: 67412.01 } }), 'invalid_payload'],
    ['fractional trade id', JSON.stringify({ stream: 'btcusdt@trade', data: { ...baseTrade, t: 1.5 } }), 'invalid_payload'],
    ['m as a string', JSON.stringify({ stream: 'btcusdt@trade', data: { ...baseTrade, m: 'true' } }), 'invalid_payload'],
    ['lower-case symbol', JSON.stringify({ stream: 'btcusdt@trade', data: { ...baseTrade, s: 'btcusdt' } }), 'invalid_payload'],
    ['9 decimal places', JSON.stringify({ stream: 'btcusdt@trade', data: { ...baseTrade, p: '1.000000001' } }), 'invalid_decimal'],
    ['too large', JSON.stringify({ stream: 'btcusdt@trade', data: { ...baseTrade, q: '12345678901' } }), 'invalid_decimal'],
    ['not a decimal', JSON.stringify({ stream: 'btcusdt@trade', data: { ...baseTrade, q: 'abc' } }), 'invalid_decimal'],
    ['zero quantity', JSON.stringify({ stream: 'btcusdt@trade', data: { ...baseTrade, q: '0.00000000' } }), 'invalid_payload'],
    ['stream/symbol mismatch', JSON.stringify({ stream: 'ethusdt@trade', data: baseTrade }), 'invalid_frame'],
    ['aggTrade missing f', JSON.stringify({ stream: 'btcusdt@aggTrade', data: { e: 'aggTrade', E: 1, s: 'BTCUSDT', a: 1, p: '1', q: '1', l: 1, T: 1, m: true } }), 'invalid_payload'],
    ['bookTicker missing u', JSON.stringify({ stream: 'btcusdt@bookTicker', data: { s: 'BTCUSDT', b: '1', B: '1', a: '1', A: '1' } }), 'invalid_payload'],
    // times past June 2255 are safe integers but beyond v2 microsecond timestamps: rejected, not a failed publish
    ['trade time after 2255', JSON.stringify({ stream: 'btcusdt@trade', data: { ...baseTrade, T: 9_007_199_254_740_000 } }), 'invalid_payload'],
    ['event time after 2255', JSON.stringify({ stream: 'btcusdt@trade', data: { ...baseTrade, E: 9_007_199_254_741 } }), 'invalid_payload'],
    ['aggTrade time after 2255', JSON.stringify({ stream: 'btcusdt@aggTrade', data: { e: 'aggTrade', E: 1, s: 'BTCUSDT', a: 1, p: '1', q: '1', f: 1, l: 1, T: 9_007_199_254_741, m: true } }), 'invalid_payload'],
    ['bookTicker time after 2255', JSON.stringify({ stream: 'btcusdt@bookTicker', data: { u: 1, s: 'BTCUSDT', b: '1', B: '1', a: '1', A: '1', T: 9_007_199_254_741 } }), 'invalid_payload'],
  ])('%s -> %s', (_name, text, type) => {
    const err = errorOf(text);
    expect(err).toBeInstanceOf(BinanceMessageError);
    expect(err.errorType).toBe(type);
  });

  it('accepts the last representable millisecond (2255-06-05)', () => {
    const out = converter.convertText(JSON.stringify({ stream: 'btcusdt@trade', data: { ...baseTrade, T: 9_007_199_254_740, E: 9_007_199_254_740 } }));
    expect(out.type).toBe('record');
  });

  it('names the offending field', () => {
    const err = errorOf(JSON.stringify({ stream: 'btcusdt@trade', data: { ...baseTrade, T: 'soon' } }));
    expect(err.context.field).toBe('T');
    expect(err.context.stream).toBe('btcusdt@trade');
  });

  it('recognises serverShutdown (wrapped or raw) and subscription responses', () => {
    expect(converter.convertText('{"stream":"btcusdt@trade","data":{"e":"serverShutdown","E":1}}')).toEqual({ type: 'control', event: 'serverShutdown' });
    expect(converter.convertText('{"e":"serverShutdown","E":1}')).toEqual({ type: 'control', event: 'serverShutdown' });
    expect(converter.convertText('{"result":null,"id":1}')).toEqual({ type: 'control', event: 'subscription_response' });
  });
});

describe('the recorded fixture', () => {
  const lines = readFileSync(FIXTURE, 'utf8').split('\n').filter((l) => l.length > 0);
  const outcomes: FrameOutcome[] = lines.map((l) => converter.convertText(l));

  it('has the exact counts of records, controls and errors by type', () => {
    expect(lines).toHaveLength(21);
    const trades = outcomes.filter((o) => o.type === 'record' && o.tagged.kind === 'trades');
    const quotes = outcomes.filter((o) => o.type === 'record' && o.tagged.kind === 'quotes');
    expect(trades).toHaveLength(9);
    expect(quotes).toHaveLength(3);
    expect(outcomes.filter((o) => o.type === 'control')).toHaveLength(2);
    const errors = outcomes.flatMap((o) => (o.type === 'error' ? [o.error.errorType] : []));
    expect(errors.sort()).toEqual(
      ['invalid_decimal', 'invalid_frame', 'invalid_frame', 'invalid_payload', 'malformed_json', 'unknown_event', 'unknown_quote_asset'].sort(),
    );
  });

  it('has exact decimal sums and round-trips through Avro unchanged', () => {
    const trades = outcomes.flatMap((o) => (o.type === 'record' && o.tagged.kind === 'trades' ? [o.tagged.record] : []));
    const btc = trades.filter((t) => t.symbol === 'BTCUSDT');
    expect(formatScaled(btc.reduce((s, t) => s + t.quantity, 0n))).toBe('0.14364');
    // 67412.01 + 67412.02 + 3701.55 + 67412.02 + 0.008951 + 0.9998 + 67411.99 + 3701.54 + 2176543.21
    expect(formatScaled(trades.reduce((s, t) => s + t.price, 0n))).toBe('2453595.348751');
    const type = v2Type('trades');
    for (const t of trades) expect(type.fromBuffer(type.toBuffer(t))).toEqual(t);
    const quotes = outcomes.flatMap((o) => (o.type === 'record' && o.tagged.kind === 'quotes' ? [o.tagged.record] : []));
    const qtype = v2Type('quotes');
    for (const q of quotes) expect(qtype.fromBuffer(qtype.toBuffer(q))).toEqual(q);
  });
});
