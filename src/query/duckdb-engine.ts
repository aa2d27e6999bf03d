/**
 * One warm in-memory DuckDB instance per process. Every query runs on its own
 * short-lived connection (cheap in DuckDB), so temp tables holding fresh rows never
 * leak between concurrent API requests. Results are read with the exact JSON
 * accessors: decimals and 64-bit integers come back as strings, never floats.
 */
import { DuckDBInstance, type DuckDBConnection, type DuckDBType, type DuckDBValue, type Json } from '../runtime/duckdb-node-api.js';
import { K2Error } from '../model/errors.js';

export type SqlParams = Record<string, DuckDBValue>;
export type SqlParamTypes = Record<string, DuckDBType | undefined>;

export interface SqlResult {
  columns: string[];
  /** DuckDB type of each column, e.g. DECIMAL(18,8). */
  types: string[];
  rows: Record<string, Json>[];
}

/** A DuckDB statement that failed; the message is DuckDB's, the context names the query. */
export class QueryExecutionError extends K2Error {
  constructor(message: string, context: Record<string, string> = {}, cause?: unknown) {
    super('QUERY', message, context, { cause });
  }
}

export class DuckDbEngine {
  private constructor(private readonly instance: DuckDBInstance) {}

  static async open(): Promise<DuckDbEngine> {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    try {
      // Iceberg data files are immutable, so their Parquet footers can be cached safely.
      await conn.run('SET GLOBAL parquet_metadata_cache = true');
    } finally {
      conn.closeSync();
    }
    return new DuckDbEngine(instance);
  }

  /** Runs fn on a fresh connection with UTC session time, then closes it. */
  async withConnection<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const conn = await this.instance.connect();
    try {
      await conn.run("SET TimeZone = 'UTC'");
      return await fn(conn);
    } finally {
      conn.closeSync();
    }
  }

  close(): void {
    this.instance.closeSync();
  }
}

export async function runSql(conn: DuckDBConnection, sql: string, params: SqlParams = {}, types: SqlParamTypes = {}): Promise<SqlResult> {
  try {
    const reader = Object.keys(params).length > 0 ? await conn.runAndReadAll(sql, params, types) : await conn.runAndReadAll(sql);
    return {
      columns: reader.columnNames(),
      types: reader.columnTypes().map((t) => t.toString()),
      rows: reader.getRowObjectsJson() as Record<string, Json>[],
    };
  } catch (err) {
    if (err instanceof K2Error) throw err;
    throw new QueryExecutionError(cleanDuckDbMessage(err), {}, err);
  }
}

/** DuckDB messages carry a caret diagram over several lines; keep the first line. */
export function cleanDuckDbMessage(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0]!.trim();
}

let shared: Promise<DuckDbEngine> | null = null;

/** The process-wide warm engine. */
export function sharedEngine(): Promise<DuckDbEngine> {
  shared ??= DuckDbEngine.open();
  return shared;
}
