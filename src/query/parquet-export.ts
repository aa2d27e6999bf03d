/**
 * `--parquet <file>`: writes a query result to a zstd Parquet file with exact types.
 * The rows (exact strings) go into a temp table of VARCHAR columns and are cast back
 * to their column types on the way out: decimals stay decimals, times stay timestamps.
 */
import type { Json } from '../runtime/duckdb-node-api.js';
import { resolve } from 'node:path';
import { sharedEngine, runSql, type DuckDbEngine } from './duckdb-engine.js';
import type { QueryResult } from './query-result.js';

const DECIMAL_18 = ['price', 'quantity', 'bid_price', 'bid_quantity', 'ask_price', 'ask_quantity', 'open', 'high', 'low', 'close', 'vwap'];
const TIMESTAMPS = ['timestamp', 'ingestion_timestamp', 'bucket_start', 'first_trade', 'last_trade', 'session_start', 'session_end', 'committed_at'];
const BIGINTS = ['trade_count', 'source_sequence', 'platform_sequence', 'added_records', 'total_records', 'added_files', 'total_files', 'snapshot_id', 'parent_id'];

/** The SQL expression that turns the VARCHAR column back into its type. Column names are quoted identifiers from the result. */
function castExpr(column: string): string {
  const id = `"${column.replace(/"/g, '""')}"`;
  if (DECIMAL_18.includes(column)) return `CAST(${id} AS DECIMAL(18,8)) AS ${id}`;
  if (column === 'volume') return `CAST(${id} AS DECIMAL(38,8)) AS ${id}`;
  if (column === 'notional') return `CAST(${id} AS DECIMAL(38,16)) AS ${id}`;
  if (TIMESTAMPS.includes(column)) return `CAST(${id} AS TIMESTAMPTZ) AS ${id}`;
  if (BIGINTS.includes(column)) return `CAST(${id} AS BIGINT) AS ${id}`;
  if (column === 'trade_date' || column === 'trading_date' || column === 'date') return `CAST(${id} AS DATE) AS ${id}`;
  if (column === 'current') return `CAST(${id} AS BOOLEAN) AS ${id}`;
  if (column === 'trade_conditions') return `from_json(${id}, '["VARCHAR"]') AS ${id}`;
  if (column === 'vendor_data') return `CAST(CAST(${id} AS JSON) AS MAP(VARCHAR, VARCHAR)) AS ${id}`;
  return id;
}

function cellText(v: Json | undefined): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export async function writeResultParquet(result: Pick<QueryResult, 'columns' | 'rows'>, file: string, engine?: DuckDbEngine): Promise<string> {
  const out = resolve(file);
  const db = engine ?? (await sharedEngine());
  await db.withConnection(async (conn) => {
    const cols = result.columns.map((c) => `"${c.replace(/"/g, '""')}" VARCHAR`).join(', ');
    await conn.run(`CREATE TEMP TABLE k2_export (${cols})`);
    const a = await conn.createAppender('k2_export', 'main', 'temp');
    for (const r of result.rows) {
      for (const c of result.columns) {
        const t = cellText(r[c]);
        if (t === null) a.appendNull();
        else a.appendVarchar(t);
      }
      a.endRow();
    }
    a.flushSync();
    a.closeSync();
    const select = result.columns.map(castExpr).join(', ');
    await runSql(conn, `COPY (SELECT ${select} FROM k2_export) TO '${out.replace(/'/g, "''")}' (FORMAT parquet, COMPRESSION zstd)`);
  });
  return out;
}
