/**
 * Two writers committing to the same table at the same time, each through its own
 * catalog connection: every batch of both must land exactly once, with sequence
 * numbers 1..N on one unbroken parent chain. Filesystem and real PostgreSQL.
 */
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { Catalog } from '../../src/iceberg/catalog/catalog.js';
import { FilesystemCatalog } from '../../src/iceberg/catalog/filesystem-catalog.js';
import { openCatalog } from '../../src/iceberg/catalog/open-catalog.js';
import { TRADES_TABLE } from '../../src/iceberg/table-definitions.js';
import { IcebergTableReader } from '../../src/iceberg/table-reader.js';
import { IcebergTableWriter } from '../../src/iceberg/table-writer.js';
import { testPostgresUrl } from '../support/postgres.js';
import { tempDir } from '../support/tmp.js';
import { canonRowsOf, openDuckDb, sorted, tradeCanon } from './helpers.js';
import { sampleTrades } from './sample-records.js';

const BATCHES = 6;
const ROWS = 200;

async function runWriter(catalog: Catalog, writerNo: number): Promise<number> {
  const w = await IcebergTableWriter.open(catalog, TRADES_TABLE);
  let retries = 0;
  try {
    for (let b = 0; b < BATCHES; b++) {
      const start = (writerNo * BATCHES + b) * ROWS;
      const r = await w.append(sampleTrades(ROWS, { start }), { properties: { [`k2.writer${writerNo}`]: String(b) } });
      retries += r.attempts - 1;
    }
  } finally {
    await w.close();
  }
  return retries;
}

async function checkTable(catalog: Catalog): Promise<void> {
  const reader = (await IcebergTableReader.open(catalog, 'trades_v2'))!;
  const snaps = reader.ancestry();
  expect(snaps).toHaveLength(2 * BATCHES);
  expect(snaps.map((s) => s.sequenceNumber).reverse()).toEqual(Array.from({ length: 2 * BATCHES }, (_, i) => BigInt(i + 1)));
  expect(reader.currentSnapshot()!.summary['total-records']).toBe(String(2 * BATCHES * ROWS));
  const duck = await openDuckDb();
  try {
    const actual = await canonRowsOf(duck.conn, reader.dataFiles().map((f) => f.path));
    expect(actual).toHaveLength(2 * BATCHES * ROWS);
    expect(sorted(actual)).toEqual(sorted(sampleTrades(2 * BATCHES * ROWS).map(tradeCanon)));
  } finally {
    duck.close();
  }
}

describe('concurrent committers', () => {
  const tmp = tempDir('k2-iceberg-cc-');
  afterAll(() => tmp.cleanup());

  it('filesystem catalog: both writers land everything, exactly once', async () => {
    const wh = `${tmp.path}/fs-warehouse`;
    const [a, b] = [new FilesystemCatalog(wh), new FilesystemCatalog(wh)];
    const retries = await Promise.all([runWriter(a, 0), runWriter(b, 1)]);
    await checkTable(new FilesystemCatalog(wh));
    // (retries counts re-applied commits; the deterministic conflict cases are in catalogs.test.ts)
    expect(retries[0]! + retries[1]!).toBeGreaterThanOrEqual(0);
  });

  const pgUrl = testPostgresUrl();
  it.skipIf(pgUrl === undefined)('PostgreSQL catalog: both writers land everything, exactly once', async () => {
    const url = new URL(pgUrl!);
    const catalogName = `cc_${Date.now()}`;
    url.searchParams.set('catalog_name', catalogName);
    const wh = `${tmp.path}/pg-warehouse`;
    const [a, b] = [openCatalog(url.toString(), wh), openCatalog(url.toString(), wh)];
    try {
      const retries = await Promise.all([runWriter(a, 0), runWriter(b, 1)]);
      const c = openCatalog(url.toString(), wh);
      try {
        await checkTable(c);
      } finally {
        await c.close();
      }
      // The JdbcCatalog / SqlCatalog row: one table row, pointing at the newest NNNNN-<uuid>.metadata.json.
      const client = new pg.Client({ connectionString: pgUrl });
      await client.connect();
      try {
        const r = await client.query(
          `SELECT table_namespace, table_name, metadata_location, previous_metadata_location, iceberg_type FROM iceberg_tables WHERE catalog_name = $1`,
          [catalogName],
        );
        expect(r.rows).toHaveLength(1);
        expect(r.rows[0]).toMatchObject({ table_namespace: 'market_data', table_name: 'trades_v2', iceberg_type: 'TABLE' });
        expect(r.rows[0].metadata_location).toMatch(/\/metadata\/00012-[0-9a-f-]{36}\.metadata\.json$/);
        expect(r.rows[0].previous_metadata_location).toMatch(/\/metadata\/00011-[0-9a-f-]{36}\.metadata\.json$/);
      } finally {
        await client.end();
      }
    } finally {
      await a.close();
      await b.close();
    }
  });
});
