import { describe, expect, it } from 'vitest';
import { formatScaled, parseScaled } from '../../src/model/decimal.js';
import type { QuoteV2 } from '../../src/model/quote.js';
import type { TradeV2 } from '../../src/model/trade.js';
import { decodeUnscaled, encodeUnscaled } from '../../src/schema/avro-logical-types.js';
import { schemaText, v2SchemaString, v2Type } from '../../src/schema/v2-schemas.js';
import { decodeWire, encodeWire, splitWire, WireFormatError } from '../../src/schema/wire-format.js';

const trade = (price: string, quantity: string): TradeV2 => ({
  message_id: '9f1e6d02-5c95-8f58-99b3-9fe6adc3a104',
  trade_id: 'ASX-7078-20140310-17',
  symbol: 'BHP',
  exchange: 'ASX',
  asset_class: 'equities',
  timestamp: 1394406401395123n,
  price: parseScaled(price),
  quantity: parseScaled(quantity),
  currency: 'AUD',
  side: 'SELL_SHORT',
  trade_conditions: ['0', 'XT'],
  source_sequence: 2n ** 62n + 7n, // beyond 2^53: must stay exact
  ingestion_timestamp: 1795307790296857n,
  platform_sequence: null,
  vendor_data: { company_id: '7078', side_method: 'lee_ready' },
});

const EXTREMES = ['0.00000001', '9999999999.99999999', '-1.5', '42156.12345678', '-9999999999.99999999', '0', '-0.00000001', '1'];

describe('exact Avro round trips of decimal(18,8) through v2Type("trades")', () => {
  const type = v2Type('trades');
  for (const v of EXTREMES) {
    it(`price and quantity ${v}`, () => {
      const t = trade(v, v);
      const back = type.fromBuffer(type.toBuffer(t)) as TradeV2;
      expect(back).toEqual(t);
      expect(typeof back.price).toBe('bigint');
      expect(formatScaled(back.price)).toBe(formatScaled(parseScaled(v)));
      expect(formatScaled(back.quantity)).toBe(v === '0' ? '0' : v);
    });
  }

  it('through the Confluent wire format: magic 0, 4-byte big-endian schema id, Avro body', () => {
    for (const v of EXTREMES) {
      const t = trade(v, '42156.12345678');
      const framed = encodeWire(type, 0x01020304, t);
      expect(framed[0]).toBe(0);
      expect([...framed.subarray(1, 5)]).toEqual([1, 2, 3, 4]);
      expect(framed.subarray(5).equals(type.toBuffer(t))).toBe(true);
      const { schemaId, body } = splitWire(framed);
      expect(schemaId).toBe(0x01020304);
      expect(body.length).toBe(framed.length - 5);
      expect(decodeWire<TradeV2>(framed, type)).toEqual(t);
    }
  });

  it('encodes decimals as minimal big-endian two\'s complement bytes', () => {
    expect([...encodeUnscaled(1n)]).toEqual([1]);
    expect([...encodeUnscaled(-1n)]).toEqual([0xff]);
    expect([...encodeUnscaled(127n)]).toEqual([0x7f]);
    expect([...encodeUnscaled(128n)]).toEqual([0x00, 0x80]);
    expect([...encodeUnscaled(-128n)]).toEqual([0x80]);
    expect([...encodeUnscaled(-129n)]).toEqual([0xff, 0x7f]);
    expect([...encodeUnscaled(-150_000_000n)]).toEqual([0xf7, 0x0f, 0x2e, 0x80]); // -1.5 (checked with Python int.to_bytes)
    for (const v of [0n, 1n, -1n, 999_999_999_999_999_999n, -999_999_999_999_999_999n, 2n ** 53n, -(2n ** 53n), 2n ** 53n - 1n, 4_215_612_345_678n]) {
      expect(decodeUnscaled(encodeUnscaled(v)), String(v)).toBe(v);
    }
  });

  it('refuses values outside decimal(18,8) and non-bigint decimals instead of rounding', () => {
    expect(() => type.toBuffer({ ...trade('1', '1'), price: 10n ** 18n })).toThrow(/does not fit decimal\(18,8\)/);
    expect(() => type.toBuffer({ ...trade('1', '1'), price: 1.5 as unknown as bigint })).toThrow(/scaled bigint/);
    expect(type.isValid({ ...trade('1', '1'), message_id: 'not-a-uuid' })).toBe(false);
  });

  it('keeps timestamps exact to the microsecond and longs past 2^53', () => {
    const t = { ...trade('1', '1'), timestamp: 4_102_444_799_999_999n, source_sequence: -(2n ** 63n), platform_sequence: 2n ** 63n - 1n };
    const back = type.fromBuffer(type.toBuffer(t)) as TradeV2;
    expect(back.timestamp).toBe(4_102_444_799_999_999n);
    expect(back.source_sequence).toBe(-(2n ** 63n));
    expect(back.platform_sequence).toBe(2n ** 63n - 1n);
  });
});

describe('quotes: nullable decimals', () => {
  it('round-trips absent sides as null and present sides exactly', () => {
    const type = v2Type('quotes');
    const q: QuoteV2 = {
      message_id: '0b8c1f3e-2d4a-8b6c-9e7f-001122334455',
      quote_id: 'ASX-7078-20140310-Q1',
      symbol: 'BHP',
      exchange: 'ASX',
      asset_class: 'equities',
      timestamp: 1394390625676000n,
      bid_price: parseScaled('9999999999.99999999'),
      bid_quantity: parseScaled('0.00000001'),
      ask_price: null,
      ask_quantity: null,
      currency: 'AUD',
      source_sequence: null,
      ingestion_timestamp: 1n,
      platform_sequence: null,
      vendor_data: null,
    };
    const back = type.fromBuffer(type.toBuffer(q)) as QuoteV2;
    expect(back).toEqual(q);
    expect(back.ask_price).toBeNull();
    const framed = encodeWire(type, 7, q);
    expect(decodeWire<QuoteV2>(framed, type)).toEqual(q);
  });
});

describe('wire format errors', () => {
  const type = v2Type('trades');
  it('names short messages, a wrong magic byte, trailing bytes and undecodable bodies', () => {
    expect(() => splitWire(Buffer.from([0, 0, 0]))).toThrow(WireFormatError);
    expect(() => splitWire(Buffer.from([0, 0, 0]))).toThrow(/too short/);
    expect(() => splitWire(Buffer.from([1, 0, 0, 0, 1, 2]))).toThrow(/magic byte 1/);
    const framed = encodeWire(type, 1, trade('1', '1'));
    expect(() => decodeWire(Buffer.concat([framed, Buffer.from([0])]), type)).toThrow(/trailing bytes/);
    expect(() => decodeWire(framed.subarray(0, framed.length - 3), type)).toThrow(WireFormatError);
  });
});

describe('schema text', () => {
  it('exposes the v2 schemas with the exact field names and logical types', () => {
    const t = JSON.parse(schemaText('trades')) as { name: string; namespace: string; fields: Array<{ name: string; type: unknown }> };
    expect(t.name).toBe('TradeV2');
    expect(t.namespace).toBe('com.k2.marketdata');
    expect(t.fields.map((f) => f.name)).toEqual([
      'message_id', 'trade_id', 'symbol', 'exchange', 'asset_class', 'timestamp', 'price', 'quantity', 'currency', 'side',
      'trade_conditions', 'source_sequence', 'ingestion_timestamp', 'platform_sequence', 'vendor_data',
    ]);
    expect(t.fields.find((f) => f.name === 'price')!.type).toEqual({ type: 'bytes', logicalType: 'decimal', precision: 18, scale: 8 });
    expect(JSON.parse(v2SchemaString('quotes'))).toEqual(JSON.parse(schemaText('quotes')));
    expect(v2SchemaString('reference_data')).not.toMatch(/\n/);
  });
});
