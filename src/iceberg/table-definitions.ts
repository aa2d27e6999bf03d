/**
 * The two k2 tables, `market_data.trades_v2` and `market_data.quotes_v2`: Iceberg
 * schemas with field ids mapped from schemas/trade_v2.avsc and quote_v2.avsc,
 * partitioned by day(timestamp) + identity(exchange), sorted by (symbol, timestamp).
 *
 * Mapping: decimal(18,8) -> decimal(18, 8); timestamp-micros -> timestamptz; enums ->
 * string; uuid-string -> string; array<string> -> list<string>; map -> map<string,string>.
 * Top-level ids follow the Avro field order; nested ids come after them (Java's order).
 */
import type { QuoteV2 } from '../model/quote.js';
import type { TradeV2 } from '../model/trade.js';
import type { IcebergSchema, IcebergType, PartitionSpec, SortOrder } from './schema.js';

export const NAMESPACE = 'market_data';
export const TABLE_NAMES = ['trades_v2', 'quotes_v2'] as const;
export type TableName = (typeof TABLE_NAMES)[number];

export function isTableName(s: string): s is TableName {
  return (TABLE_NAMES as readonly string[]).includes(s);
}

/** How a column is stored; drives the Parquet type, the DuckDB type and the bound encoding. */
export type ColumnKind = 'string' | 'timestamptz' | 'decimal' | 'long' | 'string_list' | 'string_map';

export interface ColumnDef {
  name: string;
  id: number;
  kind: ColumnKind;
  required: boolean;
  /** list element id, or map key id */
  childIds?: readonly number[];
  /** few distinct values per batch: the writer stages dictionary codes instead of strings */
  lowCardinality?: boolean;
}

export interface TableDefinition<R> {
  namespace: typeof NAMESPACE;
  name: TableName;
  columns: readonly ColumnDef[];
  schema: IcebergSchema;
  spec: PartitionSpec;
  sortOrder: SortOrder;
  /** Only used for typing the row shape. */
  readonly _row?: R;
}

export const DECIMAL_TYPE = 'decimal(18, 8)' as const;

function icebergType(c: ColumnDef): IcebergType {
  switch (c.kind) {
    case 'string':
      return 'string';
    case 'timestamptz':
      return 'timestamptz';
    case 'decimal':
      return DECIMAL_TYPE;
    case 'long':
      return 'long';
    case 'string_list':
      return { type: 'list', 'element-id': c.childIds![0]!, element: 'string', 'element-required': true };
    case 'string_map':
      return { type: 'map', 'key-id': c.childIds![0]!, key: 'string', 'value-id': c.childIds![1]!, value: 'string', 'value-required': true };
  }
}

function makeSchema(columns: readonly ColumnDef[]): IcebergSchema {
  return {
    type: 'struct',
    'schema-id': 0,
    fields: columns.map((c) => ({ id: c.id, name: c.name, required: c.required, type: icebergType(c) })),
  };
}

const TIMESTAMP_ID = 6;
const EXCHANGE_ID = 4;
const SYMBOL_ID = 3;

const SPEC: PartitionSpec = {
  'spec-id': 0,
  fields: [
    { name: 'timestamp_day', transform: 'day', 'source-id': TIMESTAMP_ID, 'field-id': 1000 },
    { name: 'exchange', transform: 'identity', 'source-id': EXCHANGE_ID, 'field-id': 1001 },
  ],
};

const SORT: SortOrder = {
  'order-id': 1,
  fields: [
    { transform: 'identity', 'source-id': SYMBOL_ID, direction: 'asc', 'null-order': 'nulls-first' },
    { transform: 'identity', 'source-id': TIMESTAMP_ID, direction: 'asc', 'null-order': 'nulls-first' },
  ],
};

const TRADE_COLUMNS: readonly ColumnDef[] = [
  { name: 'message_id', id: 1, kind: 'string', required: true },
  { name: 'trade_id', id: 2, kind: 'string', required: true },
  { name: 'symbol', id: SYMBOL_ID, kind: 'string', required: true, lowCardinality: true },
  { name: 'exchange', id: EXCHANGE_ID, kind: 'string', required: true, lowCardinality: true },
  { name: 'asset_class', id: 5, kind: 'string', required: true, lowCardinality: true },
  { name: 'timestamp', id: TIMESTAMP_ID, kind: 'timestamptz', required: true },
  { name: 'price', id: 7, kind: 'decimal', required: true },
  { name: 'quantity', id: 8, kind: 'decimal', required: true },
  { name: 'currency', id: 9, kind: 'string', required: true, lowCardinality: true },
  { name: 'side', id: 10, kind: 'string', required: true, lowCardinality: true },
  { name: 'trade_conditions', id: 11, kind: 'string_list', required: true, childIds: [16], lowCardinality: true },
  { name: 'source_sequence', id: 12, kind: 'long', required: false },
  { name: 'ingestion_timestamp', id: 13, kind: 'timestamptz', required: true },
  { name: 'platform_sequence', id: 14, kind: 'long', required: false },
  { name: 'vendor_data', id: 15, kind: 'string_map', required: false, childIds: [17, 18] },
];

const QUOTE_COLUMNS: readonly ColumnDef[] = [
  { name: 'message_id', id: 1, kind: 'string', required: true },
  { name: 'quote_id', id: 2, kind: 'string', required: true },
  { name: 'symbol', id: SYMBOL_ID, kind: 'string', required: true, lowCardinality: true },
  { name: 'exchange', id: EXCHANGE_ID, kind: 'string', required: true, lowCardinality: true },
  { name: 'asset_class', id: 5, kind: 'string', required: true, lowCardinality: true },
  { name: 'timestamp', id: TIMESTAMP_ID, kind: 'timestamptz', required: true },
  { name: 'bid_price', id: 7, kind: 'decimal', required: false },
  { name: 'bid_quantity', id: 8, kind: 'decimal', required: false },
  { name: 'ask_price', id: 9, kind: 'decimal', required: false },
  { name: 'ask_quantity', id: 10, kind: 'decimal', required: false },
  { name: 'currency', id: 11, kind: 'string', required: true, lowCardinality: true },
  { name: 'source_sequence', id: 12, kind: 'long', required: false },
  { name: 'ingestion_timestamp', id: 13, kind: 'timestamptz', required: true },
  { name: 'platform_sequence', id: 14, kind: 'long', required: false },
  { name: 'vendor_data', id: 15, kind: 'string_map', required: false, childIds: [16, 17] },
];

export const TRADES_TABLE: TableDefinition<TradeV2> = {
  namespace: NAMESPACE,
  name: 'trades_v2',
  columns: TRADE_COLUMNS,
  schema: makeSchema(TRADE_COLUMNS),
  spec: SPEC,
  sortOrder: SORT,
};

export const QUOTES_TABLE: TableDefinition<QuoteV2> = {
  namespace: NAMESPACE,
  name: 'quotes_v2',
  columns: QUOTE_COLUMNS,
  schema: makeSchema(QUOTE_COLUMNS),
  spec: SPEC,
  sortOrder: SORT,
};

export type AnyTableDefinition = TableDefinition<TradeV2> | TableDefinition<QuoteV2>;

export function tableDefinition(name: TableName): AnyTableDefinition {
  return name === 'trades_v2' ? TRADES_TABLE : QUOTES_TABLE;
}

/** Column by Iceberg field id (top-level or nested child). */
export function columnById(def: { columns: readonly ColumnDef[] }, id: number): ColumnDef | undefined {
  return def.columns.find((c) => c.id === id);
}
