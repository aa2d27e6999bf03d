import { describe, expect, it } from 'vitest';
import type { TradeV2 } from '../../src/model/trade.js';
import { PackedWireBuilder } from '../../src/schema/packed-wire-builder.js';
import { v2Type } from '../../src/schema/v2-schemas.js';
import { decodeWire, encodeWire } from '../../src/schema/wire-format.js';
import { tradeEventToV2 } from '../../src/sources/binance/mappers/trade-mapper.js';
import { CombinedFrameScanner, type ScannedTrade } from '../../src/sources/binance/combined-frame-scanner.js';
import type { TradeEvent } from '../../src/sources/binance/schemas.js';
import { binanceUnits, TradeEventEncoder } from '../../src/sources/binance/trade-event-encoder.js';
import { prng } from '../support/prng.js';

const type = v2Type('trades');
const SCHEMA_ID = 7;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const base: TradeEvent = { e: 'trade', E: 1718035200123, s: 'BTCUSDT', t: 3621880001, p: '67412.01000000', q: '0.00150000', T: 1718035200121, m: true, M: true };

const scanner = new CombinedFrameScanner();

/** The event as Binance sends it (a combined-stream frame), scanned: what the encoder reads. */
function scanned(ev: TradeEvent): ScannedTrade {
  const frame = JSON.stringify({ stream: `${ev.s.toLowerCase()}@trade`, data: ev });
  expect(scanner.scan(Buffer.from(frame)), frame).toBe('trade');
  return scanner;
}

/** Writes events with the encoder; returns each one's wire message. */
function encodeDirect(events: { ev: TradeEvent; ingestion: bigint }[]): Buffer[] {
  const enc = new TradeEventEncoder();
  const builder = new PackedWireBuilder(SCHEMA_ID);
  for (const { ev, ingestion } of events) {
    expect(enc.set(scanned(ev), Number(ingestion)), JSON.stringify(ev)).toBe(true);
    builder.append(enc);
  }
  const { buf, starts } = builder.finish();
  return events.map((_, i) => buf.subarray(starts[i], starts[i + 1]));
}

/** The direct bytes decode to tradeEventToV2's record (its message_id aside), and are the generic writer's bytes for it. */
function expectSameAsGeneric(ev: TradeEvent, ingestion: bigint, wire: Buffer): void {
  const decoded = decodeWire<TradeV2>(wire, type);
  expect(decoded.message_id).toMatch(UUID_V4);
  const expected = tradeEventToV2(ev, { ingestionMicros: ingestion, newMessageId: () => decoded.message_id });
  expect(decoded).toEqual(expected);
  expect(Buffer.compare(wire, encodeWire(type, SCHEMA_ID, expected))).toBe(0);
}

describe('TradeEventEncoder', () => {
  it('writes the generic bytes for a typical trade, each optional field present or not', () => {
    const variants: TradeEvent[] = [
      base,
      { ...base, m: false, M: false },
      { ...base, M: undefined },
      { ...base, b: 111, a: 222 },
      { ...base, M: undefined, b: 0, a: 999_999_999_999_999 }, // the scanner's largest: 15 digits
      { ...base, a: 5 },
    ];
    const events = variants.map((ev, i) => ({ ev, ingestion: 1_718_035_201_000_000n + BigInt(i) }));
    const wires = encodeDirect(events);
    events.forEach(({ ev, ingestion }, i) => expectSameAsGeneric(ev, ingestion, wires[i]!));
  });

  it('writes the generic bytes at the edges of every number', () => {
    const edges: Partial<TradeEvent>[] = [
      { t: 0 },
      { t: 63 },
      { t: 64 },
      { t: 2 ** 31 - 1 },
      { t: 2 ** 31 },
      { t: 2 ** 32 },
      { t: 999_999_999_999_999 }, // the scanner's largest: 15 digits
      { E: 0, T: 0 },
      { E: 9_007_199_254_740, T: 9_007_199_254_740 }, // MAX_TIMESTAMP_MILLIS
      { p: '0.00000001', q: '0.00000127' },
      { p: '0.00000128', q: '0.00032767' },
      { p: '0.00032768', q: '0.08388607' },
      { p: '0.08388608', q: '21.47483647' },
      { p: '21.47483648', q: '1099.51162777' },
      { p: '90071992.54740991', q: '1.00000000' }, // 2^53 - 1 units, 17 characters
      { p: '1.00000000', q: '12345678.12345678' },
      { s: 'ETHBTC' },
      { s: 'SHIBFDUSD' },
      { s: 'A1B2C3D4E5F6G7H8I9J0K1L2MUSDT' },
    ];
    const events = edges.map((e, i) => ({ ev: { ...base, ...e }, ingestion: BigInt(i * 1_000_003) }));
    events.push({ ev: base, ingestion: 9_007_199_254_740_990n }); // the largest long avsc writes from a number
    const wires = encodeDirect(events);
    events.forEach(({ ev, ingestion }, i) => expectSameAsGeneric(ev, ingestion, wires[i]!));
  });

  it('writes the generic bytes for 5,000 random trades (and grows its buffer on the way)', () => {
    const r = prng(20261122);
    const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLBTC', 'DOGETRY', 'XRPEUR', 'BNBFDUSD'];
    const int = (max: number) => Math.floor(r() * max);
    const decimal = () => {
      const whole = String(int(10 ** (1 + int(7))));
      const frac = String(int(1e8)).padStart(8, '0');
      return whole === '0' && frac === '00000000' ? '0.00000001' : `${whole}.${frac}`;
    };
    const events = Array.from({ length: 5000 }, () => {
      const ev: TradeEvent = {
        e: 'trade',
        E: int(2e12),
        s: symbols[int(symbols.length)]!,
        t: int(10 ** (1 + int(15))),
        p: decimal(),
        q: decimal(),
        T: int(2e12),
        m: r() < 0.5,
      };
      if (r() < 0.8) ev.M = r() < 0.5;
      if (r() < 0.3) ev.b = int(10 ** (1 + int(15)));
      if (r() < 0.3) ev.a = int(10 ** (1 + int(15)));
      return { ev, ingestion: BigInt(int(2e15)) };
    });
    const wires = encodeDirect(events);
    events.forEach(({ ev, ingestion }, i) => expectSameAsGeneric(ev, ingestion, wires[i]!));
    expect(new Set(wires.map((w) => decodeWire<TradeV2>(w, type).message_id)).size).toBe(events.length);
  });

  it('refuses what the record path must explain or encode another way', () => {
    const enc = new TradeEventEncoder();
    const refused: Partial<TradeEvent>[] = [
      { p: '0.00000000' }, // not positive: tradeEventToV2 throws
      { q: '0.00000000' },
      { p: '1.5' }, // not Binance's 8-decimal shape: parseScaled's business
      { p: '1.123456789' },
      { p: '1e5' },
      { p: '900719925.47409910' }, // 18 characters
      { p: '90071992.54740992' }, // 2^53 units
      { q: '-1.00000000' },
      { p: '12a45.00000000' },
      { s: 'ABCXYZ' }, // no known quote asset
    ];
    for (const e of refused) expect(enc.set(scanned({ ...base, ...e }), 1), JSON.stringify(e)).toBe(false);
    expect(enc.set(scanned(base), -1)).toBe(false);
    expect(enc.set(scanned(base), 1.5)).toBe(false);
    expect(enc.set(scanned(base), 9_007_199_254_740_991)).toBe(false); // the generic writer refuses it too
    expect(enc.set(scanned(base), 2 ** 60)).toBe(false);
    // a refused event leaves nothing to write
    expect(() => enc.writeBody(Buffer.alloc(4096), 0)).toThrow(/without an accepted event/);
    expect(enc.set(scanned(base), 1)).toBe(true);
    expect(enc.writeBody(Buffer.alloc(4096), 0)).toBeGreaterThan(0);
  });

  it('asks for a larger buffer instead of writing past the end', () => {
    const enc = new TradeEventEncoder();
    expect(enc.set(scanned(base), 1)).toBe(true);
    const small = Buffer.alloc(100, 0xee);
    expect(enc.writeBody(small, 0)).toBe(-1);
    expect(small.every((b) => b === 0xee)).toBe(true);
  });
});

describe('binanceUnits', () => {
  const units = (text: string): number => binanceUnits(Buffer.from(`"p":"${text}"}`), 5, 5 + text.length);

  it('reads 8-decimal text as units of 1e-8, exactly', () => {
    expect(units('67412.01000000')).toBe(6741201000000);
    expect(units('0.00000001')).toBe(1);
    expect(units('90071992.54740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(units('90071992.54740992')).toBe(-1);
    expect(units('0.00000000')).toBe(-1);
    expect(units('.00000001')).toBe(-1);
    expect(units('1.0000000a')).toBe(-1);
  });
});
