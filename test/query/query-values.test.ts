/** Exact decimal helpers, k2.offsets parsing, trading days, and parameter validation. */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/model/errors.js';
import { parseCommittedOffsets } from '../../src/query/committed-offsets.js';
import { divideDecimalStrings, normalizeDecimal } from '../../src/query/exact-decimal.js';
import { exchangeTimeZone, tradingDayRange } from '../../src/query/exchange-time-zone.js';
import { barsQuerySchema, parseQuery, snapshotSelectorOf, summaryQuerySchema, tradeQuerySchema, wantsFresh } from '../../src/query/query-params.js';

describe('exact decimals', () => {
  it('divides with half-even rounding at scale 8, never through floats', () => {
    expect(divideDecimalStrings('1', '3')).toBe('0.33333333');
    expect(divideDecimalStrings('2', '3')).toBe('0.66666667');
    expect(divideDecimalStrings('0.000000005', '1')).toBe('0.00000000');
    expect(divideDecimalStrings('0.000000015', '1')).toBe('0.00000002');
    expect(divideDecimalStrings('-2', '3')).toBe('-0.66666667');
    expect(divideDecimalStrings('123456789012345678901234.5678901234567890', '3.00000000')).toBe('41152263004115226300411.52263004');
    expect(divideDecimalStrings('1', '0')).toBeNull();
  });
  it('normalises scale without losing digits', () => {
    expect(normalizeDecimal('1.5000000000000000')).toBe('1.50000000');
    expect(normalizeDecimal('1.1234567890123456')).toBe('1.1234567890123456');
    expect(normalizeDecimal('7')).toBe('7.00000000');
  });
});

describe('k2.offsets', () => {
  it('parses object and array shapes, with offsets beyond 2^53', () => {
    const a = parseCommittedOffsets({ 'k2.offsets': '{"market.crypto.trades.binance":{"0":12,"1":"9007199254740993"}}' });
    expect(a.get('market.crypto.trades.binance')).toEqual(new Map([[0, 12n], [1, 9007199254740993n]]));
    const b = parseCommittedOffsets({ 'k2.offsets': '[{"topic":"t","partition":2,"offset":5}]' });
    expect(b.get('t')).toEqual(new Map([[2, 5n]]));
    expect(parseCommittedOffsets({}).size).toBe(0);
    expect(parseCommittedOffsets(undefined).size).toBe(0);
    expect(() => parseCommittedOffsets({ 'k2.offsets': 'nope' })).toThrow(ValidationError);
  });
});

describe('trading days', () => {
  it('maps ASX dates to the Sydney session and crypto to UTC', () => {
    expect(exchangeTimeZone('ASX')).toBe('Australia/Sydney');
    expect(exchangeTimeZone('BINANCE')).toBe('UTC');
    const asx = tradingDayRange('2014-03-10', 'Australia/Sydney');
    expect(new Date(Number(asx.fromMicros / 1000n)).toISOString()).toBe('2014-03-09T13:00:00.000Z');
    // daylight saving ended on 2014-04-06 in Sydney: that day lasts 25 hours
    const dst = tradingDayRange('2014-04-06', 'Australia/Sydney');
    expect(dst.toMicros - dst.fromMicros).toBe(25n * 3_600_000_000n);
  });
});

describe('query parameters', () => {
  it('validates with errors naming the caller’s parameter', () => {
    const names = { from: '--from', to: '--to', interval: '--interval', limit: '--limit' };
    expect(() => parseQuery(tradeQuerySchema, { from: '2014-03-11', to: '2014-03-10' }, names)).toThrow(/invalid --from: must be before --to/);
    expect(() => parseQuery(barsQuerySchema, { symbol: 'X', interval: '2m' }, names)).toThrow(/invalid --interval/);
    expect(() => parseQuery(tradeQuerySchema, { limit: '0' }, names)).toThrow(/invalid --limit/);
    expect(() => parseQuery(summaryQuerySchema, { symbol: 'X', date: '2014-02-30' })).toThrow(/invalid date/);
    expect(() => parseQuery(tradeQuerySchema, { symbol: 'A\u0000B' })).toThrow(/control characters/);
  });
  it('caps limits, splits symbol lists and normalises side', () => {
    const q = parseQuery(tradeQuerySchema, { limit: '999999999', symbol: 'BHP, CBA', side: 'buy', order: 'DESC' });
    expect(q.limit).toBe(100_000);
    expect(q.symbol).toEqual(['BHP', 'CBA']);
    expect(q.side).toBe('BUY');
    expect(q.order).toBe('desc');
  });
  it('selects snapshots for time travel and turns fresh reads off then', () => {
    const a = parseQuery(tradeQuerySchema, { asOf: '2014-03-10T00:00:00Z' });
    expect(snapshotSelectorOf(a)).toEqual({ kind: 'as-of', timestampMs: 1394409600000 });
    expect(wantsFresh(a)).toBe(false);
    const s = parseQuery(tradeQuerySchema, { snapshot: '9007199254740993' });
    expect(snapshotSelectorOf(s)).toEqual({ kind: 'snapshot-id', snapshotId: 9007199254740993n });
    expect(() => parseQuery(tradeQuerySchema, { snapshot: '1', asOf: '2014-03-10' })).toThrow(/not both/);
    expect(wantsFresh(parseQuery(tradeQuerySchema, {}))).toBe(true);
  });
});
