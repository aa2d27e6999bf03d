/** Pruning rules: partition values and column bounds, never dropping a file that might match. */
import { describe, expect, it } from 'vitest';
import { isoToMicros } from '../../src/model/time.js';
import type { DataFileInfo } from '../../src/query/data-file-source.js';
import { exchangesForSymbol, planScan } from '../../src/query/scan-planner.js';

const day = (iso: string): number => Math.floor(Number(isoToMicros(iso) / 86_400_000_000n));

function file(path: string, d: string | null, exchange: string | null, sym: [string, string] | null, ts: [string, string] | null): DataFileInfo {
  return {
    path,
    recordCount: 10,
    partition: { timestampDay: d === null ? null : day(d), exchange },
    symbolBounds: sym === null ? null : { lower: sym[0], upper: sym[1] },
    timestampBounds: ts === null ? null : { lower: isoToMicros(ts[0]), upper: isoToMicros(ts[1]) },
  };
}

const FILES = [
  file('a', '2014-03-10', 'ASX', ['BHP', 'CBA'], ['2014-03-10T00:00:00Z', '2014-03-10T05:00:00Z']),
  file('b', '2014-03-11', 'ASX', ['BHP', 'WBC'], ['2014-03-11T00:00:00Z', '2014-03-11T05:00:00Z']),
  file('c', '2014-03-10', 'BINANCE', ['BTCUSDT', 'ETHUSDT'], ['2014-03-10T00:00:00Z', '2014-03-10T23:59:59Z']),
  file('d', null, null, null, null),
];

describe('planScan', () => {
  it('keeps everything without a filter', () => {
    const p = planScan(FILES, {});
    expect(p.files.map((f) => f.path)).toEqual(['a', 'b', 'c', 'd']);
    expect(p.filesSkipped).toBe(0);
  });

  it('skips by exchange partition', () => {
    const p = planScan(FILES, { exchange: 'BINANCE' });
    expect(p.files.map((f) => f.path)).toEqual(['c', 'd']);
    expect(p.skippedBy).toEqual({ partition: 2, bounds: 0 });
  });

  it('skips by day partition using half-open time ranges', () => {
    const p = planScan(FILES, { fromMicros: isoToMicros('2014-03-11T00:00:00Z'), toMicros: isoToMicros('2014-03-12T00:00:00Z') });
    expect(p.files.map((f) => f.path)).toEqual(['b', 'd']);
    // `to` exactly at midnight does not pull in the next day
    const q = planScan(FILES, { fromMicros: isoToMicros('2014-03-10T00:00:00Z'), toMicros: isoToMicros('2014-03-11T00:00:00Z') });
    expect(q.files.map((f) => f.path)).toEqual(['a', 'c', 'd']);
  });

  it('skips by symbol bounds (UTF-8 order) and timestamp bounds', () => {
    expect(planScan(FILES, { symbols: ['ZZZ'] }).files.map((f) => f.path)).toEqual(['d']);
    expect(planScan(FILES, { symbols: ['CSL'] }).files.map((f) => f.path)).toEqual(['b', 'c', 'd']);
    expect(planScan(FILES, { symbols: ['XRP'] }).files.map((f) => f.path)).toEqual(['d']);
    expect(planScan(FILES, { symbols: ['AAA', 'ETHUSDT'] }).files.map((f) => f.path)).toEqual(['b', 'c', 'd']);
    expect(planScan(FILES, { symbols: ['AAA', 'BHP'] }).files.map((f) => f.path)).toEqual(['a', 'b', 'd']);
    const p = planScan(FILES, { fromMicros: isoToMicros('2014-03-10T06:00:00Z'), toMicros: isoToMicros('2014-03-10T07:00:00Z') });
    expect(p.files.map((f) => f.path)).toEqual(['c', 'd']);
    expect(p.skippedBy).toEqual({ partition: 1, bounds: 1 });
    // a file whose upper bound equals `from` may hold a matching row
    expect(planScan(FILES, { fromMicros: isoToMicros('2014-03-10T05:00:00Z') }).files.map((f) => f.path)).toContain('a');
    // a file whose lower bound equals the exclusive `to` cannot
    expect(planScan(FILES, { toMicros: isoToMicros('2014-03-11T00:00:00Z') }).files.map((f) => f.path)).not.toContain('b');
  });

  it('counts scanned records and finds the exchanges a symbol may be in', () => {
    expect(planScan(FILES, { symbols: ['BHP'] }).recordsScanned).toBe(30);
    expect(exchangesForSymbol(FILES, 'BTCUSDT')).toEqual(new Set(['ASX', 'BINANCE', null]));
    expect(exchangesForSymbol([FILES[0]!, FILES[2]!], 'ETHUSDT')).toEqual(new Set(['BINANCE']));
  });
});
