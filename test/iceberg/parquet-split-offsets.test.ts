/**
 * Split offsets read from a Parquet footer (src/iceberg/parquet-split-offsets.ts) against
 * DuckDB's own parquet_metadata(): files of several row groups, with and without dictionary
 * pages, zstd and uncompressed; the footer size given, not given, or given wrong; and files
 * that are not Parquet, or are cut short.
 */
import { copyFileSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IcebergError } from '../../src/iceberg/errors.js';
import { readSplitOffsets, splitOffsetsFromTail } from '../../src/iceberg/parquet-split-offsets.js';
import { tempDir } from '../support/tmp.js';
import { openDuckDb } from './helpers.js';

describe('Parquet split offsets from the footer', () => {
  const tmp = tempDir('k2-split-offsets-');
  let duck: Awaited<ReturnType<typeof openDuckDb>>;

  beforeAll(async () => {
    duck = await openDuckDb();
    // a low-cardinality column first (a row group then starts at its dictionary page, before its
    // first data page), unique strings, numbers, a map
    await duck.conn.run(`CREATE TABLE t AS
      SELECT 'SYM' || (i % 7) AS sym, i, md5(i::VARCHAR) AS id, (i * 1.5)::DECIMAL(18,8) AS price,
             MAP {'k': i::VARCHAR} AS m
        FROM range(5500) r(i)`);
  });
  afterAll(() => {
    duck.close();
    tmp.cleanup();
  });

  /** Writes t with `options` and returns the file with DuckDB's footer size and its split offsets. */
  async function write(name: string, options: string): Promise<{ file: string; footer: number; expected: bigint[] }> {
    const file = join(tmp.path, `${name}.parquet`);
    const stats = (await duck.conn.runAndReadAll(`COPY t TO '${file}' (FORMAT parquet, ${options}, RETURN_STATS true)`)).getRowObjectsJson()[0]!;
    const rows = (
      await duck.conn.runAndReadAll(
        `SELECT min(coalesce(dictionary_page_offset, data_page_offset)) AS first
           FROM parquet_metadata('${file}') GROUP BY row_group_id ORDER BY first`,
      )
    ).getRowObjectsJson();
    return { file, footer: Number(stats.footer_size_bytes), expected: rows.map((r) => BigInt(String(r.first))) };
  }

  it('matches parquet_metadata for files of several row groups', async () => {
    for (const [name, options] of [
      ['zstd', 'COMPRESSION zstd, ROW_GROUP_SIZE 2048'],
      ['plain', 'COMPRESSION uncompressed, ROW_GROUP_SIZE 2048'],
      ['one-group', 'COMPRESSION zstd'],
    ] as const) {
      const { file, footer, expected } = await write(name, options);
      expect(footer).toBeGreaterThan(0);
      expect(expected.length).toBe(name === 'one-group' ? 1 : 3);
      expect(readSplitOffsets(file, footer)).toEqual(expected);
      // without the footer size, and with a wrong one: the trailer says how long the footer is
      expect(readSplitOffsets(file)).toEqual(expected);
      expect(readSplitOffsets(file, footer - 3)).toEqual(expected);
      expect(readSplitOffsets(file, footer + 17)).toEqual(expected);
      expect(expected[0]).toBe(4n); // right after the leading magic
    }
  });

  it('reads the offsets from the tail of a file alone', async () => {
    const { file, footer, expected } = await write('tail', 'COMPRESSION zstd, ROW_GROUP_SIZE 2048');
    const bytes = readFileSync(file);
    expect(splitOffsetsFromTail(bytes.subarray(bytes.length - footer - 8))).toEqual(expected);
  });

  it('names the file when it is not Parquet or is cut short', async () => {
    const notParquet = join(tmp.path, 'not.parquet');
    writeFileSync(notParquet, 'this is not a parquet file at all');
    expect(() => readSplitOffsets(notParquet)).toThrow(IcebergError);
    expect(() => readSplitOffsets(notParquet)).toThrow(/not\.parquet/);

    const { file } = await write('cut', 'COMPRESSION zstd, ROW_GROUP_SIZE 2048');
    const cut = join(tmp.path, 'cut-short.parquet');
    copyFileSync(file, cut);
    truncateSync(cut, statSync(file).size - 20);
    expect(() => readSplitOffsets(cut)).toThrow(/cut-short\.parquet/);

    const tiny = join(tmp.path, 'tiny.parquet');
    writeFileSync(tiny, 'PAR1');
    expect(() => readSplitOffsets(tiny)).toThrow(/tiny\.parquet/);
  });
});
