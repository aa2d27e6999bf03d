/**
 * Loads the ids already committed to an Iceberg table for one (exchange, symbol,
 * day) slice: the data files of that day/exchange partition whose symbol bounds can
 * contain the symbol are scanned with DuckDB for the id column only.
 */
import { DuckDBInstance, type DuckDBConnection } from '../runtime/duckdb-node-api.js';
import type { Catalog } from '../iceberg/catalog/catalog.js';
import { IcebergTableReader } from '../iceberg/table-reader.js';
import type { TableName } from '../iceberg/table-definitions.js';
import type { IdSlice } from './committed-id-index.js';

export const ID_COLUMN: Record<TableName, 'trade_id' | 'quote_id'> = { trades_v2: 'trade_id', quotes_v2: 'quote_id' };

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export class CommittedIdLoader {
  private constructor(
    private readonly catalog: Catalog,
    private readonly conn: DuckDBConnection,
    private readonly instance: DuckDBInstance,
  ) {}

  static async create(catalog: Catalog): Promise<CommittedIdLoader> {
    const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
    return new CommittedIdLoader(catalog, await instance.connect(), instance);
  }

  /** The committed ids of each slice; the table's metadata and manifests are read once for all of them. */
  async load(table: TableName, slices: readonly IdSlice[]): Promise<string[][]> {
    const reader = await IcebergTableReader.open(this.catalog, table);
    if (reader === null) return slices.map(() => []);
    const all = reader.dataFiles();
    const out: string[][] = [];
    for (const slice of slices) {
      const files = all.filter((f) => {
        if (f.partition.day !== null && f.partition.day !== slice.day) return false;
        if (f.partition.exchange !== null && f.partition.exchange !== slice.exchange) return false;
        const b = f.bounds.symbol;
        // Bounds of strings may be truncated prefixes: compare conservatively.
        if (typeof b?.lower === 'string' && slice.symbol < b.lower) return false;
        if (typeof b?.upper === 'string' && slice.symbol > b.upper && !slice.symbol.startsWith(b.upper)) return false;
        return true;
      });
      if (files.length === 0) {
        out.push([]);
        continue;
      }
      const col = ID_COLUMN[table];
      const list = `[${files.map((f) => sqlString(f.path)).join(', ')}]`;
      const result = await this.conn.runAndReadAll(
        `SELECT ${col} AS id FROM read_parquet(${list}) WHERE symbol = $symbol AND exchange = $exchange`,
        { symbol: slice.symbol, exchange: slice.exchange },
      );
      out.push(result.getColumns()[0]?.map((v) => String(v)) ?? []);
    }
    return out;
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}
