import { describe, expect, it } from 'vitest';
import type avro from 'avsc';
import { v2Type } from '../../src/schema/v2-schemas.js';
import { decodeWire, encodeWire, encodeWireMany } from '../../src/schema/wire-format.js';

let seed = 12345;
function rand(): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
}
function pick<T>(xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)]!;
}
const MAX_UNSCALED = 999_999_999_999_999_999n;
const BIG_LONGS = [0n, 1n, -1n, 63n, 64n, -64n, -65n, 2n ** 52n, -(2n ** 52n), -(2n ** 52n) - 1n, 2n ** 53n, -(2n ** 53n), 2n ** 62n, 2n ** 63n - 1n, -(2n ** 63n)];
// avsc's timestamp-micros range is +-9007199254740990 (its isSafeLong)
const MICROS = [0n, 1n, -1n, 1_394_400_000_000_000n, 1_700_000_000_123_456n, 9_007_199_254_740_990n, -4_503_599_627_370_496n, 4_503_599_627_370_496n];
const DECIMALS = [0n, 1n, -1n, 127n, 128n, -128n, -129n, 36_667_000_00n, 2n ** 31n, -(2n ** 31n), 2n ** 32n, 2n ** 40n, -(2n ** 40n), 2n ** 53n + 1n, MAX_UNSCALED, -MAX_UNSCALED];
const STRINGS = ['', 'a', 'BHP', 'asx', 'AUD', 'x'.repeat(63), 'y'.repeat(64), 'z'.repeat(300), 'Zürich', '日本語', 'emoji 🚀', 'tab\tnew\nline'];

function randomLong(): bigint {
  return rand() < 0.4 ? pick(BIG_LONGS) : BigInt(Math.floor((rand() - 0.5) * 2 ** 40));
}
function randomDecimal(): bigint {
  return rand() < 0.4 ? pick(DECIMALS) : BigInt(Math.floor((rand() - 0.5) * 2 ** 52));
}
function randomUuid(): string {
  const hex = (n: number): string => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
  const u = `${hex(8)}-${hex(4)}-4${hex(3)}-8${hex(3)}-${hex(12)}`;
  return rand() < 0.2 ? u.toUpperCase() : u;
}
function randomMap(): Record<string, string> | null {
  if (rand() < 0.3) return null;
  const m: Record<string, string> = {};
  const n = Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) m[pick(STRINGS) + i] = pick(STRINGS);
  return m;
}

function randomTrade(): Record<string, unknown> {
  return {
    message_id: randomUuid(),
    trade_id: rand() < 0.5 ? `ASX-7078-20140102-${Math.floor(rand() * 1e6)}` : pick(STRINGS),
    symbol: pick(['BHP', 'BTCUSDT', 'Zürich', '']),
    exchange: pick(['asx', 'binance']),
    asset_class: pick(['equities', 'crypto', 'futures', 'options']),
    timestamp: pick(MICROS),
    price: randomDecimal(),
    quantity: randomDecimal(),
    currency: pick(['AUD', 'USDT']),
    side: pick(['BUY', 'SELL', 'SELL_SHORT', 'UNKNOWN']),
    trade_conditions: Array.from({ length: Math.floor(rand() * 3) }, () => pick(STRINGS)),
    source_sequence: rand() < 0.3 ? null : randomLong(),
    ingestion_timestamp: pick(MICROS),
    platform_sequence: rand() < 0.5 ? null : randomLong(),
    vendor_data: randomMap(),
  };
}

function randomQuote(): Record<string, unknown> {
  const d = (): bigint | null => (rand() < 0.25 ? null : randomDecimal());
  return {
    message_id: randomUuid(),
    quote_id: `Q-${Math.floor(rand() * 1e9)}`,
    symbol: pick(['BHP', 'ETHUSDT']),
    exchange: pick(['asx', 'binance']),
    asset_class: pick(['equities', 'crypto']),
    timestamp: pick(MICROS),
    bid_price: d(),
    bid_quantity: d(),
    ask_price: d(),
    ask_quantity: d(),
    currency: 'AUD',
    source_sequence: rand() < 0.3 ? null : randomLong(),
    ingestion_timestamp: pick(MICROS),
    platform_sequence: null,
    vendor_data: randomMap(),
  };
}

function avscDecode(type: avro.Type, framed: Buffer): unknown {
  const res = type.decode(framed.subarray(5), 0);
  expect(res.offset).toBe(framed.length - 5);
  return res.value;
}

describe('encodeWireMany: a batch of v2 records framed into one buffer', () => {
  for (const [kind, gen] of [['trades', randomTrade], ['quotes', randomQuote]] as const) {
    const type = v2Type(kind);

    it(`${kind}: encodes byte for byte what avsc encodes, for 3000 random records`, () => {
      const records = Array.from({ length: 3000 }, gen);
      const many = encodeWireMany(type, 42, records);
      expect(many).toHaveLength(records.length);
      for (let i = 0; i < records.length; i++) {
        expect(Buffer.compare(many[i]!, encodeWire(type, 42, records[i]))).toBe(0);
      }
    });

    it(`${kind}: every value decodes back to the original record`, () => {
      const records = Array.from({ length: 3000 }, gen);
      const framedAll = encodeWireMany(type, 7, records);
      records.forEach((r, i) => {
        expect(framedAll[i]!.readUInt32BE(1)).toBe(7);
        expect(decodeWire(framedAll[i]!, type)).toEqual(r);
        expect(avscDecode(type, framedAll[i]!)).toEqual(r);
      });
    });
  }

  const trades = v2Type('trades');

  it('refuses invalid values with the same errors as encodeWire (timestamps below -2^52 are refused, not corrupted)', () => {
    const bad: Array<[string, unknown]> = [
      ['price', MAX_UNSCALED + 1n],
      ['price', 1.5],
      ['message_id', 'not-a-uuid'],
      ['side', 'HOLD'],
      ['timestamp', 9_007_199_254_740_991n],
      ['timestamp', -4_503_599_627_370_497n],
      ['source_sequence', 2n ** 63n],
      ['symbol', 42],
      ['trade_conditions', 'x'],
      ['vendor_data', { a: 1 }],
    ];
    for (const [field, value] of bad) {
      const record = { ...randomTrade(), [field]: value };
      let expected: unknown;
      try {
        encodeWire(trades, 1, record);
      } catch (err) {
        expected = err;
      }
      expect(expected, `${field}=${String(value)} must be refused`).toBeInstanceOf(Error);
      expect(() => encodeWireMany(trades, 1, [randomTrade(), record])).toThrow((expected as Error).message);
    }
  });
});
