/**
 * Loads fresh (uncommitted) records into a connection-local temp table with the
 * same columns and types as the Iceberg table, so the query applies exactly the
 * same SQL to committed and fresh rows.
 */
import {
  LIST,
  MAP,
  VARCHAR,
  decimalValue,
  listValue,
  mapValue,
  timestampTZValue,
  type DuckDBAppender,
  type DuckDBConnection,
} from '../runtime/duckdb-node-api.js';
import type { VendorData } from '../model/trade.js';
import type { TailRecords } from './tail-source.js';
import { tableColumns, type QueryTable } from './table-schema.js';

export function tailTableName(table: QueryTable): string {
  return table === 'trades_v2' ? 'k2_fresh_trades' : 'k2_fresh_quotes';
}

const LIST_VARCHAR = LIST(VARCHAR);
const MAP_VARCHAR = MAP(VARCHAR, VARCHAR);

function appendString(a: DuckDBAppender, v: string | null): void {
  if (v === null) a.appendNull();
  else a.appendVarchar(v);
}
function appendDecimal(a: DuckDBAppender, v: bigint | null): void {
  if (v === null) a.appendNull();
  else a.appendDecimal(decimalValue(v, 18, 8));
}
function appendBigInt(a: DuckDBAppender, v: bigint | null): void {
  if (v === null) a.appendNull();
  else a.appendBigInt(v);
}
function appendVendor(a: DuckDBAppender, v: VendorData): void {
  if (v === null) a.appendNull();
  else a.appendMap(mapValue(Object.entries(v).map(([key, value]) => ({ key, value }))), MAP_VARCHAR);
}

/** Creates (or replaces) the temp table and appends the records. */
export async function loadTailTable(conn: DuckDBConnection, tail: TailRecords): Promise<string> {
  const name = tailTableName(tail.table);
  const cols = tableColumns(tail.table)
    .map((c) => `"${c.name}" ${c.duckType}`)
    .join(', ');
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${name} (${cols})`);
  const a = await conn.createAppender(name, 'main', 'temp');
  try {
    if (tail.table === 'trades_v2') {
      for (const t of tail.records) {
        a.appendVarchar(t.message_id);
        a.appendVarchar(t.trade_id);
        a.appendVarchar(t.symbol);
        a.appendVarchar(t.exchange);
        a.appendVarchar(t.asset_class);
        a.appendTimestampTZ(timestampTZValue(t.timestamp));
        appendDecimal(a, t.price);
        appendDecimal(a, t.quantity);
        a.appendVarchar(t.currency);
        a.appendVarchar(t.side);
        a.appendList(listValue(t.trade_conditions), LIST_VARCHAR);
        appendBigInt(a, t.source_sequence);
        a.appendTimestampTZ(timestampTZValue(t.ingestion_timestamp));
        appendBigInt(a, t.platform_sequence);
        appendVendor(a, t.vendor_data);
        a.endRow();
      }
    } else {
      for (const q of tail.records) {
        a.appendVarchar(q.message_id);
        a.appendVarchar(q.quote_id);
        a.appendVarchar(q.symbol);
        a.appendVarchar(q.exchange);
        a.appendVarchar(q.asset_class);
        a.appendTimestampTZ(timestampTZValue(q.timestamp));
        appendDecimal(a, q.bid_price);
        appendDecimal(a, q.bid_quantity);
        appendDecimal(a, q.ask_price);
        appendDecimal(a, q.ask_quantity);
        appendString(a, q.currency);
        appendBigInt(a, q.source_sequence);
        a.appendTimestampTZ(timestampTZValue(q.ingestion_timestamp));
        appendBigInt(a, q.platform_sequence);
        appendVendor(a, q.vendor_data);
        a.endRow();
      }
    }
    a.flushSync();
  } finally {
    a.closeSync();
  }
  return name;
}
