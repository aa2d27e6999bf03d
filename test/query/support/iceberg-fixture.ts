/**
 * Real Iceberg tables for query tests, written by k2's own Iceberg writer into a
 * filesystem catalog under a temp directory.
 */
import { join } from 'node:path';
import { FilesystemCatalog } from '../../../src/iceberg/catalog/filesystem-catalog.js';
import { QUOTES_TABLE, TRADES_TABLE } from '../../../src/iceberg/table-definitions.js';
import { IcebergTableWriter } from '../../../src/iceberg/table-writer.js';
import type { QuoteV2 } from '../../../src/model/quote.js';
import type { TradeV2 } from '../../../src/model/trade.js';

export interface IcebergFixture {
  dataDir: string;
  warehouse: string;
  catalog: FilesystemCatalog;
  appendTrades(rows: readonly TradeV2[], properties?: Record<string, string>): Promise<bigint>;
  appendQuotes(rows: readonly QuoteV2[], properties?: Record<string, string>): Promise<bigint>;
  close(): Promise<void>;
}

/** `<dataDir>/warehouse` is the default warehouse of the filesystem catalog. */
export async function icebergFixture(dataDir: string): Promise<IcebergFixture> {
  const warehouse = join(dataDir, 'warehouse');
  const catalog = new FilesystemCatalog(warehouse);
  const trades = await IcebergTableWriter.open(catalog, TRADES_TABLE);
  const quotes = await IcebergTableWriter.open(catalog, QUOTES_TABLE);
  return {
    dataDir,
    warehouse,
    catalog,
    appendTrades: async (rows, properties) => (await trades.append(rows, { properties })).snapshotId,
    appendQuotes: async (rows, properties) => (await quotes.append(rows, { properties })).snapshotId,
    close: async () => {
      await trades.close();
      await quotes.close();
      await catalog.close();
    },
  };
}
