/**
 * The query engine over real Iceberg tables written by k2's writer: results match a
 * brute-force reference, pruning skips files, time travel reads older state, and
 * user values are bound as parameters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IcebergDataFileSource } from '../../src/query/iceberg-data-file-source.js';
import { QueryService } from '../../src/query/query-service.js';
import { barsQuerySchema, parseQuery, summaryQuerySchema, tradeQuerySchema, quoteQuerySchema } from '../../src/query/query-params.js';
import type { TradeV2 } from '../../src/model/trade.js';
import { isoToMicros } from '../../src/model/time.js';
import { tempDir } from '../support/tmp.js';
import { icebergFixture, type IcebergFixture } from './support/iceberg-fixture.js';
import { fmt8, localDay, referenceOhlcv, syntheticQuotes, syntheticTrades } from './support/synthetic-trades.js';

const DATES = ['2014-03-10', '2014-03-11', '2014-03-12'];

describe('QueryService over Iceberg', () => {
  const tmp = tempDir('k2-query-');
  let fx: IcebergFixture;
  let service: QueryService;
  let firstBatch: TradeV2[];
  let all: TradeV2[];
  let firstSnapshot: bigint;

  beforeAll(async () => {
    fx = await icebergFixture(tmp.path);
    const trades = syntheticTrades({ dates: DATES, perDay: 400 });
    // Two commits: the first two days, then the third day. Time travel reads the first.
    firstBatch = trades.filter((t) => t.timestamp < isoToMicros('2014-03-11T12:00:00Z'));
    const second = trades.filter((t) => t.timestamp >= isoToMicros('2014-03-11T12:00:00Z'));
    firstSnapshot = await fx.appendTrades(firstBatch);
    await new Promise((r) => setTimeout(r, 5));
    await fx.appendTrades(second);
    await fx.appendQuotes(syntheticQuotes(trades));
    all = trades;
    service = new QueryService({ files: new IcebergDataFileSource(fx.catalog) });
  });

  afterAll(async () => {
    await fx?.close();
    tmp.cleanup();
  });

  it('returns every matching trade with exact decimals, in time order', async () => {
    const q = parseQuery(tradeQuerySchema, { symbol: 'BHP', side: 'buy', limit: '100000' });
    const r = await service.trades(q);
    const expected = all.filter((t) => t.symbol === 'BHP' && t.side === 'BUY').sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
    expect(r.rows.length).toBe(expected.length);
    expect(r.rows.map((x) => x.trade_id)).toEqual(expected.map((t) => t.trade_id));
    expect(r.rows.map((x) => x.price)).toEqual(expected.map((t) => fmt8(t.price)));
    expect(r.rows.map((x) => x.quantity)).toEqual(expected.map((t) => fmt8(t.quantity)));
    expect(r.rows[0]!.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    expect(isoToMicros(String(r.rows[0]!.timestamp))).toBe(expected[0]!.timestamp);
  });

  it('applies limit and order desc', async () => {
    const r = await service.trades(parseQuery(tradeQuerySchema, { symbol: 'CBA', limit: '5', order: 'desc' }));
    const expected = all.filter((t) => t.symbol === 'CBA').sort((a, b) => (a.timestamp > b.timestamp ? -1 : 1)).slice(0, 5);
    expect(r.rows.map((x) => x.trade_id)).toEqual(expected.map((t) => t.trade_id));
  });

  it('prunes files by partition and bounds, and reports it', async () => {
    const from = isoToMicros('2014-03-10T00:00:00Z');
    const to = isoToMicros('2014-03-10T01:00:00Z');
    const r = await service.trades(parseQuery(tradeQuerySchema, { symbol: 'BTCUSDT', exchange: 'BINANCE', from: '2014-03-10T00:00:00Z', to: '2014-03-10T01:00:00Z', limit: '100000' }));
    const plan = r.plans[0]!;
    expect(plan.filesTotal).toBeGreaterThan(3);
    expect(plan.filesScanned).toBe(1);
    expect(plan.filesSkipped).toBe(plan.filesTotal - 1);
    expect(plan.skippedByPartition + plan.skippedByBounds).toBe(plan.filesSkipped);
    const expected = all.filter((t) => t.symbol === 'BTCUSDT' && t.timestamp >= from && t.timestamp < to);
    expect(r.rows.length).toBe(expected.length);
    expect(expected.length).toBeGreaterThan(0);
  });

  it('skips files by symbol bounds alone', async () => {
    const r = await service.trades(parseQuery(tradeQuerySchema, { symbol: 'AAA' }));
    expect(r.rows).toEqual([]);
    expect(r.plans[0]!.filesScanned).toBe(0);
    expect(r.plans[0]!.skippedByBounds).toBe(r.plans[0]!.filesTotal);
    const z = await service.trades(parseQuery(tradeQuerySchema, { symbol: 'CBA', limit: '100000' }));
    // CBA sorts after BTCUSDT, so every BINANCE file is skipped by its bounds
    expect(z.plans[0]!.skippedByBounds).toBeGreaterThanOrEqual(DATES.length);
    expect(z.plans[0]!.filesScanned + z.plans[0]!.filesSkipped).toBe(z.plans[0]!.filesTotal);
    expect(z.rows.length).toBe(all.filter((t) => t.symbol === 'CBA').length);
  });

  it('computes the ASX trading-date summary in Australia/Sydney, matching the reference', async () => {
    const r = await service.summary(parseQuery(summaryQuerySchema, { symbol: 'BHP', date: '2014-03-11' }));
    const day = localDay('2014-03-11', 'Australia/Sydney');
    const ref = referenceOhlcv(all.filter((t) => t.symbol === 'BHP' && t.timestamp >= day.from && t.timestamp < day.to))!;
    const row = r.rows[0]!;
    expect(row.exchange).toBe('ASX');
    expect(row.time_zone).toBe('Australia/Sydney');
    expect(row.session_start).toBe('2014-03-10T13:00:00.000000Z');
    expect({ open: row.open, high: row.high, low: row.low, close: row.close, volume: row.volume, trade_count: row.trade_count, notional: row.notional, vwap: row.vwap }).toEqual(ref);
  });

  it('computes 1m and 1d bars matching the reference', async () => {
    const bars = await service.bars(parseQuery(barsQuerySchema, { symbol: 'BTCUSDT', interval: '1m', from: '2014-03-11T00:00:00Z', to: '2014-03-11T06:00:00Z' }));
    const from = isoToMicros('2014-03-11T00:00:00Z');
    const to = isoToMicros('2014-03-11T06:00:00Z');
    const inRange = all.filter((t) => t.symbol === 'BTCUSDT' && t.timestamp >= from && t.timestamp < to);
    const byMinute = new Map<bigint, TradeV2[]>();
    for (const t of inRange) {
      const b = t.timestamp - (t.timestamp % 60_000_000n);
      byMinute.set(b, [...(byMinute.get(b) ?? []), t]);
    }
    expect(bars.rows.length).toBe(byMinute.size);
    for (const row of bars.rows) {
      const ref = referenceOhlcv(byMinute.get(isoToMicros(String(row.bucket_start)))!)!;
      expect({ open: row.open, high: row.high, low: row.low, close: row.close, volume: row.volume, trade_count: row.trade_count, notional: row.notional, vwap: row.vwap }).toEqual(ref);
    }
    const daily = await service.bars(parseQuery(barsQuerySchema, { symbol: 'BHP', interval: '1d' }));
    expect(daily.rows.map((r) => r.trading_date)).toEqual(DATES);
    expect(daily.rows[0]!.bucket_start).toBe('2014-03-09T13:00:00.000000Z');
    for (const row of daily.rows) {
      const d = localDay(String(row.trading_date), 'Australia/Sydney');
      const ref = referenceOhlcv(all.filter((t) => t.symbol === 'BHP' && t.timestamp >= d.from && t.timestamp < d.to))!;
      expect(row.volume).toBe(ref.volume);
      expect(row.vwap).toBe(ref.vwap);
      expect(row.trade_count).toBe(ref.trade_count);
    }
  });

  it('time travel by snapshot id and by time returns the older state', async () => {
    const older = await service.trades(parseQuery(tradeQuerySchema, { limit: '100000', snapshot: firstSnapshot.toString() }));
    expect(older.rows.length).toBe(firstBatch.length);
    expect(older.plans[0]!.snapshotId).toBe(firstSnapshot.toString());
    const snaps = await service.snapshots('trades_v2');
    expect(snaps.rows.length).toBe(2);
    const firstCommit = String(snaps.rows[0]!.committed_at);
    const asOf = await service.trades(parseQuery(tradeQuerySchema, { limit: '100000', asOf: firstCommit }));
    expect(asOf.rows.length).toBe(firstBatch.length);
    const now = await service.trades(parseQuery(tradeQuerySchema, { limit: '100000' }));
    expect(now.rows.length).toBe(all.length);
    await expect(service.trades(parseQuery(tradeQuerySchema, { snapshot: '12345' }))).rejects.toThrow(/no snapshot 12345/);
    await expect(service.trades(parseQuery(tradeQuerySchema, { asOf: '2000-01-01T00:00:00Z' }))).rejects.toThrow(/no snapshot at or before/);
  });

  it('lists symbols with counts', async () => {
    const r = await service.symbols();
    expect(r.rows.map((x) => [x.symbol, x.exchange, x.trade_count])).toEqual([
      ['BHP', 'ASX', String(all.filter((t) => t.symbol === 'BHP').length)],
      ['BTCUSDT', 'BINANCE', String(all.filter((t) => t.symbol === 'BTCUSDT').length)],
      ['CBA', 'ASX', String(all.filter((t) => t.symbol === 'CBA').length)],
    ]);
  });

  it('reads quotes with null sides as null', async () => {
    const r = await service.quotes(parseQuery(quoteQuerySchema, { symbol: 'BHP', limit: '100000' }));
    expect(r.rows.length).toBe(all.filter((t) => t.symbol === 'BHP').length);
    expect(r.rows.some((x) => x.ask_price === null)).toBe(true);
  });

  it('treats injection strings as literal values that match nothing', async () => {
    for (const evil of ["' OR 1=1 --", '"; DROP TABLE trades_v2; --', "BHP' UNION SELECT * FROM read_parquet('/etc/passwd') --"]) {
      for (const key of ['symbol', 'exchange', 'currency']) {
        const r = await service.trades(parseQuery(tradeQuerySchema, { [key]: evil, limit: '100000' }));
        expect(r.rows).toEqual([]);
      }
      const s = await service.summary(parseQuery(summaryQuerySchema, { symbol: evil, date: '2014-03-10' }));
      expect(s.rows[0]!.trade_count).toBe('0');
      const b = await service.bars(parseQuery(barsQuerySchema, { symbol: evil, interval: '1h' }));
      expect(b.rows).toEqual([]);
    }
    // the table is intact
    const r = await service.trades(parseQuery(tradeQuerySchema, { limit: '100000' }));
    expect(r.rows.length).toBe(all.length);
  });
});
