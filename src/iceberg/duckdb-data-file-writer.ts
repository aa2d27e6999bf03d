/**
 * Writes Iceberg Parquet data files through DuckDB: records are appended to an
 * in-memory staging table in data chunks (columnar, no SQL text per row), then one
 * `COPY (SELECT ... ORDER BY symbol, timestamp) TO ... (FORMAT parquet, COMPRESSION
 * zstd, FIELD_IDS ..., RETURN_STATS true)` per partition writes a sorted file whose
 * Parquet field ids are the Iceberg ids. decimal(18,8) is written as INT64
 * DECIMAL(18,8), timestamptz as INT64 TIMESTAMP(MICROS, isAdjustedToUTC=true).
 * Decimals and timestamps go in as bigints and never pass through JS numbers.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  DuckDBDataChunk,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBTimestampTZValue,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBVector,
} from '@duckdb/node-api';
import { STATUS_ADDED, type DataFile, type ManifestEntry, type PartitionValues } from './data-file.js';
import { metricsFromStats, statsByPath } from './duckdb-stats.js';
import { IcebergError } from './errors.js';
import { dayOf, partitionPath } from './partitioning.js';
import { pathToUri, uriToPath } from './paths.js';
import type { ColumnDef, TableDefinition } from './table-definitions.js';

const CHUNK_ROWS = 2048;
/** Rows per Parquet row group: DuckDB's default, about 1-4 MB of compressed trades. */
export const ROW_GROUP_ROWS = 122_880;

function duckType(c: ColumnDef): string {
  if (c.lowCardinality) return 'INTEGER';
  switch (c.kind) {
    case 'string':
      return 'VARCHAR';
    case 'timestamptz':
      return 'TIMESTAMPTZ';
    case 'decimal':
      return 'DECIMAL(18,8)';
    case 'long':
      return 'BIGINT';
    case 'string_list':
      return 'VARCHAR[]';
    case 'string_map':
      return 'MAP(VARCHAR, VARCHAR)';
  }
}

const q = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** The FIELD_IDS struct literal: {"price": 7, "trade_conditions": {__duckdb_field_id: 11, element: 16}, ...}. */
export function fieldIdsLiteral(columns: readonly ColumnDef[]): string {
  const parts = columns.map((c) => {
    if (c.kind === 'string_list') return `${q(c.name)}: {__duckdb_field_id: ${c.id}, element: ${c.childIds![0]}}`;
    if (c.kind === 'string_map') return `${q(c.name)}: {__duckdb_field_id: ${c.id}, key: ${c.childIds![0]}, value: ${c.childIds![1]}}`;
    return `${q(c.name)}: ${c.id}`;
  });
  return `{${parts.join(', ')}}`;
}

type Setter = (vector: DuckDBVector, index: number, value: unknown) => void;

interface ItemVector {
  setItem(i: number, x: unknown): void;
}

/**
 * Writes one value into a vector. The timestamp and decimal vectors read `.micros`
 * / `.value` synchronously inside setItem, so one reused holder per column avoids an
 * allocation per value (the bigint goes straight into the int64 buffer).
 */
function setterFor(c: ColumnDef): Setter {
  const set = (v: DuckDBVector, i: number, x: unknown): void => (v as unknown as ItemVector).setItem(i, x);
  switch (c.kind) {
    case 'string':
    case 'long':
      return (v, i, x) => set(v, i, x ?? null);
    case 'timestamptz': {
      const holder = new DuckDBTimestampTZValue(0n) as { micros: bigint };
      return (v, i, x) => {
        if (x === null || x === undefined) return set(v, i, null);
        holder.micros = x as bigint;
        set(v, i, holder);
      };
    }
    case 'decimal': {
      const holder = new DuckDBDecimalValue(0n, 18, 8) as { value: bigint };
      return (v, i, x) => {
        if (x === null || x === undefined) return set(v, i, null);
        holder.value = x as bigint;
        set(v, i, holder);
      };
    }
    case 'string_list':
      return (v, i, x) => set(v, i, x === null || x === undefined ? null : new DuckDBListValue(x as string[]));
    case 'string_map':
      return (v, i, x) =>
        set(
          v,
          i,
          x === null || x === undefined
            ? null
            : new DuckDBMapValue(Object.entries(x as Record<string, string>).map(([key, value]) => ({ key, value }))),
        );
  }
}

/** Per-batch dictionary of a low-cardinality column: value -> 1-based code. */
class Dictionary {
  readonly codes = new Map<string, number>();
  readonly values: unknown[] = [];

  code(value: unknown, key: string): number {
    let c = this.codes.get(key);
    if (c === undefined) {
      this.values.push(value);
      c = this.values.length;
      this.codes.set(key, c);
    }
    return c;
  }
}

function dictKey(c: ColumnDef, x: unknown): string {
  return c.kind === 'string_list' ? (x as string[]).join('\u0000') + `\u0000${(x as string[]).length}` : (x as string);
}

function listLiteral(c: ColumnDef, values: readonly unknown[]): string {
  if (c.kind === 'string_list') {
    const items = values.map((l) => `[${(l as string[]).map(sqlString).join(', ')}]`);
    return `CAST([${items.join(', ')}] AS VARCHAR[][])`;
  }
  return `CAST([${values.map((v) => sqlString(v as string)).join(', ')}] AS VARCHAR[])`;
}

export interface WrittenDataFile {
  dataFile: DataFile;
}

interface CopyStats {
  count: string;
  file_size_bytes: string;
  column_statistics: { key: string; value: { key: string; value: string }[] }[];
}

/** A staging table with its appender: every column (per-value path) or all but the packed ones. */
interface Stage {
  table: string;
  /** indices into def.columns, in table column order */
  columns: number[];
  appender?: DuckDBAppender;
  types: DuckDBType[];
}

/** One writer per table; not safe for concurrent calls (callers serialise per table). */
export class DuckDBDataFileWriter<R extends object> {
  private readonly setters: Setter[];
  /** per-column property readers compiled with a literal key (a monomorphic load, not a keyed one) */
  private readonly getters: ((row: unknown) => unknown)[];
  /** dictionaries of the batch being staged, by column index */
  private dicts: (Dictionary | undefined)[] = [];
  /**
   * Unique required strings (message_id, trade_id) and vendor_data maps cost one or more
   * native calls per value when set element by element. They are instead "packed":
   * joined per chunk with U+001F (maps as JSON text) into one value of a side table,
   * split back in SQL and lined up with the lean staging table by POSITIONAL JOIN.
   * A batch where such a string contains U+001F uses the full staging table instead.
   */
  private readonly packed: number[];
  private readonly full: Stage;
  private readonly lean: Stage;
  private blobs = `blobs_${randomUUID().replace(/-/g, '')}`;
  private strs = `strs_${randomUUID().replace(/-/g, '')}`;
  private blobAppender: DuckDBAppender | undefined;
  private packedMode = false;

  private constructor(
    private readonly def: TableDefinition<R>,
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
  ) {
    this.setters = def.columns.map(setterFor);
    this.getters = def.columns.map((c) => new Function('r', `return r[${JSON.stringify(c.name)}];`) as (row: unknown) => unknown);
    this.packed = def.columns.flatMap((c, i) => ((c.kind === 'string' && c.required && !c.lowCardinality) || c.kind === 'string_map' ? [i] : []));
    const id = randomUUID().replace(/-/g, '');
    const all = def.columns.map((_, i) => i);
    this.full = { table: `staging_${id}`, columns: all, types: [] };
    this.lean = { table: `lean_${id}`, columns: all.filter((i) => !this.packed.includes(i)), types: [] };
  }

  static async create<R extends object>(def: TableDefinition<R>, threads = 2): Promise<DuckDBDataFileWriter<R>> {
    const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
    const conn = await instance.connect();
    await conn.run(`SET TimeZone = 'UTC'`);
    const w = new DuckDBDataFileWriter(def, instance, conn);
    for (const stage of [w.full, w.lean]) {
      const cols = stage.columns.map((i) => `${q(def.columns[i]!.name)} ${duckType(def.columns[i]!)}`).join(', ');
      await conn.run(`CREATE TABLE ${stage.table} (${cols}, _k2_part INTEGER)`);
    }
    if (w.packed.length > 0) await conn.run(`CREATE TABLE ${w.blobs} (${w.packed.map((i) => `${q(def.columns[i]!.name)} VARCHAR`).join(', ')})`);
    return w;
  }

  /** A connection other code (compaction) may use to read Parquet files. */
  get connection(): DuckDBConnection {
    return this.conn;
  }

  private async appenderOf(stage: Stage): Promise<DuckDBAppender> {
    if (stage.appender === undefined) {
      const a = await this.conn.createAppender(stage.table);
      stage.appender = a;
      stage.types = Array.from({ length: a.columnCount }, (_, i) => a.columnType(i));
    }
    return stage.appender;
  }

  private get stage(): Stage {
    return this.packedMode ? this.lean : this.full;
  }

  /**
   * Writes `rows` as one sorted Parquet file per partition under `<tableLocation>/data/`
   * and returns the ADDED manifest entries (sequence numbers left to inheritance).
   */
  async writeRows(rows: readonly R[], tableLocation: string): Promise<ManifestEntry[]> {
    if (rows.length === 0) return [];
    // Group by (exchange, day) without allocating per row.
    const byExchange = new Map<string, Map<number, number>>();
    const groups: PartitionValues[] = [];
    const parts = new Int32Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] as unknown as { timestamp: bigint; exchange: string };
      const day = dayOf(r.timestamp);
      let days = byExchange.get(r.exchange);
      if (days === undefined) {
        days = new Map();
        byExchange.set(r.exchange, days);
      }
      let g = days.get(day);
      if (g === undefined) {
        g = groups.length;
        groups.push({ timestamp_day: day, exchange: r.exchange });
        days.set(day, g);
      }
      parts[i] = g;
    }
    await this.appendRows(rows, parts);
    const stage = this.stage;
    const entries: ManifestEntry[] = [];
    try {
      for (let g = 0; g < groups.length; g++) {
        const where = groups.length === 1 ? '' : `WHERE _k2_part = ${g}`;
        const from = this.packedMode ? `${stage.table} POSITIONAL JOIN ${this.strs}` : stage.table;
        const dataFile = await this.copyToFile(`SELECT ${this.columnList()} FROM ${from} ${where}`, tableLocation, groups[g]!);
        entries.push({ status: STATUS_ADDED, snapshotId: null, sequenceNumber: null, fileSequenceNumber: null, dataFile });
      }
    } finally {
      await this.conn.run(`DELETE FROM ${stage.table}`);
      if (this.packedMode) await this.conn.run(`DROP TABLE IF EXISTS ${this.strs}`);
    }
    return entries;
  }

  /** The staged columns as the table's columns: dictionary codes expanded, packed columns unpacked. */
  private columnList(): string {
    return this.def.columns
      .map((c, i) => {
        const d = this.dicts[i];
        if (this.packedMode && this.packed.includes(i)) {
          const packedName = q(`_s_${c.name}`);
          // maps travel as JSON text ('' = null); JSON.stringify escapes U+001F, so it never clashes with the separator
          return c.kind === 'string_map'
            ? `CASE WHEN ${packedName} = '' THEN NULL ELSE CAST(CAST(${packedName} AS JSON) AS MAP(VARCHAR, VARCHAR)) END AS ${q(c.name)}`
            : `${packedName} AS ${q(c.name)}`;
        }
        return d === undefined ? q(c.name) : `${listLiteral(c, d.values)}[${q(c.name)}] AS ${q(c.name)}`;
      })
      .join(', ');
  }

  private async appendRows(rows: readonly R[], parts: Int32Array): Promise<void> {
    const cols = this.def.columns;
    this.dicts = cols.map((c) => (c.lowCardinality ? new Dictionary() : undefined));
    this.packedMode =
      this.packed.length > 0 &&
      this.packed.every(
        (c) =>
          cols[c]!.kind === 'string_map' ||
          rows.every((r) => {
            const x = (r as Record<string, unknown>)[cols[c]!.name];
            return typeof x === 'string' && !x.includes('\u001f');
          }),
      );
    const stage = this.stage;
    const appender = await this.appenderOf(stage);
    if (this.packedMode) this.blobAppender ??= await this.conn.createAppender(this.blobs);
    const blobTypes = this.packedMode ? Array.from({ length: this.blobAppender!.columnCount }, (_, i) => this.blobAppender!.columnType(i)) : [];
    const nCols = stage.columns.length;
    try {
      for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
        const n = Math.min(CHUNK_ROWS, rows.length - start);
        const chunk = DuckDBDataChunk.create(stage.types, n);
        for (let k = 0; k < nCols; k++) {
          const c = stage.columns[k]!;
          const vector = chunk.getColumnVector(k);
          const col = cols[c]!;
          const get = this.getters[c]!;
          const dict = this.dicts[c];
          if (dict !== undefined) {
            const codes = vector as unknown as ItemVector;
            for (let i = 0; i < n; i++) {
              const x = get(rows[start + i]);
              if (x === null || x === undefined) {
                if (col.required) this.missing(col, start + i);
                codes.setItem(i, null);
              } else codes.setItem(i, dict.code(x, dictKey(col, x)));
            }
          } else {
            const set = this.setters[c]!;
            for (let i = 0; i < n; i++) {
              const x = get(rows[start + i]);
              if (col.required && (x === null || x === undefined)) this.missing(col, start + i);
              set(vector, i, x);
            }
          }
          vector.flush();
        }
        const pv = chunk.getColumnVector(nCols) as unknown as { setItem(i: number, x: number): void; flush(): void };
        for (let i = 0; i < n; i++) pv.setItem(i, parts[start + i]!);
        pv.flush();
        appender.appendDataChunk(chunk);
        if (this.packedMode) {
          const blobChunk = DuckDBDataChunk.create(blobTypes, 1);
          this.packed.forEach((c, k) => {
            const get = this.getters[c]!;
            const values = new Array<string>(n);
            if (cols[c]!.kind === 'string_map') {
              for (let i = 0; i < n; i++) {
                const x = get(rows[start + i]);
                values[i] = x === null || x === undefined ? '' : JSON.stringify(x);
              }
            } else {
              for (let i = 0; i < n; i++) values[i] = get(rows[start + i]) as string;
            }
            const bv = blobChunk.getColumnVector(k) as unknown as ItemVector & { flush(): void };
            bv.setItem(0, values.join('\u001f'));
            bv.flush();
          });
          this.blobAppender!.appendDataChunk(blobChunk);
        }
      }
      appender.flushSync();
      if (this.packedMode) {
        this.blobAppender!.flushSync();
        const split = this.packed.map((c) => `unnest(string_split(${q(cols[c]!.name)}, chr(31))) AS ${q(`_s_${cols[c]!.name}`)}`).join(', ');
        await this.conn.run(`CREATE OR REPLACE TABLE ${this.strs} AS SELECT ${split} FROM ${this.blobs}`);
        await this.conn.run(`DELETE FROM ${this.blobs}`);
        const count = (await this.conn.runAndReadAll(`SELECT count(*)::VARCHAR FROM ${this.strs}`)).getRows()[0]?.[0];
        if (count !== String(rows.length)) {
          throw new IcebergError('packed string columns do not line up with the staged rows', { table: this.def.name, expected: rows.length, got: String(count) });
        }
      }
    } catch (err) {
      appender.clear();
      this.blobAppender?.clear();
      await this.conn.run(`DELETE FROM ${stage.table}`);
      if (this.packed.length > 0) await this.conn.run(`DELETE FROM ${this.blobs}`);
      if (err instanceof IcebergError) throw err;
      throw new IcebergError(`cannot stage rows for ${this.def.name}: ${(err as Error).message}`, { table: this.def.name }, { cause: err });
    }
  }

  private missing(col: ColumnDef, row: number): never {
    throw new IcebergError(`required column ${col.name} is null`, { table: this.def.name, column: col.name, row });
  }

  /**
   * COPY the rows of `selectSql` (all of one partition), sorted by the table's sort
   * order, to a new Parquet file and describe it as an Iceberg data file.
   */
  async copyToFile(selectSql: string, tableLocation: string, partition: PartitionValues): Promise<DataFile> {
    const dir = join(uriToPath(tableLocation), 'data', partitionPath(partition));
    const file = join(dir, `${randomUUID()}.parquet`);
    mkdirSync(dirname(file), { recursive: true });
    const sql = `COPY (SELECT * FROM (${selectSql}) ORDER BY "symbol", "timestamp") TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${ROW_GROUP_ROWS}, FIELD_IDS ${fieldIdsLiteral(this.def.columns)}, RETURN_STATS true)`;
    const result = await this.conn.runAndReadAll(sql);
    const stats = result.getRowObjectsJson()[0] as unknown as CopyStats | undefined;
    if (stats === undefined) throw new IcebergError('DuckDB returned no file statistics', { file });
    return this.describeFile(file, stats, partition);
  }

  private async describeFile(file: string, stats: CopyStats, partition: PartitionValues): Promise<DataFile> {
    const rowCount = BigInt(stats.count);
    const metrics = metricsFromStats(this.def.columns, statsByPath(stats.column_statistics ?? []), rowCount);
    const offsets = await this.conn.runAndReadAll(
      `SELECT row_group_id, min(coalesce(dictionary_page_offset, data_page_offset)) AS start
         FROM parquet_metadata(${sqlString(file)}) GROUP BY row_group_id ORDER BY start`,
    );
    const splitOffsets = offsets.getRowObjectsJson().map((r) => BigInt(String(r.start)));
    return {
      filePath: pathToUri(file),
      fileFormat: 'PARQUET',
      partition,
      recordCount: rowCount,
      fileSizeInBytes: BigInt(statSync(file).size),
      ...metrics,
      splitOffsets: splitOffsets.length > 0 ? splitOffsets : null,
      sortOrderId: this.def.sortOrder['order-id'],
    };
  }

  async close(): Promise<void> {
    for (const a of [this.full.appender, this.lean.appender, this.blobAppender]) {
      try {
        a?.closeSync();
      } catch {
        /* already closed */
      }
    }
    this.full.appender = undefined;
    this.lean.appender = undefined;
    this.blobAppender = undefined;
    this.conn.closeSync();
    this.instance.closeSync();
  }
}
