/**
 * `k2 load asx` in embedded mode commits to Iceberg in the same process; loading the
 * same file again adds nothing (the consumer's id anti-join).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { openCatalog } from '../../src/iceberg/catalog/open-catalog.js';
import { IcebergTableReader } from '../../src/iceberg/table-reader.js';
import { REPO_ROOT, runK2 } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const TRADES = join(REPO_ROOT, 'fixtures/asx/trades/7181.csv');
const QUOTES = join(REPO_ROOT, 'fixtures/asx/quotes/7181.csv');

interface LoadJson {
  rows_valid: number;
  by_symbol: Record<string, { trades: number; quotes: number; sum_quantity: string; sum_notional: string }>;
  iceberg: { trades_v2: number; quotes_v2: number; duplicates_dropped: number };
}

describe('k2 load asx (embedded) into Iceberg', () => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  it('commits the rows, and a second load of the same files adds nothing', async () => {
    const first = await runK2(['--data-dir', dir.path, '--log-level', 'warn', 'load', 'asx', TRADES, QUOTES, '--json']);
    expect(first.code, first.stderr).toBe(0);
    const a = JSON.parse(first.stdout) as LoadJson;
    expect(a.iceberg).toEqual({ trades_v2: 232, quotes_v2: 549, duplicates_dropped: 0 });

    const second = await runK2(['--data-dir', dir.path, '--log-level', 'warn', 'load', 'asx', TRADES, QUOTES, '--json']);
    expect(second.code, second.stderr).toBe(0);
    // nothing went wrong, so nothing is logged at --log-level warn (existing topics are not an error)
    expect(second.stderr).toBe('');
    expect(first.stderr).toBe('');
    const b = JSON.parse(second.stdout) as LoadJson;
    expect(b.rows_valid).toBe(781);
    expect(b.iceberg).toEqual({ trades_v2: 0, quotes_v2: 0, duplicates_dropped: 781 });

    // the table holds each trade once, with the exact sums the loader reported
    const catalog = openCatalog(undefined, join(dir.path, 'warehouse'));
    const files = (await IcebergTableReader.open(catalog, 'trades_v2'))!.dataFiles();
    await catalog.close();
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const r = await conn.runAndReadAll(
      `SELECT count(*)::BIGINT AS n, count(DISTINCT trade_id)::BIGINT AS d, sum(quantity::DECIMAL(38,8)) AS q, sum(price::DECIMAL(38,8) * quantity::DECIMAL(38,8)) AS notional
       FROM read_parquet([${files.map((f) => `'${f.path}'`).join(',')}])`,
    );
    const row = r.getRowObjectsJson()[0] as Record<string, string>;
    conn.closeSync();
    db.closeSync();
    expect(row.n).toBe('232');
    expect(row.d).toBe('232');
    expect(row.q!.replace(/\.?0+$/, '')).toBe(a.by_symbol.DVN!.sum_quantity);
    expect(row.notional!.replace(/0+$/, '').replace(/\.$/, '')).toBe(a.by_symbol.DVN!.sum_notional);
  }, 180_000);

  it('when the background consumer fails, the load says so and nothing is lost: a later consume commits every row', async () => {
    const other = tempDir();
    try {
      // a PostgreSQL catalog nobody listens on: the consumer worker cannot commit
      const failed = await runK2(['--data-dir', other.path, '--log-level', 'warn', 'load', 'asx', TRADES, '--catalog', 'postgres://k2@127.0.0.1:1/none', '--json']);
      expect(failed.code).not.toBe(0);
      expect(failed.stderr).toMatch(/background Iceberg consumer failed: .*PostgreSQL catalog.*232 records are published to market\.equities\.trades\.asx: run `k2 consume --once`/s);
      const consumed = await runK2(['--data-dir', other.path, '--log-level', 'warn', '--json', 'consume', '--once']);
      expect(consumed.code, consumed.stderr).toBe(0);
      expect((JSON.parse(consumed.stdout) as { rows_committed: { trades_v2: number } }).rows_committed.trades_v2).toBe(232);
    } finally {
      other.cleanup();
    }
  }, 180_000);

  it("names the broken file when the table's metadata cannot be read", async () => {
    const other = tempDir();
    try {
      const first = await runK2(['--data-dir', other.path, '--log-level', 'warn', 'load', 'asx', TRADES]);
      expect(first.code, first.stderr).toBe(0);
      const metadata = join(other.path, 'warehouse', 'market_data', 'trades_v2', 'metadata');
      const list = readdirSync(metadata).find((f) => f.startsWith('snap-'))!;
      writeFileSync(join(metadata, list), readFileSync(join(metadata, list)).subarray(0, 100)); // a truncated manifest list
      const second = await runK2(['--data-dir', other.path, '--log-level', 'warn', 'load', 'asx', join(REPO_ROOT, 'fixtures/asx/trades/3153.csv')]);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`background Iceberg consumer failed: not an Avro container file: truncated header (file=${join(metadata, list)})`);
    } finally {
      other.cleanup();
    }
  }, 180_000);
});
