/**
 * SQL for "the rows of a table that match a filter": the committed rows from the
 * planned Parquet files, plus the fresh rows from the bus tail that are not already
 * committed. Every user value is a named parameter; table and column names come
 * from the allow-list in table-schema.ts.
 */
import { TIMESTAMPTZ, VARCHAR, LIST, listValue, timestampTZValue } from '../runtime/duckdb-node-api.js';
import type { Micros } from '../model/trade.js';
import type { SqlParamTypes, SqlParams } from './duckdb-engine.js';
import { recordKeyColumns, tableColumns, type QueryTable } from './table-schema.js';

export interface RowPredicate {
  symbols?: readonly string[];
  exchange?: string;
  side?: string;
  currency?: string;
  fromMicros?: Micros;
  toMicros?: Micros;
}

export interface SqlFragment {
  sql: string;
  params: SqlParams;
  types: SqlParamTypes;
}

/** WHERE conditions (joined with AND; "true" when empty) over columns of `alias`. */
export function predicateSql(pred: RowPredicate, alias = ''): SqlFragment {
  const p = alias === '' ? '' : `${alias}.`;
  const conds: string[] = [];
  const params: SqlParams = {};
  const types: SqlParamTypes = {};
  if (pred.symbols !== undefined) {
    const names = pred.symbols.map((s, i) => {
      params[`symbol_${i}`] = s;
      types[`symbol_${i}`] = VARCHAR;
      return `$symbol_${i}`;
    });
    conds.push(names.length === 1 ? `${p}symbol = ${names[0]}` : `${p}symbol IN (${names.join(', ')})`);
  }
  const eq = (col: string, v: string | undefined): void => {
    if (v === undefined) return;
    params[col] = v;
    types[col] = VARCHAR;
    conds.push(`${p}${col} = $${col}`);
  };
  eq('exchange', pred.exchange);
  eq('side', pred.side);
  eq('currency', pred.currency);
  if (pred.fromMicros !== undefined) {
    params.from_ts = timestampTZValue(pred.fromMicros);
    types.from_ts = TIMESTAMPTZ;
    conds.push(`${p}"timestamp" >= $from_ts`);
  }
  if (pred.toMicros !== undefined) {
    params.to_ts = timestampTZValue(pred.toMicros);
    types.to_ts = TIMESTAMPTZ;
    conds.push(`${p}"timestamp" < $to_ts`);
  }
  return { sql: conds.length === 0 ? 'true' : conds.join(' AND '), params, types };
}

function columnList(table: QueryTable, alias = ''): string {
  const p = alias === '' ? '' : `${alias}.`;
  return tableColumns(table)
    .map((c) => `${p}"${c.name}"`)
    .join(', ');
}

function emptyRelation(table: QueryTable): string {
  const cols = tableColumns(table)
    .map((c) => `CAST(NULL AS ${c.duckType}) AS "${c.name}"`)
    .join(', ');
  return `SELECT ${cols} WHERE false`;
}

/**
 * CTEs `committed`, `fresh` and `src` (their union). Query text goes after:
 * `WITH ${cte.sql} SELECT ... FROM src`. `src` already has the predicate applied.
 */
export function sourceCtes(table: QueryTable, files: readonly string[], freshTable: string | null, pred: RowPredicate): SqlFragment {
  const where = predicateSql(pred);
  const params: SqlParams = { ...where.params };
  const types: SqlParamTypes = { ...where.types };
  let committed: string;
  if (files.length === 0) {
    // Still references every parameter, so binding them never fails.
    committed = `SELECT * FROM (${emptyRelation(table)}) WHERE ${where.sql}`;
  } else {
    params.k2_files = listValue([...files]);
    types.k2_files = LIST(VARCHAR);
    committed = `SELECT ${columnList(table)} FROM read_parquet($k2_files, hive_partitioning = false) WHERE ${where.sql}`;
  }
  const parts = [`committed AS (${committed})`];
  if (freshTable !== null) {
    const key = recordKeyColumns(table);
    const freshWhere = predicateSql(pred, 'f');
    const notCommitted = key.map((k) => `c."${k}" = f."${k}"`).join(' AND ');
    const partitionBy = key.map((k) => `f."${k}"`).join(', ');
    parts.push(
      `fresh AS (SELECT ${columnList(table, 'f')} FROM ${freshTable} f WHERE ${freshWhere.sql} ` +
        `AND NOT EXISTS (SELECT 1 FROM committed c WHERE ${notCommitted}) ` +
        `QUALIFY row_number() OVER (PARTITION BY ${partitionBy} ORDER BY f."timestamp") = 1)`,
      'src AS (SELECT * FROM committed UNION ALL SELECT * FROM fresh)',
    );
  } else {
    parts.push('src AS (SELECT * FROM committed)');
  }
  return { sql: parts.join(',\n'), params, types };
}
