/**
 * The compiled Avro writer (src/schema/avro-fast-writer.ts) must write exactly the bytes
 * avsc's own generic writer writes, for every value avsc accepts, and refuse every value
 * avsc refuses with avsc's error. The reference is avsc's `type._write` through
 * `type.toBuffer` (never touched by the fast writer).
 */
import { createRequire } from 'node:module';
import type avro from 'avsc';
import { describe, expect, it } from 'vitest';
import type { RecordKind } from '../../src/model/record-kind.js';
import { fastWriter } from '../../src/schema/avro-fast-writer.js';
import type { AvscTap } from '../../src/schema/avro-logical-types.js';
import { avroType, schemaText, v2Type } from '../../src/schema/v2-schemas.js';
import { encodeWireMany } from '../../src/schema/wire-format.js';
import { prng } from '../support/prng.js';

const Tap = (createRequire(import.meta.url)('avsc/lib/utils.js') as { Tap: new (buf: Buffer, pos?: number) => AvscTap }).Tap;

const rand = prng(20261122);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const int = (n: number): number => Math.floor(rand() * n);

const MAX_UNSCALED = 999_999_999_999_999_999n;
const LONGS = [0n, 1n, -1n, 63n, 64n, -64n, -65n, 2n ** 31n, -(2n ** 31n), 2n ** 52n, -(2n ** 52n), -(2n ** 52n) - 1n, 2n ** 53n, -(2n ** 53n), 2n ** 62n, 2n ** 63n - 1n, -(2n ** 63n)];
// timestamp-micros: avsc's number longs stop at +-9007199254740990; TimestampMicrosType at -2^52
const MICROS = [0n, 1n, -1n, 63n, -64n, 1_394_400_000_000_000n, 1_700_000_000_123_456n, 9_007_199_254_740_990n, -4_503_599_627_370_496n, 4_503_599_627_370_496n];
const DECIMALS = [0n, 1n, -1n, 127n, 128n, -128n, -129n, 32767n, 32768n, -32769n, 3_666_700_000n, 2n ** 31n, -(2n ** 31n), 2n ** 32n, 2n ** 40n, -(2n ** 40n), 2n ** 53n + 1n, 2n ** 56n, -(2n ** 56n) - 1n, MAX_UNSCALED, -MAX_UNSCALED];

/** Strings of every kind the writer treats differently: short/long (16, 64), ASCII or not, lone surrogates, ropes. */
function randomString(): string {
  const ascii = (n: number): string => Array.from({ length: n }, () => String.fromCharCode(32 + int(95))).join('');
  switch (int(12)) {
    case 0:
      return '';
    case 1:
      return ascii(1 + int(15));
    case 2:
      return ascii(16 + int(48)); // 16..63: the native path
    case 3:
      return ascii(63 + int(3)); // around the 1-byte length limit
    case 4:
      return ascii(64 + int(400));
    case 5:
      return pick(['Zürich', '日本語', 'emoji 🚀', 'ü', '€'.repeat(30), 'a'.repeat(15) + 'é', 'b'.repeat(40) + '😀', 'c'.repeat(70) + 'ß']);
    case 6:
      // lone surrogates: avsc's short-string loop and Buffer#utf8Write disagree on them
      return pick(['\ud800', 'x\udc00y', 'a'.repeat(20) + '\ud83d', '\udfff' + 'b'.repeat(70), 'q'.repeat(62) + '\ud800']);
    case 7:
      return `ASX-7078-20140102-${int(1e7)}`; // a rope
    case 8:
      return String.fromCharCode(0x7f, 0x80, 0xff, 0x100);
    default:
      return pick(['BHP', 'ASX', 'AUD', 'BTCUSDT', 'tick_test', 'lee_ready', '0', 'X', '7078']);
  }
}

function randomUuid(): string {
  const hex = (n: number): string => Array.from({ length: n }, () => int(16).toString(16)).join('');
  const u = `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
  return rand() < 0.2 ? u.toUpperCase() : u;
}

function randomMap(): Record<string, string> | null {
  if (rand() < 0.2) return null;
  // often the same map again (the memoised path), sometimes a different one
  if (rand() < 0.5) return { company_id: '7078', qualifiers: pick(['0', '25', '2']), venue: 'X', side_method: pick(['tick_test', 'lee_ready']) };
  const m: Record<string, string> = {};
  const n = int(5);
  for (let i = 0; i < n; i++) m[randomString() + i] = randomString();
  return m;
}

function randomTrade(): Record<string, unknown> {
  return {
    message_id: randomUuid(),
    trade_id: randomString(),
    symbol: pick(['BHP', 'BTCUSDT', 'Zürich', '']),
    exchange: pick(['ASX', 'BINANCE']),
    asset_class: pick(['equities', 'crypto', 'futures', 'options']),
    timestamp: pick(MICROS),
    price: rand() < 0.5 ? pick(DECIMALS) : BigInt(Math.floor((rand() - 0.5) * 2 ** 53)),
    quantity: pick(DECIMALS),
    currency: pick(['AUD', 'USDT']),
    side: pick(['BUY', 'SELL', 'SELL_SHORT', 'UNKNOWN']),
    trade_conditions: Array.from({ length: pick([0, 0, 1, 2, 70]) }, randomString),
    source_sequence: rand() < 0.3 ? null : pick(LONGS),
    ingestion_timestamp: pick(MICROS),
    platform_sequence: rand() < 0.5 ? null : pick(LONGS),
    vendor_data: randomMap(),
  };
}

function randomQuote(): Record<string, unknown> {
  const d = (): bigint | null => (rand() < 0.3 ? null : pick(DECIMALS));
  return {
    message_id: randomUuid(),
    quote_id: randomString(),
    symbol: pick(['BHP', 'ETHUSDT']),
    exchange: pick(['ASX', 'BINANCE']),
    asset_class: pick(['equities', 'crypto']),
    timestamp: pick(MICROS),
    bid_price: d(),
    bid_quantity: d(),
    ask_price: d(),
    ask_quantity: d(),
    currency: 'AUD',
    source_sequence: rand() < 0.3 ? null : pick(LONGS),
    ingestion_timestamp: pick(MICROS),
    platform_sequence: null,
    vendor_data: randomMap(),
  };
}

/** avsc's bytes (its own generic writer) or its error. */
function avscBytes(type: avro.Type, value: unknown): Buffer | Error {
  try {
    return type.toBuffer(value);
  } catch (err) {
    return err as Error;
  }
}

/** The fast writer's bytes, through a tap like encodeWireMany's (growing when too small), or its error. */
function fastBytes(type: avro.Type, value: unknown, initial = 8): Buffer | Error {
  const write = fastWriter(type);
  let buf = Buffer.alloc(initial);
  try {
    for (;;) {
      const tap = new Tap(buf, 0);
      write(tap, value);
      if (tap.pos <= buf.length) return buf.subarray(0, tap.pos);
      buf = Buffer.alloc(tap.pos);
    }
  } catch (err) {
    return err as Error;
  }
}

function expectSame(type: avro.Type, value: unknown, label: string, initial?: number): void {
  const a = avscBytes(type, value);
  const b = fastBytes(type, value, initial);
  if (a instanceof Error) {
    expect(b, `${label}: avsc refuses it, so must the fast writer`).toBeInstanceOf(Error);
    expect((b as Error).message).toBe(a.message);
    return;
  }
  expect(b, label).toBeInstanceOf(Buffer);
  expect((b as Buffer).toString('hex'), label).toBe(a.toString('hex'));
}

const generators: Record<'trades' | 'quotes', () => Record<string, unknown>> = { trades: randomTrade, quotes: randomQuote };

describe('compiled Avro writer: the bytes of avsc', () => {
  for (const kind of ['trades', 'quotes'] as const) {
    it(`${kind}: 5000 random records, byte for byte (small and roomy buffers)`, () => {
      const type = v2Type(kind);
      for (let i = 0; i < 5000; i++) {
        const r = generators[kind]();
        expectSame(type, r, `${kind} #${i}`, i % 2 === 0 ? 8 : 4096);
      }
    });
  }

  it('reference data records', () => {
    const type = v2Type('reference_data' as RecordKind);
    const schema = JSON.parse(JSON.stringify(type.schema())) as { fields: Array<{ name: string }> };
    expect(schema.fields.length).toBeGreaterThan(0);
    // build values from the schema's own random generator, then compare
    for (let i = 0; i < 300; i++) {
      const v = type.random() as unknown;
      expectSame(type, v, `reference_data #${i}`, 4096);
    }
  });

  it('memoised maps: the same map again, a changed value, a changed key order, a non-ASCII value', () => {
    const type = avroType({ type: 'array', items: { type: 'map', values: 'string' } });
    const base = { company_id: '7078', qualifiers: '0', venue: 'X', side_method: 'tick_test' };
    const maps = [
      base,
      { ...base },
      { ...base, qualifiers: '25' },
      { venue: 'X', company_id: '7078', qualifiers: '0', side_method: 'tick_test' },
      { ...base, venue: 'Zürich' },
      { ...base, venue: 'Zürich' },
      { ...base, extra: 'y'.repeat(600) }, // too long to remember
      { ...base, extra: 'y'.repeat(600) },
      {},
      base,
    ];
    for (let i = 0; i < maps.length; i++) expectSame(type, maps.slice(0, i + 1), `maps[0..${i}]`, 16);
  });

  it('maps that change every row (the memo is then skipped for a while) and maps that repeat again afterwards', () => {
    const type = avroType({ type: 'array', items: { type: 'map', values: 'string' } });
    const changing = (i: number): Record<string, string> => ({ base_asset: 'BTC', event_time: String(1_700_000_000_000 + i), is_best_match: 'true' });
    const same = { base_asset: 'BTC', event_time: '1', is_best_match: 'true' };
    const maps: Record<string, string>[] = [];
    for (let i = 0; i < 40; i++) maps.push(changing(i)); // past the misses that switch the memo off
    for (let i = 0; i < 5; i++) maps.push(same); // written while it is off
    for (let i = 0; i < 1100; i++) maps.push(i % 3 === 0 ? same : changing(i)); // until it is tried again
    for (let i = 0; i < 5; i++) maps.push({ ...same, is_best_match: 'false' });
    for (let i = 0; i < 5; i++) maps.push(same);
    expectSame(type, maps, 'changing then repeating maps', 16);
    // and once more from a warm writer, value by value
    for (let i = 0; i < maps.length; i += 97) expectSame(type, maps.slice(i, i + 50), `maps[${i}..]`, 4096);
  });

  it('maps the writer walks with for-in: 63, 64 and 200 entries, inherited keys, a null prototype, a polluted Object.prototype', () => {
    const type = avroType({ type: 'array', items: { type: 'map', values: 'string' } });
    const sized = (n: number): Record<string, string> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, `v${i}`]));
    // a count byte is written after the entries: one byte holds up to 63; beyond, avsc writes the map
    for (const n of [0, 1, 63, 64, 200]) {
      expectSame(type, [sized(n)], `${n} entries`, 16);
      expectSame(type, [sized(n), sized(n)], `${n} entries twice (memoised)`, 4096);
    }
    // Object.keys (avsc) leaves inherited keys out; a for-in walk would not
    const inheriting = Object.assign(Object.create({ inherited: 'no' }) as Record<string, string>, { own: 'yes' });
    const bare = Object.assign(Object.create(null) as Record<string, string>, { a: '1', b: '2' });
    expectSame(type, [inheriting, inheriting, { own: 'yes' }], 'an object with an enumerable inherited key', 16);
    expectSame(type, [bare, bare], 'an object without a prototype', 16);
    const proto = Object.prototype as Record<string, unknown>;
    proto.polluted = 'x';
    try {
      expectSame(type, [{ own: 'yes' }, { own: 'yes' }, sized(3)], 'Object.prototype with an enumerable key', 16);
    } finally {
      delete proto.polluted;
    }
    expectSame(type, [{ own: 'yes' }, { own: 'yes' }], 'after Object.prototype is clean again', 16);
  });

  it('fields with defaults left undefined get avsc defaults; absent required fields and bad values get avsc errors', () => {
    const trades = v2Type('trades');
    const cases: Array<[string, unknown]> = [
      ['trade_conditions', undefined],
      ['source_sequence', undefined],
      ['vendor_data', undefined],
      ['price', MAX_UNSCALED + 1n],
      ['price', -MAX_UNSCALED - 1n],
      ['price', 1.5],
      ['price', null],
      ['message_id', 'not-a-uuid'],
      ['message_id', 'ZZZZZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZZZZZZZZZ'],
      ['message_id', '0123456789ab-cdef-0123-4567-89abcdef'],
      ['message_id', '01234567-89ab-cdef-0123-456789abcdeİ'],
      ['message_id', undefined],
      ['side', 'HOLD'],
      ['side', 'toString'],
      ['asset_class', undefined],
      ['timestamp', 9_007_199_254_740_991n],
      ['timestamp', 9_007_199_254_740_990n],
      ['timestamp', -4_503_599_627_370_497n],
      ['timestamp', 5],
      ['source_sequence', 2n ** 63n],
      ['source_sequence', 5],
      ['symbol', 42],
      ['symbol', undefined],
      ['trade_conditions', 'x'],
      ['trade_conditions', [1]],
      ['vendor_data', { a: 1 }],
      ['vendor_data', []],
      ['vendor_data', Buffer.from('x')],
      ['vendor_data', 'x'],
    ];
    for (const [field, value] of cases) {
      const record = { ...randomTrade(), [field]: value };
      expectSame(trades, record, `${field}=${String(value)}`, 4096);
    }
    expectSame(trades, null, 'null record');
    expectSame(trades, 'x', 'string record');
  });

  it('a message_id that is not a UUID is refused, whatever else the record holds', () => {
    const trades = v2Type('trades');
    for (const id of ['', 'x', '01234567-89ab-cdef-0123-456789abcdeg', '01234567_89ab-cdef-0123-456789abcdef', '01234567-89ab-cdef-0123-456789abcdef0']) {
      expect(() => encodeWireMany(trades, 1, [{ ...randomTrade(), message_id: id }]), id).toThrow('not a UUID');
    }
  });

  it('encodeWireMany grows its buffer mid-batch and keeps every earlier value intact', () => {
    const trades = v2Type('trades');
    const records = Array.from({ length: 200 }, (_, i) => {
      const r = randomTrade();
      if (i % 37 === 5) r.trade_id = 'z'.repeat(20_000); // beyond the initial buffer
      return r;
    });
    const many = encodeWireMany(trades, 9, records);
    records.forEach((r, i) => {
      const a = avscBytes(trades, r);
      expect(a).toBeInstanceOf(Buffer);
      expect(many[i]!.subarray(5).toString('hex'), `record ${i}`).toBe((a as Buffer).toString('hex'));
      expect(many[i]![0]).toBe(0);
      expect(many[i]!.readUInt32BE(1)).toBe(9);
    });
  });

  it('takes the compiled path for valid records and hands only the others to avsc', () => {
    for (const kind of ['trades', 'quotes'] as const) {
      const real = avroType(schemaText(kind));
      const generic = (real as unknown as { _write(tap: AvscTap, v: unknown): void })._write;
      let calls = 0;
      // avsc types are frozen: count the generic writer's calls on a derived object of a private instance
      const type = Object.create(real) as avro.Type;
      Object.defineProperty(type, '_write', {
        value(tap: AvscTap, v: unknown): void {
          calls++;
          generic.call(real, tap, v);
        },
      });
      const write = fastWriter(type);
      const asx = kind === 'trades'
        ? { ...randomTrade(), trade_id: 'ASX-7078-20140102-17', symbol: 'BHP', vendor_data: { company_id: '7078', side_method: 'tick_test' }, timestamp: 1_388_610_000_000_000n, trade_conditions: ['0'] }
        : { ...randomQuote(), quote_id: 'ASX-7078-20140102-Q17', symbol: 'BHP', vendor_data: { company_id: '7078' }, timestamp: 1_388_610_000_000_000n };
      const tap = new Tap(Buffer.alloc(4096), 0);
      write(tap, asx);
      expect(calls, `${kind}: valid record written without avsc's generic writer`).toBe(0);
      expect(tap.buf.subarray(0, tap.pos).toString('hex')).toBe((avscBytes(real, asx) as Buffer).toString('hex'));
      tap.pos = 0;
      expect(() => write(tap, { ...asx, message_id: 'nope' })).toThrow('not a UUID');
      expect(calls).toBe(1);
    }
  });
});
