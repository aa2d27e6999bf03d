/**
 * A batch larger than two DuckDB row groups (so DuckDB scans, splits and joins in
 * parallel): every packed string and map must still sit on its own row. Each sample
 * trade encodes its index i in message_id (hex), trade_id, timestamp and vendor_data,
 * so a misaligned row is detectable in SQL.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { FilesystemCatalog } from '../../src/iceberg/catalog/filesystem-catalog.js';
import { TRADES_TABLE } from '../../src/iceberg/table-definitions.js';
import { IcebergTableReader } from '../../src/iceberg/table-reader.js';
import { IcebergTableWriter } from '../../src/iceberg/table-writer.js';
import { tempDir } from '../support/tmp.js';
import { openDuckDb } from './helpers.js';
import { sampleTrades } from './sample-records.js';

describe('large batch alignment', () => {
  const tmp = tempDir('k2-iceberg-large-');
  afterAll(() => tmp.cleanup());

  it('keeps every column of 300k rows on the right row', async () => {
    const n = 300_000;
    const catalog = new FilesystemCatalog(`${tmp.path}/warehouse`);
    const w = await IcebergTableWriter.open(catalog, TRADES_TABLE);
    try {
      await w.append(sampleTrades(n, { days: 1, exchanges: ['ASX'] }));
    } finally {
      await w.close();
    }
    const reader = (await IcebergTableReader.open(catalog, 'trades_v2'))!;
    const files = reader.dataFiles();
    expect(files).toHaveLength(1);
    const duck = await openDuckDb();
    try {
      const r = await duck.conn.runAndReadAll(`
        WITH t AS (
          SELECT CAST(split_part(trade_id, '-', 2) AS BIGINT) AS i, *
            FROM read_parquet('${files[0]!.path}'))
        SELECT count(*)::VARCHAR AS n,
               count(DISTINCT i)::VARCHAR AS distinct_ids,
               count(*) FILTER (WHERE message_id <> '00000000-0000-4000-8000-' || lpad(lower(hex(i)), 12, '0'))::VARCHAR AS bad_message_id,
               count(*) FILTER (WHERE epoch_us(ingestion_timestamp) <> 1394409600000000 + i * 1000000 + 123456)::VARCHAR AS bad_ingestion,
               count(*) FILTER (WHERE (i % 2 = 1) <> (vendor_data IS NOT NULL) OR (vendor_data IS NOT NULL AND vendor_data['raw_id'] <> CAST(i AS VARCHAR)))::VARCHAR AS bad_vendor,
               count(*) FILTER (WHERE CAST(CAST(price AS DECIMAL(38,8)) * 100000000 AS BIGINT) <> 4215612345678 + i * 99999999 + CASE WHEN i % 5 = 0 THEN 900000000000000000 ELSE 0 END)::VARCHAR AS bad_price
          FROM t`);
      expect(r.getRowObjectsJson()[0]).toEqual({ n: String(n), distinct_ids: String(n), bad_message_id: '0', bad_ingestion: '0', bad_vendor: '0', bad_price: '0' });
      const rg = await duck.conn.runAndReadAll(`SELECT count(DISTINCT row_group_id)::VARCHAR AS groups FROM parquet_metadata('${files[0]!.path}')`);
      expect(Number(rg.getRowObjectsJson()[0]!.groups)).toBeGreaterThanOrEqual(3);
      // the manifest's split offsets are where DuckDB says the file's row groups start
      const starts = await duck.conn.runAndReadAll(
        `SELECT min(coalesce(dictionary_page_offset, data_page_offset)) AS first
           FROM parquet_metadata('${files[0]!.path}') GROUP BY row_group_id ORDER BY first`,
      );
      expect(files[0]!.splitOffsets).toEqual(starts.getRowObjectsJson().map((r) => BigInt(String(r.first))));
    } finally {
      duck.close();
    }
  }, 180_000);
});
