/**
 * Writes Iceberg Parquet data files through DuckDB: records are appended to an
 * in-memory staging table in data chunks (columnar, no SQL text per row), then one
 * `COPY (SELECT ... ORDER BY symbol, timestamp) TO ... (FORMAT parquet, COMPRESSION
 * zstd, FIELD_IDS ..., RETURN_STATS true)` per partition writes a sorted file whose
 * Parquet field ids are the Iceberg ids. decimal(18,8) is written as INT64
 * DECIMAL(18,8), timestamptz as INT64 TIMESTAMP(MICROS, isAdjustedToUTC=true).
 * Decimals and timestamps go in as bigints and never pass through JS numbers.
 *
 * Hot path (see docs/decisions.md): scalar columns are filled through the node
 * bindings from typed arrays (duckdb-vector-fill.ts); low-cardinality strings and
 * string lists become per-batch dictionary codes; unique strings are packed per chunk;
 * vendor_data maps become per-batch dictionary codes when few, JSON text otherwise;
 * partitions whose rows already arrive in sort order are written without a sort.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  DuckDBDataChunk,
  DuckDBInstance,
  DuckDBListValue,
  DuckDBMapValue,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBVector,
} from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import { STATUS_ADDED, type DataFile, type ManifestEntry, type PartitionValues } from './data-file.js';
import { metricsFromStats, statsByPath } from './duckdb-stats.js';
import { IcebergError } from './errors.js';
import { dayOf, partitionPath } from './partitioning.js';
import { fillInt32, fillInt64, fillVarchar, int32Scratch, type FillTarget } from './duckdb-vector-fill.js';
import { SortOrderCheck } from './sort-order-check.js';
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
/** A SQL string literal; NUL (which a literal cannot hold) is spliced in with chr(0). */
const sqlString = (s: string): string =>
  s.includes('\u0000') ? `(${s.split('\u0000').map((p) => `'${p.replace(/'/g, "''")}'`).join(' || chr(0) || ')})` : `'${s.replace(/'/g, "''")}'`;

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
 * Writes one nested value (a list or map that is not dictionary-coded) through the
 * node-api vector wrappers. Scalar columns go through duckdb-vector-fill.ts instead.
 */
function nestedSetterFor(c: ColumnDef): Setter {
  const set = (v: DuckDBVector, i: number, x: unknown): void => (v as unknown as ItemVector).setItem(i, x);
  if (c.kind === 'string_list') return (v, i, x) => set(v, i, x === null || x === undefined ? null : new DuckDBListValue(x as string[]));
  return (v, i, x) =>
    set(
      v,
      i,
      x === null || x === undefined ? null : new DuckDBMapValue(Object.entries(x as Record<string, string>).map(([key, value]) => ({ key, value }))),
    );
}

/** Per-batch dictionary of a low-cardinality column: value -> 1-based code. */
class Dictionary {
  readonly codes = new Map<string, number>();
  readonly values: unknown[] = [];

  private lastValue: unknown = undefined;
  private lastCode = 0;
  private emptyListCode = 0;
  private readonly singles = new Map<string, number>();

  private add(value: unknown, key: string): number {
    let code = this.codes.get(key);
    if (code === undefined) {
      this.values.push(value);
      code = this.values.length;
      this.codes.set(key, code);
    }
    return code;
  }

  /** The 1-based code of a string (or string list) value. */
  code(value: unknown, c: ColumnDef): number {
    if (value === this.lastValue) return this.lastCode;
    if (c.kind === 'string_list') {
      // lists of 0 or 1 elements (nearly all trade_conditions) are looked up without building a key
      const l = value as string[];
      if (l.length === 0) return (this.emptyListCode ||= this.add(value, dictKey(c, value)));
      if (l.length === 1) {
        let code = this.singles.get(l[0]!);
        if (code === undefined) {
          code = this.add(value, dictKey(c, value));
          this.singles.set(l[0]!, code);
        }
        return code;
      }
    }
    const code = this.add(value, dictKey(c, value));
    if (typeof value === 'string') {
      this.lastValue = value;
      this.lastCode = code;
    }
    return code;
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

class MapTrieNode {
  readonly next = new Map<string, Map<string, MapTrieNode>>();
  /** 1-based code of the map ending here, 0 if none */
  code = 0;
}

/** At most this many distinct maps per batch are dictionary-coded (a SQL list literal). */
const MAX_MAP_DICT = 512;

/**
 * Per-batch dictionary of map<string,string> values (e.g. ASX vendor_data, which
 * takes few distinct values): each row carries an int code into a list literal of
 * MAP values, instead of JSON text that DuckDB parses per row.
 */
class MapDictionary {
  private constructor(
    readonly codes: Int32Array,
    private readonly values: Record<string, string>[],
  ) {}

  /** Codes for every row (0 = null), or undefined when the batch has too many distinct maps. */
  static tryBuild(rows: readonly unknown[], get: (row: unknown) => unknown): MapDictionary | undefined {
    const codes = new Int32Array(rows.length);
    const values: Record<string, string>[] = [];
    // a trie over (key, value) pairs in iteration order: no per-row string building
    const root = new MapTrieNode();
    for (let i = 0; i < rows.length; i++) {
      const m = get(rows[i]) as Record<string, unknown> | null | undefined;
      if (m === null || m === undefined) continue;
      let node = root;
      for (const k in m) {
        const v = m[k];
        if (typeof v !== 'string') return undefined;
        let byValue = node.next.get(k);
        if (byValue === undefined) {
          byValue = new Map();
          node.next.set(k, byValue);
        }
        let child = byValue.get(v);
        if (child === undefined) {
          child = new MapTrieNode();
          byValue.set(v, child);
        }
        node = child;
      }
      if (node.code === 0) {
        if (values.length >= MAX_MAP_DICT) return undefined;
        values.push(m as Record<string, string>);
        node.code = values.length;
      }
      codes[i] = node.code;
    }
    return new MapDictionary(codes, values);
  }

  listLiteral(): string {
    const maps = this.values.map((m) => `MAP {${Object.entries(m).map(([k, v]) => `${sqlString(k)}: ${sqlString(v)}`).join(', ')}}`);
    return `CAST([${maps.join(', ')}] AS MAP(VARCHAR, VARCHAR)[])`;
  }
}

export interface WrittenDataFile {
  dataFile: DataFile;
}

/** A Parquet file just written by COPY, with DuckDB's RETURN_STATS row. */
interface CopiedFile {
  file: string;
  stats: CopyStats;
  partition: PartitionValues;
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
  /** INTEGER columns after _k2_part: the dictionary codes of the packed map columns (lean stage) */
  extra?: string[];
}

/** One writer per table; not safe for concurrent calls (callers serialise per table). */
export class DuckDBDataFileWriter<R extends object> {
  private readonly setters: Setter[];
  private readonly targets: FillTarget[];
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
  /** packed map columns (vendor_data): dictionary-coded per batch when few distinct maps, else JSON text */
  private readonly packedMaps: number[];
  /** per column index: this batch's map dictionary, if the batch's maps were few enough */
  private mapDicts: (MapDictionary | undefined)[] = [];
  private readonly full: Stage;
  private readonly lean: Stage;
  private blobs = `blobs_${randomUUID().replace(/-/g, '')}`;
  private strs = `strs_${randomUUID().replace(/-/g, '')}`;
  private blobAppender: DuckDBAppender | undefined;
  private packedMode = false;
  /** packed mode with at least one column travelling as joined text (the side table is used) */
  private blobbed = false;

  private constructor(
    private readonly def: TableDefinition<R>,
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
  ) {
    this.setters = def.columns.map(nestedSetterFor);
    this.targets = def.columns.map((c) => ({ table: def.name, column: c.name, required: c.required }));
    this.getters = def.columns.map((c) => new Function('r', `return r[${JSON.stringify(c.name)}];`) as (row: unknown) => unknown);
    this.packed = def.columns.flatMap((c, i) => ((c.kind === 'string' && c.required && !c.lowCardinality) || c.kind === 'string_map' ? [i] : []));
    const id = randomUUID().replace(/-/g, '');
    const all = def.columns.map((_, i) => i);
    this.full = { table: `staging_${id}`, columns: all, types: [] };
    this.packedMaps = this.packed.filter((i) => def.columns[i]!.kind === 'string_map');
    this.lean = { table: `lean_${id}`, columns: all.filter((i) => !this.packed.includes(i)), types: [], extra: this.packedMaps.map((_, j) => `_k2_m${j}`) };
  }

  static async create<R extends object>(def: TableDefinition<R>, threads = 2): Promise<DuckDBDataFileWriter<R>> {
    const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
    const conn = await instance.connect();
    await conn.run(`SET TimeZone = 'UTC'`);
    const w = new DuckDBDataFileWriter(def, instance, conn);
    for (const stage of [w.full, w.lean]) {
      const cols = stage.columns.map((i) => `${q(def.columns[i]!.name)} ${duckType(def.columns[i]!)}`).join(', ');
      const extra = (stage.extra ?? []).map((name) => `, ${name} INTEGER`).join('');
      await conn.run(`CREATE TABLE ${stage.table} (${cols}, _k2_part INTEGER${extra})`);
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
    // Whether each partition's rows already arrive in sort order (symbol, timestamp): then
    // the COPY keeps the staged order instead of sorting (an ASX file, one symbol's feed).
    const order = new SortOrderCheck();
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] as unknown as { timestamp: bigint; exchange: string; symbol: string };
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
      order.observe(g, r.symbol, r.timestamp);
    }
    await this.appendRows(rows, parts);
    const stage = this.stage;
    const entries: ManifestEntry[] = [];
    try {
      const written: CopiedFile[] = [];
      for (let g = 0; g < groups.length; g++) {
        const where = groups.length === 1 ? '' : `WHERE _k2_part = ${g}`;
        const from = this.blobbed ? `${stage.table} POSITIONAL JOIN ${this.strs}` : stage.table;
        written.push(await this.copyPartition(`SELECT ${this.columnList()} FROM ${from} ${where}`, tableLocation, groups[g]!, order.isSorted(g)));
      }
      // one footer query for all the batch's files (a query per file cost ~0.3 us/row)
      for (const dataFile of await this.describeFiles(written)) {
        entries.push({ status: STATUS_ADDED, snapshotId: null, sequenceNumber: null, fileSequenceNumber: null, dataFile });
      }
    } finally {
      await this.conn.run(`DELETE FROM ${stage.table}`);
      if (this.blobbed) await this.conn.run(`DROP TABLE IF EXISTS ${this.strs}`);
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
          const mapDict = this.mapDicts[i];
          if (mapDict !== undefined) return `${mapDict.listLiteral()}[_k2_m${this.packedMaps.indexOf(i)}] AS ${q(c.name)}`;
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
    this.mapDicts = cols.map((_, i) => (this.packedMode && this.packedMaps.includes(i) ? MapDictionary.tryBuild(rows, this.getters[i]!) : undefined));
    this.blobbed = this.packedMode && this.packed.some((c) => this.mapDicts[c] === undefined);
    const stage = this.stage;
    const appender = await this.appenderOf(stage);
    if (this.blobbed) this.blobAppender ??= await this.conn.createAppender(this.blobs);
    const blobTypes = this.blobbed ? Array.from({ length: this.blobAppender!.columnCount }, (_, i) => this.blobAppender!.columnType(i)) : [];
    const nCols = stage.columns.length;
    try {
      for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
        const n = Math.min(CHUNK_ROWS, rows.length - start);
        const chunk = DuckDBDataChunk.create(stage.types, n);
        for (let k = 0; k < nCols; k++) {
          const c = stage.columns[k]!;
          const col = cols[c]!;
          const get = this.getters[c]!;
          const dict = this.dicts[c];
          const target = this.targets[c]!;
          if (dict !== undefined) {
            const codes = int32Scratch();
            for (let i = 0; i < n; i++) {
              const x = get(rows[start + i]);
              if (x === null || x === undefined) {
                if (col.required) this.missing(col, start + i);
                codes[i] = 0;
              } else codes[i] = dict.code(x, col);
            }
            fillInt32(duckdb.data_chunk_get_vector(chunk.chunk, k), codes, n, true);
          } else if (col.kind === 'decimal' || col.kind === 'timestamptz' || col.kind === 'long') {
            fillInt64(duckdb.data_chunk_get_vector(chunk.chunk, k), rows, start, n, get, target, col.kind === 'decimal');
          } else if (col.kind === 'string') {
            fillVarchar(duckdb.data_chunk_get_vector(chunk.chunk, k), rows, start, n, get, target);
          } else {
            const vector = chunk.getColumnVector(k);
            const set = this.setters[c]!;
            for (let i = 0; i < n; i++) {
              const x = get(rows[start + i]);
              if (col.required && (x === null || x === undefined)) this.missing(col, start + i);
              set(vector, i, x);
            }
            vector.flush();
          }
        }
        const partCodes = int32Scratch();
        for (let i = 0; i < n; i++) partCodes[i] = parts[start + i]!;
        fillInt32(duckdb.data_chunk_get_vector(chunk.chunk, nCols), partCodes, n, false);
        if (this.packedMode) {
          for (let j = 0; j < this.packedMaps.length; j++) {
            const codes = int32Scratch();
            const all = this.mapDicts[this.packedMaps[j]!]?.codes;
            for (let i = 0; i < n; i++) codes[i] = all === undefined ? 0 : all[start + i]!;
            fillInt32(duckdb.data_chunk_get_vector(chunk.chunk, nCols + 1 + j), codes, n, true);
          }
        }
        appender.appendDataChunk(chunk);
        if (this.blobbed) {
          const blobChunk = DuckDBDataChunk.create(blobTypes, 1);
          this.packed.forEach((c, k) => {
            const get = this.getters[c]!;
            const values = new Array<string>(n);
            if (this.mapDicts[c] !== undefined) {
              // coded in the lean table; one empty value (unnest pads the shorter lists with NULL)
              values.length = 1;
              values[0] = '';
            } else if (cols[c]!.kind === 'string_map') {
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
      if (this.blobbed) {
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
   * order, to a new Parquet file and describe it as an Iceberg data file. With
   * `alreadySorted` the caller guarantees `selectSql` yields the rows in that order.
   */
  async copyToFile(selectSql: string, tableLocation: string, partition: PartitionValues, alreadySorted = false): Promise<DataFile> {
    const [dataFile] = await this.describeFiles([await this.copyPartition(selectSql, tableLocation, partition, alreadySorted)]);
    return dataFile!;
  }

  private async copyPartition(selectSql: string, tableLocation: string, partition: PartitionValues, alreadySorted: boolean): Promise<CopiedFile> {
    const dir = join(uriToPath(tableLocation), 'data', partitionPath(partition));
    const file = join(dir, `${randomUUID()}.parquet`);
    mkdirSync(dirname(file), { recursive: true });
    // DuckDB keeps the scan order of a single staged table (preserve_insertion_order, on by default)
    const query = alreadySorted ? selectSql : `SELECT * FROM (${selectSql}) ORDER BY "symbol", "timestamp"`;
    const sql = `COPY (${query}) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${ROW_GROUP_ROWS}, FIELD_IDS ${fieldIdsLiteral(this.def.columns)}, RETURN_STATS true)`;
    const result = await this.conn.runAndReadAll(sql);
    const stats = result.getRowObjectsJson()[0] as unknown as CopyStats | undefined;
    if (stats === undefined) throw new IcebergError('DuckDB returned no file statistics', { file });
    return { file, stats, partition };
  }

  /** The Iceberg data files of freshly written Parquet files; split offsets from one parquet_metadata query. */
  private async describeFiles(files: readonly CopiedFile[]): Promise<DataFile[]> {
    if (files.length === 0) return [];
    const offsets = await this.conn.runAndReadAll(
      `SELECT file_name, row_group_id, min(coalesce(dictionary_page_offset, data_page_offset))::VARCHAR AS start
         FROM parquet_metadata([${files.map((f) => sqlString(f.file)).join(', ')}]) GROUP BY file_name, row_group_id ORDER BY file_name, start`,
    );
    const byFile = new Map<string, bigint[]>();
    for (const r of offsets.getRowObjectsJson()) {
      const name = String(r.file_name);
      let list = byFile.get(name);
      if (list === undefined) byFile.set(name, (list = []));
      list.push(BigInt(String(r.start)));
    }
    return files.map((f) => {
      const splitOffsets = byFile.get(f.file);
      if (splitOffsets === undefined) throw new IcebergError('DuckDB returned no row groups for a data file it wrote', { file: f.file });
      return this.describeFile(f, splitOffsets);
    });
  }

  private describeFile({ file, stats, partition }: CopiedFile, splitOffsets: bigint[]): DataFile {
    const rowCount = BigInt(stats.count);
    const metrics = metricsFromStats(this.def.columns, statsByPath(stats.column_statistics ?? []), rowCount);
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
