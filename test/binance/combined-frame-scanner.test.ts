/**
 * The fast path (CombinedFrameScanner + the *EventToV2 mappers) must give exactly
 * the outcome of the reference path (JSON.parse + zod + mappers) on every frame:
 * the same record on valid frames, and on anything else a decline that lets the
 * reference path produce the same typed error. Checked on random frames of the
 * three channels (random key orders, optional and extra fields, edge-case
 * decimals), on every fixture line, and on mutations of all of them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BinanceMessageError } from '../../src/sources/binance/errors.js';
import { BinanceFrameConverter, type FrameOutcome } from '../../src/sources/binance/frame-converter.js';
import { CombinedFrameScanner, TradeSpan } from '../../src/sources/binance/combined-frame-scanner.js';
import { aggTradeEventSchema, bookTickerEventSchema, tradeEventSchema } from '../../src/sources/binance/schemas.js';

const INGEST = 1_718_035_201_000_000n;

/** A converter whose message ids restart at 1 before every frame, so two converters can be compared. */
function converter(): { c: BinanceFrameConverter; reset: () => void } {
  let seq = 0;
  const c = new BinanceFrameConverter({ now: () => INGEST, newMessageId: () => `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}` });
  return { c, reset: () => (seq = 0) };
}
const fast = converter();
const reference = converter();

/** Comparable form of an outcome: errors by type, message and context. */
function shape(o: FrameOutcome): unknown {
  if (o.type !== 'error') return o;
  expect(o.error).toBeInstanceOf(BinanceMessageError);
  return { type: 'error', errorType: o.error.errorType, code: o.error.code, message: o.error.message, context: o.error.context };
}

/** convertText (fast path first) and convertGeneral (reference only) agree on `text`. */
function same(text: string): FrameOutcome {
  fast.reset();
  reference.reset();
  const a = fast.c.convertText(text);
  const b = reference.c.convertGeneral(text);
  expect(shape(a), text).toEqual(shape(b));
  if (a.type === 'record' && b.type === 'record') {
    // same keys in the same order (the Avro map encoding follows insertion order)
    expect(Object.keys(a.tagged.record), text).toEqual(Object.keys(b.tagged.record));
    expect(Object.keys(a.tagged.record.vendor_data ?? {}), text).toEqual(Object.keys(b.tagged.record.vendor_data ?? {}));
  }
  return a;
}

// ---- random frames -------------------------------------------------------

let seed = 20240611;
function rnd(n: number): number {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed % n;
}
const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;

const EDGE_DECIMALS = [
  '0.00000001', '123456789.12345678', '9999999999.99999999', '99999999.00000000', '1', '100', '0.1', '12.3456', '67412.01000000',
  '0000000001.00000000', '1.', '.5', '1.000000000000', '100000000000', '5e-8', '1E2', '0.00000000', '-1.00000000', '1.000000001',
  '99999999999.00000000', 'abc', ' 1.0', '1,5', '١.5',
];
function decimal(): string {
  if (rnd(4) === 0) return pick(EDGE_DECIMALS);
  const int = String(rnd(10 ** (1 + rnd(9))));
  return rnd(5) === 0 ? int : `${int}.${String(rnd(10 ** 8)).padStart(8, '0')}`;
}
const SYMBOLS = ['BTCUSDT', 'ETHBTC', 'BNBBTC', 'FDUSDUSDT', 'BTCTRY', 'SOLFDUSD', 'A1B2C3D4E5F6G7H8USDT', 'XYZ', 'ABCXYZ'];
const uint = (): number => pick([0, 1, 7, rnd(1_000_000), 1_718_035_200_000 + rnd(10 ** 6), 999_999_999_999_999, 2 ** 53 - 1]);
/** Event and trade times: like uint, with the v2 bound (9_007_199_254_740 ms, June 2255) and, rarely, just past it. */
const millis = (): number =>
  pick([0, 1, 7, rnd(1_000_000), 1_718_035_200_000 + rnd(10 ** 6), 1_718_035_200_000 + rnd(10 ** 6), 9_007_199_254_740, rnd(10) === 0 ? 9_007_199_254_741 : 1_718_035_200_000]);

function shuffled<T>(xs: T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rnd(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function randomPayload(channel: 'trade' | 'aggTrade' | 'bookTicker', symbol: string): Record<string, unknown> {
  let fields: [string, unknown][];
  if (channel === 'trade') {
    fields = [['e', 'trade'], ['E', millis()], ['s', symbol], ['t', uint()], ['p', decimal()], ['q', decimal()], ['T', millis()], ['m', rnd(2) === 0]];
    if (rnd(4) > 0) fields.push(['M', rnd(2) === 0]);
    if (rnd(3) === 0) fields.push(['b', uint()], ['a', uint()]);
  } else if (channel === 'aggTrade') {
    fields = [['e', 'aggTrade'], ['E', millis()], ['s', symbol], ['a', uint()], ['p', decimal()], ['q', decimal()], ['f', uint()], ['l', uint()], ['T', millis()], ['m', rnd(2) === 0]];
    if (rnd(4) > 0) fields.push(['M', rnd(2) === 0]);
  } else {
    fields = [['u', uint()], ['s', symbol]];
    for (const k of ['b', 'B', 'a', 'A']) {
      const r = rnd(6);
      if (r === 0) continue;
      fields.push([k, r === 1 ? null : rnd(5) === 0 ? '0.00000000' : decimal()]);
    }
    if (rnd(3) === 0) fields.push(['e', 'bookTicker'], ['E', millis()], ['T', millis()]);
  }
  if (rnd(5) === 0) fields.push([pick(['x', 'X', 'ignore', 'Z9']), pick([1, 'y', true, null])]);
  // Binance's own order most of the time, any order otherwise
  return Object.fromEntries(rnd(3) === 0 ? shuffled(fields) : fields);
}

function randomFrame(): string {
  const channel = pick(['trade', 'aggTrade', 'bookTicker'] as const);
  const symbol = pick(SYMBOLS);
  return JSON.stringify({ stream: `${symbol.toLowerCase()}@${channel}`, data: randomPayload(channel, symbol) });
}

const fixtureLines = readFileSync(new URL('../../fixtures/binance/combined-frames.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.length > 0);

describe('fast path = reference path', () => {
  it('on 3000 random frames of the three channels, most of them taking the fast path', () => {
    const scanner = new CombinedFrameScanner();
    let records = 0;
    let fastRecords = 0;
    for (let i = 0; i < 3000; i++) {
      const text = randomFrame();
      const scanned = scanner.scan(Buffer.from(text)) !== null;
      if (same(text).type === 'record') {
        records++;
        if (scanned) fastRecords++;
      }
    }
    expect(records).toBeGreaterThan(1200);
    expect(fastRecords).toBeGreaterThan(900);
  });

  it('on the edge-case decimals, as trade price and quantity and as quote sides', () => {
    for (const d of EDGE_DECIMALS) {
      const trade = { e: 'trade', E: 1718035200123, s: 'BTCUSDT', t: 42, p: d, q: d, T: 1718035200121, m: false, M: true };
      const out = same(JSON.stringify({ stream: 'btcusdt@trade', data: trade }));
      if (['0.00000001', '123456789.12345678', '9999999999.99999999', '1.'].includes(d)) expect(out.type, d).toBe('record');
      same(JSON.stringify({ stream: 'btcusdt@bookTicker', data: { u: 1, s: 'BTCUSDT', b: d, B: d, a: '1.00000000', A: d } }));
    }
    const exact = same('{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"123456789.12345678","q":"0.00000001","T":1,"m":true}}');
    expect(exact.type === 'record' && exact.tagged.kind === 'trades' && [exact.tagged.record.price, exact.tagged.record.quantity]).toEqual([12_345_678_912_345_678n, 1n]);
  });

  it('on every fixture line', () => {
    const types = fixtureLines.map((l) => same(l).type);
    expect(types.filter((t) => t === 'record')).toHaveLength(12);
    expect(types.filter((t) => t === 'error')).toHaveLength(7);
  });

  it('on mutations: whitespace, escapes, odd values, deleted keys, truncation, trailing bytes', () => {
    const bases = [...fixtureLines, ...Array.from({ length: 150 }, randomFrame)];
    const ODD = ['1.5', '-1', '1e3', '01', '1234567890123456', '9007199254740993', 'null', 'true', '"x"', '""', '[]', '{}', '"\\u0042TCUSDT"', '"BTC\\"USDT"', '"btcusdt"', '"trade"'];
    let n = 0;
    for (const base of bases) {
      const variants = [
        base.replace(/,/g, ', '),
        base.replace(':{', ': {'),
        ` ${base}`,
        `${base} `,
        `${base}}`,
        base.slice(0, -1),
        base.slice(0, Math.floor(base.length / 2)),
        base.replace('"stream"', '"Stream"'),
        base.replace('@', '@@'),
        base.replace(/"s":"([A-Z0-9]+)"/, (_m, s: string) => `"s":"${s.toLowerCase()}"`),
        base.replace(/"s":"([A-Z0-9]+)"/, '"s":"\\u0042TCUSDT"'),
        base.replace(/"e":"(\w+)"/, '"e":"serverShutdown"'),
        base.replace('{"stream":"', '{"stream":"X'),
        base.replace(/"data":\{/, '"data":{"__proto__":{"p":"1"},'),
        base.replace(/"data":\{/, '"data":{"p":"1.00000000",'),
        base.replace(/,"[A-Za-z]":[^,}]+/, ''),
        base.replace(/"M":(true|false)/, '"M":null'),
        base.replace(/"[bBaA]":"[^"]*"/, '"b":null'),
      ];
      for (const key of ['E', 't', 'T', 'p', 'q', 's', 'u', 'a', 'f', 'l', 'm', 'b', 'e']) {
        const re = new RegExp(`"${key}":("[^"]*"|[^,}]+)`);
        if (re.test(base)) for (const v of ODD) variants.push(base.replace(re, `"${key}":${v}`));
      }
      for (const v of variants) {
        same(v);
        n++;
      }
    }
    expect(n).toBeGreaterThan(8000);
  });
});

describe('CombinedFrameScanner', () => {
  const cases = [
    ['trade', tradeEventSchema],
    ['aggTrade', aggTradeEventSchema],
    ['bookTicker', bookTickerEventSchema],
  ] as const;

  it('fills an event equal, on every field the schema reads, to what JSON.parse + zod give', () => {
    const scanner = new CombinedFrameScanner();
    let checked = 0;
    for (let i = 0; i < 2000; i++) {
      const text = randomFrame();
      const channel = scanner.scan(Buffer.from(text));
      if (channel === null) continue;
      const [, schema] = cases.find(([c]) => c === channel)!;
      const parsed = schema.safeParse((JSON.parse(text) as { data: unknown }).data);
      expect(parsed.success, text).toBe(true);
      const event = scanner[channel] as Record<string, unknown>;
      const expected = parsed.data as Record<string, unknown>;
      for (const key of Object.keys(schema.shape)) expect(event[key], `${key} of ${text}`).toEqual(expected[key]);
      checked++;
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it("points a trade's spans at the text of p and q and the digits of t, E, T, b and a", () => {
    const scanner = new CombinedFrameScanner();
    let checked = 0;
    for (let i = 0; i < 2000; i++) {
      const text = randomFrame();
      const frame = Buffer.from(text);
      if (scanner.scan(frame) !== 'trade') continue;
      const data = (JSON.parse(text) as { data: Record<string, unknown> }).data;
      const span = (at: number): string => frame.toString('latin1', scanner.tradeSpans[at], scanner.tradeSpans[at + 1]);
      expect(span(TradeSpan.P), text).toBe(data.p);
      expect(span(TradeSpan.Q), text).toBe(data.q);
      expect(span(TradeSpan.T_ID), text).toBe(String(data.t));
      expect(span(TradeSpan.E), text).toBe(String(data.E));
      expect(span(TradeSpan.T), text).toBe(String(data.T));
      expect(span(TradeSpan.B), text).toBe(data.b === undefined ? '' : String(data.b));
      expect(span(TradeSpan.A), text).toBe(data.a === undefined ? '' : String(data.a));
      // the numbers without p and q, and p and q once the event is read
      expect(scanner.tradeNumbers.t).toBe(data.t);
      expect([scanner.trade.p, scanner.trade.q]).toEqual([data.p, data.q]);
      checked++;
    }
    expect(checked).toBeGreaterThan(300);
  });

  it('reads UTF-8 bytes: non-ASCII text in a value it skips is fine, in a decimal it declines', () => {
    const scanner = new CombinedFrameScanner();
    const trade = '{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1.5","q":"2","T":1,"m":true}}';
    expect(scanner.scan(Buffer.from(trade.replace('"m":true', '"m":true,"x":"é€😀","é":1')))).toBe('trade');
    expect([scanner.trade.p, scanner.trade.q]).toEqual(['1.5', '2']);
    expect(scanner.scan(Buffer.from(trade.replace('"p":"1.5"', '"p":"١.5"')))).toBeNull();
    expect(scanner.scan(Buffer.from(trade.replace('"p":"1.5"', '"p":"1.5é"')))).toBeNull();
    same(trade.replace('"p":"1.5"', '"p":"١.5"'));
    same(trade.replace('"m":true', '"m":true,"é":"ü"'));
  });

  it('declines what is outside its subset', () => {
    const scanner = new CombinedFrameScanner();
    const trade = '{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1","q":"1","T":1,"m":true}}';
    expect(scanner.scan(Buffer.from(trade))).toBe('trade');
    for (const text of [
      trade.replace('"t":1', '"t":1.0'),
      trade.replace('"t":1', '"t":1e0'),
      trade.replace('"t":1', '"t":-1'),
      trade.replace('"t":1', '"t":0001'),
      trade.replace('"t":1', '"t":1234567890123456'),
      trade.replace('"t":1', '"t": 1'),
      trade.replace('"t":1,', ''),
      trade.replace('"s":"BTCUSDT"', '"s":"BTC\\u0055SDT"'),
      trade.replace('"p":"1"', '"p":"1\t"'),
      trade.replace('"p":"1"', `"p":"${'1'.repeat(65)}"`),
      trade.replace('"p":"1"', '"p":""'),
      trade.replace('"m":true', '"m":1'),
      trade.replace('"e":"trade"', '"e":"aggTrade"'),
      trade.replace('btcusdt@trade', 'ethusdt@trade'),
      trade.replace('btcusdt@trade', 'btcusdt@trade@x'),
      trade.replace('btcusdt@trade', 'btcusdt@depth'),
      trade.replace('"data":{', '"data":{"x":[1],'),
      `${trade}\n`,
      trade.slice(0, -1),
    ]) {
      expect(scanner.scan(Buffer.from(text)), text).toBeNull();
    }
  });
});
