/**
 * `k2 query sql` runs one SELECT over the views with file access disabled: the views
 * work, and reading other files, writing, COPY, ATTACH, SET and multiple statements
 * all fail cleanly.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IcebergDataFileSource } from '../../src/query/iceberg-data-file-source.js';
import { runReadOnlySql } from '../../src/query/read-only-sql.js';
import { FRESH_TURNED_OFF } from '../../src/query/tail-source.js';
import { K2Error } from '../../src/model/errors.js';
import type { TradeV2 } from '../../src/model/trade.js';
import { tempDir } from '../support/tmp.js';
import { icebergFixture, type IcebergFixture } from './support/iceberg-fixture.js';
import { fmt8, syntheticQuotes, syntheticTrades } from './support/synthetic-trades.js';

describe('read-only SQL', () => {
  const tmp = tempDir('k2-sql-');
  let fx: IcebergFixture;
  let files: IcebergDataFileSource;
  let trades: TradeV2[];

  beforeAll(async () => {
    fx = await icebergFixture(tmp.path);
    trades = syntheticTrades({ dates: ['2014-03-10', '2014-03-11'], perDay: 100 });
    await fx.appendTrades(trades);
    await fx.appendQuotes(syntheticQuotes(trades));
    files = new IcebergDataFileSource(fx.catalog);
  });
  afterAll(async () => {
    await fx?.close();
    tmp.cleanup();
  });

  const run = (sql: string, parquetOut?: string) => runReadOnlySql({ files, selector: { kind: 'current' }, freshSkip: FRESH_TURNED_OFF, sql, parquetOut });

  it('answers SELECTs over trades and quotes exactly', async () => {
    const r = await run('SELECT symbol, count(*) AS n, sum(quantity) AS volume FROM trades GROUP BY symbol ORDER BY symbol');
    const expected = ['BHP', 'BTCUSDT', 'CBA'].map((s) => {
      const mine = trades.filter((t) => t.symbol === s);
      return { symbol: s, n: String(mine.length), volume: fmt8(mine.reduce((a, t) => a + t.quantity, 0n)) };
    });
    expect(r.rows).toEqual(expected);
    const q = await run('SELECT count(*) AS n FROM quotes;');
    expect(q.rows).toEqual([{ n: String(trades.length) }]);
  });

  it('sum(price * quantity) overflows DECIMAL(18,8); cast to DECIMAL(38,8) first is exact', async () => {
    // The pitfall: DECIMAL(18,8) * DECIMAL(18,8) overflows on real prices and quantities.
    await expect(run('SELECT sum(price * quantity) FROM trades')).rejects.toThrow(/Overflow/);
    const r = await run('SELECT sum(CAST(price AS DECIMAL(38,8)) * CAST(quantity AS DECIMAL(38,8))) AS notional FROM trades');
    const exact = trades.reduce((a, t) => a + t.price * t.quantity, 0n);
    expect(String(r.rows[0]!.notional).replace('.', '')).toBe(exact.toString());
  });

  const rejected: [string, RegExp][] = [
    ["SELECT * FROM read_parquet('/etc/passwd')", /disabled by configuration|Permission/],
    ["SELECT * FROM read_csv('/etc/passwd')", /disabled by configuration|Permission/],
    ["SELECT * FROM glob('/etc/*')", /disabled by configuration|Permission/],
    ["COPY (SELECT * FROM trades) TO '/tmp/k2-stolen.csv'", /only SELECT|disabled by configuration/],
    ["ATTACH '/tmp/k2-evil.db'", /only SELECT/],
    ['SET enable_external_access = true', /only SELECT/],
    ["INSTALL httpfs", /only SELECT/],
    ['CREATE TABLE x AS SELECT 1', /only SELECT/],
    ['DROP VIEW trades', /only SELECT/],
    ['SELECT 1; DROP VIEW trades', /exactly one statement/],
    ["SELECT 1 WHERE '' = '' OR 1=1 --", /./],
    ['"; DROP TABLE trades; --', /./],
  ];
  it.each(rejected)('rejects %s cleanly', async (sql, message) => {
    if (sql === "SELECT 1 WHERE '' = '' OR 1=1 --") {
      // a plain SELECT with a comment is fine: it only reads
      await expect(run(sql)).resolves.toBeDefined();
      return;
    }
    const err = await run(sql).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(K2Error);
    expect((err as Error).message).toMatch(message);
    expect(existsSync('/tmp/k2-stolen.csv')).toBe(false);
    expect(existsSync('/tmp/k2-evil.db')).toBe(false);
  });

  it('writes a result to the requested Parquet file only', async () => {
    const out = join(tmp.path, 'out.parquet');
    await run('SELECT symbol, price FROM trades ORDER BY symbol LIMIT 5', out);
    expect(existsSync(out)).toBe(true);
    const back = await runReadOnlySql({ files, selector: { kind: 'current' }, freshSkip: FRESH_TURNED_OFF, sql: 'SELECT 1' });
    expect(back.rows).toEqual([{ '1': 1 }]);
  });
});
