/**
 * `k2 query --catalog postgres://...` over tables committed through the PostgreSQL
 * catalog (real PostgreSQL; K2_TEST_PG_URL, set by .ci/run).
 */
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PostgresCatalog } from '../../src/iceberg/catalog/postgres-catalog.js';
import { TRADES_TABLE } from '../../src/iceberg/table-definitions.js';
import { IcebergTableWriter } from '../../src/iceberg/table-writer.js';
import { runK2 } from '../support/cli.js';
import { testPostgresUrl } from '../support/postgres.js';
import { tempDir } from '../support/tmp.js';
import { syntheticTrades } from './support/synthetic-trades.js';

const pgUrl = testPostgresUrl();

describe.skipIf(pgUrl === undefined)('k2 query over the PostgreSQL catalog', () => {
  it('reads the tables the catalog points at', async () => {
    const tmp = tempDir('k2-pgq-');
    const catalogName = `k2q_${randomUUID().slice(0, 8)}`;
    try {
      const catalog = new PostgresCatalog({ connectionString: pgUrl!, warehouseDir: join(tmp.path, 'warehouse'), catalogName });
      const writer = await IcebergTableWriter.open(catalog, TRADES_TABLE);
      const trades = syntheticTrades({ dates: ['2014-03-10'], perDay: 40 });
      await writer.append(trades);
      await writer.close();
      await catalog.close();
      const url = new URL(pgUrl!);
      url.searchParams.set('catalog_name', catalogName);
      const r = await runK2(['--data-dir', tmp.path, 'query', '--catalog', url.toString(), '--limit', '1000', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as unknown[]).length).toBe(trades.length);
      const other = await runK2(['--data-dir', tmp.path, 'query', '--limit', '1000', '--json']);
      expect(JSON.parse(other.stdout)).toEqual([]); // the filesystem catalog has no such table
    } finally {
      tmp.cleanup();
    }
  }, 120_000);
});
