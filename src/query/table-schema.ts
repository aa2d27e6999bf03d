/**
 * The two queryable Iceberg tables and their columns, with the DuckDB type each
 * Parquet column reads as. This is the allow-list every table name and column used
 * in generated SQL comes from; nothing a user types is ever spliced into SQL.
 */
export const QUERY_TABLES = ['trades_v2', 'quotes_v2'] as const;
export type QueryTable = (typeof QUERY_TABLES)[number];

/** The Iceberg namespace the tables live in. */
export const TABLE_NAMESPACE = 'market_data';

export interface ColumnDef {
  name: string;
  /** DuckDB type of the column as read from the table's Parquet files. */
  duckType: string;
}

export const TRADE_COLUMNS: readonly ColumnDef[] = [
  { name: 'message_id', duckType: 'VARCHAR' },
  { name: 'trade_id', duckType: 'VARCHAR' },
  { name: 'symbol', duckType: 'VARCHAR' },
  { name: 'exchange', duckType: 'VARCHAR' },
  { name: 'asset_class', duckType: 'VARCHAR' },
  { name: 'timestamp', duckType: 'TIMESTAMPTZ' },
  { name: 'price', duckType: 'DECIMAL(18,8)' },
  { name: 'quantity', duckType: 'DECIMAL(18,8)' },
  { name: 'currency', duckType: 'VARCHAR' },
  { name: 'side', duckType: 'VARCHAR' },
  { name: 'trade_conditions', duckType: 'VARCHAR[]' },
  { name: 'source_sequence', duckType: 'BIGINT' },
  { name: 'ingestion_timestamp', duckType: 'TIMESTAMPTZ' },
  { name: 'platform_sequence', duckType: 'BIGINT' },
  { name: 'vendor_data', duckType: 'MAP(VARCHAR, VARCHAR)' },
];

export const QUOTE_COLUMNS: readonly ColumnDef[] = [
  { name: 'message_id', duckType: 'VARCHAR' },
  { name: 'quote_id', duckType: 'VARCHAR' },
  { name: 'symbol', duckType: 'VARCHAR' },
  { name: 'exchange', duckType: 'VARCHAR' },
  { name: 'asset_class', duckType: 'VARCHAR' },
  { name: 'timestamp', duckType: 'TIMESTAMPTZ' },
  { name: 'bid_price', duckType: 'DECIMAL(18,8)' },
  { name: 'bid_quantity', duckType: 'DECIMAL(18,8)' },
  { name: 'ask_price', duckType: 'DECIMAL(18,8)' },
  { name: 'ask_quantity', duckType: 'DECIMAL(18,8)' },
  { name: 'currency', duckType: 'VARCHAR' },
  { name: 'source_sequence', duckType: 'BIGINT' },
  { name: 'ingestion_timestamp', duckType: 'TIMESTAMPTZ' },
  { name: 'platform_sequence', duckType: 'BIGINT' },
  { name: 'vendor_data', duckType: 'MAP(VARCHAR, VARCHAR)' },
];

export function tableColumns(table: QueryTable): readonly ColumnDef[] {
  return table === 'trades_v2' ? TRADE_COLUMNS : QUOTE_COLUMNS;
}

/** The key that identifies one source record in a table, used to de-duplicate fresh rows. */
export function recordKeyColumns(table: QueryTable): readonly string[] {
  return table === 'trades_v2' ? ['exchange', 'symbol', 'trade_id'] : ['exchange', 'symbol', 'message_id'];
}

export function isQueryTable(name: string): name is QueryTable {
  return (QUERY_TABLES as readonly string[]).includes(name);
}
