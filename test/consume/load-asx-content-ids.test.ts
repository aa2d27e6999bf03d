/**
 * ASX ids come from each row's content (record-ids.ts), not its position in the file:
 * - a file with a rejected row, corrected and loaded again, gains exactly the corrected
 *   row (with per-file ordinals, the row after it shifted onto a committed id and was
 *   dropped, and the corrected row took its neighbour's place: one lost, one duplicated);
 * - a day split over two files loads to the same table as the whole file.
 * Identical fills (lines 117/118, 155/156 and 159/160 of the fixture) stay two rows each.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { openCatalog } from '../../src/iceberg/catalog/open-catalog.js';
import { IcebergTableReader } from '../../src/iceberg/table-reader.js';
import { REPO_ROOT, runK2 } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { readAll, writeText } from '../asx/asx-test-support.js';

const FIXTURE = join(REPO_ROOT, 'fixtures/asx/trades/7181.csv');
const REFERENCE = join(REPO_ROOT, 'fixtures/asx/reference-data/company_info.csv');
const LINES = readFileSync(FIXTURE, 'utf8').split(/\r?\n/).filter((l) => l !== '');

interface LoadJson {
  rows_valid: number;
  rows_rejected: number;
  iceberg: { trades_v2: number; quotes_v2: number; duplicates_dropped: number };
}

async function load(dataDir: string, file: string): Promise<LoadJson> {
  const r = await runK2(['--data-dir', dataDir, '--log-level', 'warn', 'load', 'asx', file, '--reference', REFERENCE, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as LoadJson;
}

/** The table's rows as sorted "local time text,price,quantity|trade_id" keys, and its row count. */
async function tableRows(dataDir: string): Promise<{ rows: string[]; ids: string[] }> {
  const catalog = openCatalog(undefined, join(dataDir, 'warehouse'));
  const files = (await IcebergTableReader.open(catalog, 'trades_v2'))!.dataFiles();
  await catalog.close();
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const r = await conn.runAndReadAll(
    `SELECT epoch_us("timestamp")::VARCHAR || ',' || price::VARCHAR || ',' || quantity::VARCHAR AS k, trade_id
     FROM read_parquet([${files.map((f) => `'${f.path}'`).join(',')}]) ORDER BY k, trade_id`,
  );
  const got = r.getRowObjectsJson() as Array<{ k: string; trade_id: string }>;
  conn.closeSync();
  db.closeSync();
  return { rows: got.map((x) => x.k), ids: got.map((x) => x.trade_id).sort() };
}

/** The same keys for the trades the converter makes of the whole fixture. */
async function expectedRows(): Promise<{ rows: string[]; ids: string[] }> {
  const { trades } = await readAll(FIXTURE, 'raw_trades', { companyId: '7181', symbol: 'DVN' });
  const scaled = (v: bigint): string => {
    const s = v.toString().padStart(9, '0');
    return `${s.slice(0, -8)}.${s.slice(-8)}`;
  };
  return {
    rows: trades.map((t) => `${t.timestamp},${scaled(t.price)},${scaled(t.quantity)}`).sort(),
    ids: trades.map((t) => t.trade_id).sort(),
  };
}

describe('k2 load asx: ids from row content', () => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  it('a corrected file adds exactly the rows that were rejected, including an identical fill', async () => {
    expect(LINES).toHaveLength(232);
    expect(LINES[116]).toBe(LINES[117]); // an identical fill
    const broken = [...LINES];
    broken[20] = broken[20]!.replace(/^03\/1/, '03/1O'); // a bad date
    broken[117] = broken[117]!.replace(/^03\//, '13/'); // the second of two identical fills: month 13
    const v1 = writeText(join(dir.path, 'v1', 'trades', '7181.csv'), `${broken.join('\n')}\n`);
    const v2 = writeText(join(dir.path, 'v2', 'trades', '7181.csv'), `${LINES.join('\n')}\n`);
    const dataDir = join(dir.path, 'fixed');

    const first = await load(dataDir, v1);
    expect(first).toMatchObject({ rows_valid: 230, rows_rejected: 2, iceberg: { trades_v2: 230, duplicates_dropped: 0 } });
    const second = await load(dataDir, v2);
    expect(second).toMatchObject({ rows_valid: 232, rows_rejected: 0, iceberg: { trades_v2: 2, duplicates_dropped: 230 } });

    const table = await tableRows(dataDir);
    const expected = await expectedRows();
    expect(table.rows).toEqual(expected.rows); // every trade once, identical fills twice
    expect(table.ids).toEqual(expected.ids);
    expect(new Set(table.ids).size).toBe(232);
  }, 180_000);

  it('a day split over two files (in either order) gives the same table as the whole file', async () => {
    // split between two different timestamps, inside the 03/14 session (past the identical fills)
    const at = LINES.findIndex((l, i) => i > 170 && l.startsWith('03/14/2014,') && l.split(',')[1] !== LINES[i - 1]!.split(',')[1]);
    expect(at).toBeGreaterThan(170);
    expect(LINES[at - 1]!.startsWith('03/14/2014,')).toBe(true); // the day really is split
    const am = writeText(join(dir.path, 'am', 'trades', '7181.csv'), `${LINES.slice(0, at).join('\n')}\n`);
    const pm = writeText(join(dir.path, 'pm', 'trades', '7181.csv'), `${LINES.slice(at).join('\n')}\n`);
    const dataDir = join(dir.path, 'split');
    const later = await load(dataDir, pm);
    const earlier = await load(dataDir, am);
    expect(later.iceberg.trades_v2 + earlier.iceberg.trades_v2).toBe(232);
    expect(later.iceberg.duplicates_dropped + earlier.iceberg.duplicates_dropped).toBe(0);

    const table = await tableRows(dataDir);
    const expected = await expectedRows();
    expect(table.rows).toEqual(expected.rows);
    expect(table.ids).toEqual(expected.ids);
  }, 180_000);
});
