/**
 * `k2 query sql`: a user's SELECT over the views `trades` and `quotes`, run in a
 * dedicated DuckDB instance that is locked down after the views are set up:
 * external access off (only the table's own data files, listed in allowed_paths,
 * stay readable), configuration locked, and exactly one SELECT statement accepted.
 * So no file reads or writes, no COPY, no ATTACH, no INSTALL, no SET.
 */
import { DuckDBInstance, StatementType, type DuckDBConnection } from '../runtime/duckdb-node-api.js';
import { resolve } from 'node:path';
import { ValidationError } from '../model/errors.js';
import { parseCommittedOffsets } from './committed-offsets.js';
import type { DataFileSource, SnapshotSelector } from './data-file-source.js';
import { QueryExecutionError, cleanDuckDbMessage, runSql } from './duckdb-engine.js';
import type { PlanReport, QueryResult } from './query-result.js';
import { readFreshRows, type TailSource } from './tail-source.js';
import { loadTailTable } from './tail-table.js';
import { recordKeyColumns, tableColumns, type QueryTable } from './table-schema.js';

export const SQL_VIEWS: Readonly<Record<string, QueryTable>> = { trades: 'trades_v2', quotes: 'quotes_v2' };

export interface ReadOnlySqlOptions {
  files: DataFileSource;
  tail?: TailSource | null;
  selector: SnapshotSelector;
  /** Why no fresh rows are read (freshSkipReason), or null to read them. */
  freshSkip: string | null;
  sql: string;
  /** When set, the result is written to this Parquet file instead of returned. */
  parquetOut?: string;
  /** Maximum rows returned (not applied to --parquet). */
  maxRows?: number;
}

/** A path as a SQL string literal. Paths come from the catalog or the user's own --parquet flag, never from query text. */
function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function viewSql(table: QueryTable, files: readonly string[], freshTable: string | null): string {
  const cols = tableColumns(table).map((c) => `"${c.name}"`).join(', ');
  const committed =
    files.length === 0
      ? `SELECT ${tableColumns(table).map((c) => `CAST(NULL AS ${c.duckType}) AS "${c.name}"`).join(', ')} WHERE false`
      : `SELECT ${cols} FROM read_parquet([${files.map(sqlString).join(', ')}], hive_partitioning = false)`;
  if (freshTable === null) return committed;
  const key = recordKeyColumns(table);
  const fresh =
    `SELECT ${cols} FROM ${freshTable} f WHERE NOT EXISTS (SELECT 1 FROM (${committed}) c WHERE ${key.map((k) => `c."${k}" = f."${k}"`).join(' AND ')}) ` +
    `QUALIFY row_number() OVER (PARTITION BY ${key.map((k) => `f."${k}"`).join(', ')} ORDER BY f."timestamp") = 1`;
  return `${committed} UNION ALL ${fresh}`;
}

/** Checks the text is exactly one SELECT statement; returns it without a trailing semicolon. */
async function singleSelect(conn: DuckDBConnection, sql: string): Promise<string> {
  const text = sql.trim().replace(/;\s*$/, '');
  if (text === '') throw new ValidationError('invalid sql: empty statement', { field: 'sql' });
  let extracted;
  try {
    extracted = await conn.extractStatements(text);
  } catch (err) {
    throw new ValidationError(`invalid sql: ${cleanDuckDbMessage(err)}`, { field: 'sql' });
  }
  if (extracted.count !== 1) throw new ValidationError(`invalid sql: exactly one statement allowed, got ${extracted.count}`, { field: 'sql' });
  let prepared;
  try {
    prepared = await extracted.prepare(0);
  } catch (err) {
    throw new QueryExecutionError(cleanDuckDbMessage(err), { field: 'sql' }, err);
  }
  const type = prepared.statementType;
  prepared.destroySync();
  if (type !== StatementType.SELECT) {
    throw new ValidationError(`invalid sql: only SELECT is allowed (got ${StatementType[type] ?? type})`, { field: 'sql' });
  }
  return text;
}

export async function runReadOnlySql(opts: ReadOnlySqlOptions): Promise<QueryResult> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run("SET TimeZone = 'UTC'");
    const plans: PlanReport[] = [];
    const allowed: string[] = [];
    for (const [view, table] of Object.entries(SQL_VIEWS)) {
      const pinned = await opts.files.pin(table, opts.selector);
      const files = pinned.snapshot === null ? [] : await pinned.dataFiles();
      const { tail, freshUnavailable } = await readFreshRows(opts.tail, table, pinned.snapshot?.summary, opts.freshSkip);
      const freshTable = tail !== null && tail.records.length > 0 ? await loadTailTable(conn, tail) : null;
      await conn.run(`CREATE TEMP VIEW ${view} AS ${viewSql(table, files.map((f) => f.path), freshTable)}`);
      allowed.push(...files.map((f) => f.path));
      const records = files.reduce((n, f) => n + f.recordCount, 0);
      plans.push({
        table,
        snapshotId: pinned.snapshot?.snapshotId.toString() ?? null,
        filesTotal: files.length,
        filesScanned: files.length,
        filesSkipped: 0,
        skippedByPartition: 0,
        skippedByBounds: 0,
        recordsScanned: records,
        freshRecords: tail?.records.length ?? 0,
        freshUnavailable,
      });
    }
    const out = opts.parquetOut === undefined ? undefined : resolve(opts.parquetOut);
    if (out !== undefined) allowed.push(out);
    // From here on the instance can read only the data files (and write only the requested output).
    await conn.run(`SET allowed_paths = [${allowed.map(sqlString).join(', ')}]`);
    await conn.run('SET enable_external_access = false');
    await conn.run('SET autoinstall_known_extensions = false');
    await conn.run('SET autoload_known_extensions = false');
    await conn.run('SET lock_configuration = true');
    const select = await singleSelect(conn, opts.sql);
    if (out !== undefined) {
      await runSql(conn, `COPY (\n${select}\n) TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd, USE_TMP_FILE false)`);
      return { columns: ['written'], rows: [{ written: out }], plans };
    }
    const max = opts.maxRows ?? 100_000;
    try {
      const reader = await conn.runAndReadUntil(select, max);
      const rows = (reader.getRowObjectsJson() as QueryResult['rows']).slice(0, max);
      return { columns: reader.columnNames(), rows, plans };
    } catch (err) {
      throw new QueryExecutionError(cleanDuckDbMessage(err), { field: 'sql' }, err);
    }
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
