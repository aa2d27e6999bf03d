/** Shared helpers of the Iceberg tests: exact row canon on both sides, DuckDB access. */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { formatScaledFixed } from '../../src/model/decimal.js';
import type { QuoteV2 } from '../../src/model/quote.js';
import type { TradeV2 } from '../../src/model/trade.js';

export async function openDuckDb(): Promise<{ conn: DuckDBConnection; close: () => void }> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const conn = await instance.connect();
  await conn.run(`SET TimeZone = 'UTC'`);
  return {
    conn,
    close: () => {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

const dec = (v: bigint | null): string | null => (v === null ? null : formatScaledFixed(v));
const str = (v: bigint | null): string | null => (v === null ? null : v.toString());
const list = (l: readonly string[]): string => JSON.stringify(l);
const map = (m: Record<string, string> | null): string | null => (m === null ? null : JSON.stringify(m));

/** One exact string per trade, the same shape `tradeCanonSql` produces from Parquet. */
export function tradeCanon(t: TradeV2): string {
  return JSON.stringify([
    t.message_id, t.trade_id, t.symbol, t.exchange, t.asset_class, t.timestamp.toString(), dec(t.price), dec(t.quantity), t.currency, t.side,
    list(t.trade_conditions), str(t.source_sequence), t.ingestion_timestamp.toString(), str(t.platform_sequence), map(t.vendor_data),
  ]);
}

export const TRADE_CANON_COLUMNS = `message_id, trade_id, symbol, exchange, asset_class, epoch_us("timestamp")::VARCHAR, price::VARCHAR, quantity::VARCHAR, currency, side,
  to_json(trade_conditions)::VARCHAR, source_sequence::VARCHAR, epoch_us(ingestion_timestamp)::VARCHAR, platform_sequence::VARCHAR,
  CASE WHEN vendor_data IS NULL THEN NULL ELSE to_json(vendor_data)::VARCHAR END`;

export function quoteCanon(q: QuoteV2): string {
  return JSON.stringify([
    q.message_id, q.quote_id, q.symbol, q.exchange, q.asset_class, q.timestamp.toString(), dec(q.bid_price), dec(q.bid_quantity), dec(q.ask_price), dec(q.ask_quantity),
    q.currency, str(q.source_sequence), q.ingestion_timestamp.toString(), str(q.platform_sequence), map(q.vendor_data),
  ]);
}

export const QUOTE_CANON_COLUMNS = `message_id, quote_id, symbol, exchange, asset_class, epoch_us("timestamp")::VARCHAR, bid_price::VARCHAR, bid_quantity::VARCHAR,
  ask_price::VARCHAR, ask_quantity::VARCHAR, currency, source_sequence::VARCHAR, epoch_us(ingestion_timestamp)::VARCHAR, platform_sequence::VARCHAR,
  CASE WHEN vendor_data IS NULL THEN NULL ELSE to_json(vendor_data)::VARCHAR END`;

const sqlList = (paths: readonly string[]): string => `[${paths.map((p) => `'${p.replace(/'/g, "''")}'`).join(', ')}]`;

/** Exact canonical rows of Parquet files, read by DuckDB. */
export async function canonRowsOf(conn: DuckDBConnection, paths: readonly string[], columns = TRADE_CANON_COLUMNS): Promise<string[]> {
  if (paths.length === 0) return [];
  const r = await conn.runAndReadAll(`SELECT ${columns} FROM read_parquet(${sqlList(paths)})`);
  // DuckDB's to_json escapes control characters in upper case (\u001F): normalise JSON cells.
  const cell = (v: unknown): string | null => {
    if (v === null) return null;
    const s = String(v);
    return s.startsWith('{') || s.startsWith('[') ? JSON.stringify(JSON.parse(s)) : s;
  };
  return r.getRows().map((row) => JSON.stringify(row.map(cell)));
}

export function sorted(a: readonly string[]): string[] {
  return [...a].sort();
}
