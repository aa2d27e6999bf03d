/**
 * The bundled sample session: exactly what the generator produces (determinism),
 * labelled synthetic, and realistic in the ways the demo relies on.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseScaled } from '../../src/model/decimal.js';
import { isTradeData, type BinanceBookTickerData, type BinanceTradeData } from '../../src/demo/sample/binance-frames.js';
import { buildSampleSession } from '../../src/demo/sample/build-session.js';
import { DEFAULT_SYMBOL_SPECS } from '../../src/demo/sample/market-model.js';
import { DEFAULT_SAMPLE_SESSION_PATH, decodeSession, encodeSession, loadSession, type SampleSession } from '../../src/demo/sample/session-file.js';
import { ValidationError } from '../../src/model/errors.js';
import { gzipSync } from 'node:zlib';

let session: SampleSession;
beforeAll(() => {
  session = loadSession();
});

const tradesOf = (s: SampleSession, symbol: string): { at: number; d: BinanceTradeData }[] =>
  s.events.flatMap((e) => (isTradeData(e.frame.data) && e.frame.data.s === symbol ? [{ at: e.at, d: e.frame.data }] : []));

describe('sample session generator', () => {
  it('is deterministic: the committed file is byte for byte what the generator writes', () => {
    const committed = readFileSync(DEFAULT_SAMPLE_SESSION_PATH);
    expect(encodeSession(buildSampleSession()).equals(committed)).toBe(true);
  });

  it('gives a different session for a different seed', () => {
    const a = buildSampleSession(1, 30_000);
    const b = buildSampleSession(2, 30_000);
    expect(JSON.stringify(a.events.slice(0, 50))).not.toBe(JSON.stringify(b.events.slice(0, 50)));
    expect(JSON.stringify(buildSampleSession(1, 30_000))).toBe(JSON.stringify(a));
  });

  it('is labelled as synthetic sample data and names its generator', () => {
    expect(session.header.synthetic).toBe(true);
    expect(session.header.description).toMatch(/SYNTHETIC SAMPLE DATA/);
    expect(session.header.generator).toBe('scripts/generate-sample-session.ts');
    expect(readFileSync(new URL('../../fixtures/demo/README.md', import.meta.url), 'utf8')).toMatch(/synthetic/i);
    expect(session.header.trades + session.header.quotes).toBe(session.events.length);
  });

  it('has a few hundred trades per minute per symbol, in bursts', () => {
    const minutes = session.header.duration_ms / 60_000;
    for (const { symbol } of DEFAULT_SYMBOL_SPECS) {
      const trades = tradesOf(session, symbol);
      const perMinute = trades.length / minutes;
      expect(perMinute, symbol).toBeGreaterThan(150);
      expect(perMinute, symbol).toBeLessThan(1000);
      // Bursty: inter-arrival times of distinct transaction times vary more than a Poisson process (CV = 1).
      const times = [...new Set(trades.map((t) => t.d.T))];
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
      const sd = Math.sqrt(gaps.reduce((a, b) => a + (b - mean) ** 2, 0) / gaps.length);
      expect(sd / mean, symbol).toBeGreaterThan(1.2);
    }
  });

  it('numbers trades consecutively per symbol, in send order, with T <= E and event times in order', () => {
    for (const { symbol, firstTradeId } of DEFAULT_SYMBOL_SPECS) {
      const trades = tradesOf(session, symbol);
      const bad = trades.filter(
        (t, i) => t.d.t !== firstTradeId + i || t.d.T > t.d.E || t.at !== t.d.E || (i > 0 && t.d.E < trades[i - 1]!.d.E),
      );
      expect(bad.slice(0, 3), symbol).toEqual([]);
      expect(trades.length).toBeGreaterThan(1000);
    }
  });

  it('rounds prices to the tick and sizes to the lot, with a heavy-tailed size distribution', () => {
    for (const spec of DEFAULT_SYMBOL_SPECS) {
      const tick = parseScaled(spec.tick);
      const lot = parseScaled(spec.lot);
      const trades = tradesOf(session, spec.symbol);
      const notionals: number[] = [];
      const bad: BinanceTradeData[] = [];
      for (const { d } of trades) {
        const p = parseScaled(d.p);
        const q = parseScaled(d.q);
        // on the tick, on the lot, positive, and with the 8 decimals Binance sends
        if (p % tick !== 0n || q % lot !== 0n || q <= 0n || !/^\d+\.\d{8}$/.test(d.p)) bad.push(d);
        notionals.push(Number(d.p) * Number(d.q));
      }
      expect(bad.slice(0, 3), spec.symbol).toEqual([]);
      notionals.sort((a, b) => a - b);
      const q = (f: number): number => notionals[Math.floor(f * (notionals.length - 1))]!;
      expect(q(0.99) / q(0.5), spec.symbol).toBeGreaterThan(15);
      // prices stay at realistic levels: within 2% of the start over ten minutes, ending near it
      const prices = trades.map((t) => Number(t.d.p));
      expect(Math.max(...prices.map((p) => Math.abs(p / spec.startPrice - 1)))).toBeLessThan(0.02);
      expect(Math.abs(prices[prices.length - 1]! / spec.startPrice - 1)).toBeLessThan(0.002);
    }
  });

  it('keeps bookTicker quotes consistent with trades: takers buy at the ask and sell at the bid', () => {
    const book = new Map<string, BinanceBookTickerData>();
    let lastOrder = '';
    let checked = 0;
    const updateIds = new Map<string, number>();
    for (const e of session.events) {
      const d = e.frame.data;
      if (!isTradeData(d)) {
        expect(parseScaled(d.b)).toBeLessThan(parseScaled(d.a));
        const prev = updateIds.get(d.s);
        if (prev !== undefined) expect(d.u).toBe(prev + 1);
        updateIds.set(d.s, d.u);
        book.set(d.s, d);
        continue;
      }
      const order = `${d.s}:${d.T}:${d.m}`;
      if (order !== lastOrder) {
        const top = book.get(d.s)!;
        expect(d.p).toBe(d.m ? top.b : top.a); // the first fill of each taker order
        checked++;
      }
      lastOrder = order;
    }
    expect(checked).toBeGreaterThan(1000);
  });
});

describe('sample session file', () => {
  it('reports a bad line with file, line and field', () => {
    const lines = [JSON.stringify(session.header), JSON.stringify({ at: 1, frame: { stream: 'btcusdt@trade', data: { e: 'trade' } } })];
    const bytes = gzipSync(Buffer.from(lines.join('\n')));
    expect(() => decodeSession(bytes, 'bad.jsonl.gz')).toThrow(ValidationError);
    try {
      decodeSession(bytes, 'bad.jsonl.gz');
    } catch (err) {
      expect((err as ValidationError).context).toMatchObject({ file: 'bad.jsonl.gz', line: 2 });
    }
  });

  it('refuses a file that is not labelled synthetic', () => {
    const header = { ...session.header, synthetic: false };
    const bytes = gzipSync(Buffer.from(`${JSON.stringify(header)}\n`));
    expect(() => decodeSession(bytes, 'x')).toThrow(/expected true/);
    expect(() => decodeSession(bytes, 'x')).toThrow(expect.objectContaining({ context: expect.objectContaining({ line: 1, field: 'synthetic' }) }));
  });
});
