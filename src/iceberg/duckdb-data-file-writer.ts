/**
 * Writes Iceberg Parquet data files through DuckDB: records are appended to an
 * in-memory staging table in data chunks (columnar, no SQL text per row), then one
 * `COPY (SELECT ... ORDER BY symbol, timestamp) TO ... (FORMAT parquet, COMPRESSION
 * zstd, FIELD_IDS ..., RETURN_STATS true)` per partition writes a sorted file whose
 * Parquet field ids are the Iceberg ids. decimal(18,8) is written as INT64
 * DECIMAL(18,8), timestamptz as INT64 TIMESTAMP(MICROS, isAdjustedToUTC=true).
 * Decimals and timestamps go in as bigints and never pass through JS numbers.
 *
 * Hot path (see docs/decisions.md): rows arrive column by column (ColumnBatch: typed
 * arrays, per-batch dictionary codes, UTF-8 arenas); a chunk of a fixed-width column is
 * one native copy (duckdb-vector-fill.ts); low-cardinality strings, string lists and
 * (when few) vendor_data maps are staged as codes into a SQL list literal; unique
 * strings are packed per chunk (one string per chunk straight from the arena); maps
 * travel as a shape code (their keys, from a list literal) plus their values packed
 * the same way and split back in SQL;
 * partitions whose rows already arrive in sort order are written without a sort.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBType,
} from '../runtime/duckdb-node-api.js';
import duckdb from '@duckdb/node-bindings';
import { STATUS_ADDED, type DataFile, type ManifestEntry, type PartitionValues } from './data-file.js';
import { metricsFromStats, statsByPath } from './duckdb-stats.js';
import { IcebergError } from './errors.js';
import { partitionPath } from './partitioning.js';
import { readSplitOffsets } from './parquet-split-offsets.js';
import { CodeColumn, ColumnBatch, Int64Column, MapColumn, TextColumn } from './column-batch.js';
import { fillCodes, fillInt32, fillInt64, fillMap, fillText } from './duckdb-vector-fill.js';
import { partitionBatch } from './batch-partitions.js';
import { pathToUri, uriToPath } from './paths.js';
import type { ColumnDef, TableDefinition } from './table-definitions.js';

const CHUNK_ROWS = 2048;
/** Partitions of a batch copied to Parquet at the same time. */
const COPY_LANES = 2;
/**
 * DuckDB's allocator (its bundled jemalloc) keeps freed memory for reuse until a single
 * deallocation passes 512 MB. A flush frees its staging rows and Parquet buffers (tens of MB)
 * every time, so a long-running writer's RSS kept 100-150 MB that duckdb_memory() did not
 * even report. With these thresholds each flush gives it back: about 70-90 MB less peak RSS
 * for `k2 stream binance` into Iceberg (25k-row flushes), for about 10 % more writer CPU
 * (measured; decisions.md).
 */
const ALLOCATOR_SETTINGS = { allocator_bulk_deallocation_flush_threshold: '1MB', allocator_flush_threshold: '1MB' } as const;

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

/** A SQL list literal of a coded column's dictionary (1-based codes index it). */
function listLiteral(c: ColumnDef, values: readonly unknown[]): string {
  if (c.kind === 'string_list') {
    const items = values.map((l) => `[${(l as string[]).map(sqlString).join(', ')}]`);
    return `CAST([${items.join(', ')}] AS VARCHAR[][])`;
  }
  return `CAST([${values.map((v) => sqlString(v as string)).join(', ')}] AS VARCHAR[])`;
}

/** At most this many distinct maps per batch travel as a dictionary (a SQL list literal of maps). */
const MAX_MAP_DICT = 512;

/**
 * How a batch's map column travels in the lean stage: as codes into a list literal of
 * its few distinct maps, or as JSON text packed per chunk, written straight from the
 * column's arena (DuckDB's JSON-to-MAP cast measured faster than MAP(keys, string_split(...))).
 */
type MapPlan = { mode: 'dictionary'; codes: Int32Array<ArrayBuffer>; literal: string } | { mode: 'json' };

function mapLiteral(m: Record<string, string>): string {
  return `MAP {${Object.entries(m).map(([k, v]) => `${sqlString(k)}: ${sqlString(v)}`).join(', ')}}`;
}

/** Whether rows a and b of a map column (of one shape) hold the same values. */
function sameValues(col: MapColumn, a: number, b: number): boolean {
  const fa = col.entryStart(a);
  const fb = col.entryStart(b);
  const n = col.rowEnds[a]! - fa;
  for (let k = 0; k < n; k++) if (col.valueEnds[fa + k]! - col.valueStart(fa + k) !== col.valueEnds[fb + k]! - col.valueStart(fb + k)) return false;
  const sa = col.valueStart(fa);
  const sb = col.valueStart(fb);
  const len = col.valueStart(fa + n) - sa;
  const bytes = col.bytes;
  for (let i = 0; i < len; i++) if (bytes[sa + i] !== bytes[sb + i]) return false;
  return true;
}

function planMaps(col: MapColumn, rows: number): MapPlan {
  const codes = new Int32Array(rows);
  const byKey = new Map<string, number>();
  const maps: string[] = [];
  let dictionary = true;
  let prev = -1;
  for (let i = 0; i < rows && dictionary; i++) {
    const shape = col.shapeCodes[i]!;
    if (shape === 0) continue;
    // consecutive rows mostly carry the same map: compare with the previous one before building a key
    if (prev >= 0 && col.shapeCodes[prev] === shape && sameValues(col, prev, i)) {
      codes[i] = codes[prev]!;
      prev = i;
      continue;
    }
    prev = i;
    const first = col.entryStart(i);
    const last = col.rowEnds[i]!;
    let key = `${shape}:${col.bytes.toString('latin1', col.valueStart(first), col.valueStart(last))}`;
    for (let k = first; k < last; k++) key += `:${col.valueEnds[k]! - col.valueStart(k)}`;
    let code = byKey.get(key);
    if (code === undefined) {
      if (maps.length >= MAX_MAP_DICT) dictionary = false;
      maps.push(mapLiteral(col.valueAt(i)!));
      code = maps.length;
      byKey.set(key, code);
    }
    codes[i] = code;
  }
  if (dictionary) return { mode: 'dictionary', codes, literal: `CAST([${maps.join(', ')}] AS MAP(VARCHAR, VARCHAR)[])` };
  return { mode: 'json' };
}

/**
 * The JSON text around a shape's values, as UTF-8: `{"k1":"`, `","k2":"`, ..., `"}` (`{}` for no
 * keys), so that a row is its fragments with its escaped values between them. Per keys array (a
 * column's shapes are fixed once made).
 */
const shapeFragments = new WeakMap<readonly string[], Uint8Array[]>();

function fragmentsOf(keys: readonly string[]): Uint8Array[] {
  let f = shapeFragments.get(keys);
  if (f === undefined) {
    f = [];
    if (keys.length === 0) f.push(Buffer.from('{}'));
    else {
      keys.forEach((k, j) => f!.push(Buffer.from(`${j === 0 ? '{' : '",'}${JSON.stringify(k)}:"`, 'utf8')));
      f.push(Buffer.from('"}'));
    }
    shapeFragments.set(keys, f);
  }
  return f;
}

const HEX = '0123456789abcdef';

let packScratch = Buffer.allocUnsafe(1 << 16);

/** Copies a fragment to out at `at` (short: a loop beats a native call); returns the end. */
function putFragment(out: Buffer, at: number, fragment: Uint8Array): number {
  const n = fragment.length;
  if (n > 32) out.set(fragment, at);
  else for (let i = 0; i < n; i++) out[at + i] = fragment[i]!;
  return at + n;
}

const NO_BYTES = new Uint8Array(0);

/**
 * The packed text of rows [start, start+n) of a map column under its plan (rows joined by U+001F),
 * as UTF-8: a view of a scratch buffer, valid until the next call.
 */
function packedMaps(col: MapColumn, plan: MapPlan, start: number, n: number): Uint8Array {
  if (plan.mode === 'dictionary') return NO_BYTES; // coded in the lean table; one empty value (unnest pads the shorter lists with NULL)
  const need = packedMapsBound(col, start, n);
  if (packScratch.length < need) packScratch = Buffer.allocUnsafe(Math.max(need, packScratch.length * 2));
  return packScratch.subarray(0, writeJsonMaps(packScratch, col, start, n));
}

/**
 * The most bytes writeJsonMaps can write for rows [start, start+n): the rows' fragments, every
 * value byte escaped as \u00XX, and the separators.
 */
function packedMapsBound(col: MapColumn, start: number, n: number): number {
  let fragmentBytes = 0;
  let lastCode = 0;
  let lastBytes = 0;
  for (let i = 0; i < n; i++) {
    const code = col.shapeCodes[start + i]!;
    if (code === 0) continue;
    if (code !== lastCode) {
      lastBytes = 0;
      for (const f of fragmentsOf(col.shapes[code - 1]!)) lastBytes += f.length;
      lastCode = code;
    }
    fragmentBytes += lastBytes;
  }
  return fragmentBytes + 6 * (col.valueStart(col.entryStart(start + n)) - col.valueStart(col.entryStart(start))) + n;
}

/**
 * Writes rows [start, start+n) of a map column to `out` as JSON objects ('' for null) joined by
 * U+001F, and returns the end. JSON escapes control characters, so the separator never occurs
 * inside one; values are escaped byte by byte (UTF-8 passes through). The loops live in small
 * synchronous functions so that V8 optimizes them alone (decisions.md).
 */
function writeJsonMaps(out: Buffer, col: MapColumn, start: number, n: number): number {
  const bytes = col.bytes;
  let at = 0;
  let lastCode = 0;
  let fragments: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const r = start + i;
    if (i > 0) out[at++] = 0x1f;
    const code = col.shapeCodes[r]!;
    if (code === 0) continue;
    if (code !== lastCode) {
      fragments = fragmentsOf(col.shapes[code - 1]!);
      lastCode = code;
    }
    let k = col.entryStart(r);
    const values = fragments.length - 1;
    for (let j = 0; j < values; j++, k++) {
      at = putFragment(out, at, fragments[j]!);
      at = putEscaped(out, at, bytes, col.valueStart(k), col.valueEnds[k]!);
    }
    at = putFragment(out, at, fragments[values]!);
  }
  return at;
}

/** Writes bytes[p, e) to out at `at` as the inside of a JSON string; returns the end. */
function putEscaped(out: Buffer, at: number, bytes: Uint8Array, p: number, e: number): number {
  for (; p < e; p++) {
    const b = bytes[p]!;
    if (b === 0x22 || b === 0x5c) {
      out[at++] = 0x5c;
      out[at++] = b;
    } else if (b < 0x20) {
      out[at++] = 0x5c;
      out[at++] = 0x75; // \u00XX
      out[at++] = 0x30;
      out[at++] = 0x30;
      out[at++] = HEX.charCodeAt(b >> 4);
      out[at++] = HEX.charCodeAt(b & 15);
    } else out[at++] = b;
  }
  return at;
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
  /** the footer's length, without its 8-byte trailer */
  footer_size_bytes?: string;
  column_statistics: { key: string; value: { key: string; value: string }[] }[];
}

/** A staging table with its appender: every column (per-value path) or all but the packed ones. */
interface Stage {
  table: string;
  /** indices into def.columns, in table column order */
  columns: number[];
  appender?: DuckDBAppender;
  types: DuckDBType[];
  /** INTEGER columns after _k2_part: the codes of the packed map columns (lean stage) */
  extra?: string[];
}

/** One writer per table; not safe for concurrent calls (callers serialise per table). */
export class DuckDBDataFileWriter<R extends object> {
  /**
   * Unique required strings (message_id, trade_id) and vendor_data maps cost one or more
   * native calls per value when set element by element. They are instead "packed":
   * joined per chunk with U+001F (a map's values joined by U+001E) into one value of a side table,
   * split back in SQL and lined up with the lean staging table by POSITIONAL JOIN.
   * A batch where such a string contains U+001F uses the full staging table instead.
   */
  private readonly packed: number[];
  /** packed map columns (vendor_data): a code column in the lean stage (_k2_m<j>), values in the side table */
  private readonly packedMaps: number[];
  /** how each packed map column of this batch travels, by column index */
  private mapPlans: (MapPlan | undefined)[] = [];
  /** per column index: this batch's SQL list literal of its dictionary (coded columns) */
  private literals: (string | undefined)[] = [];
  private readonly full: Stage;
  private readonly lean: Stage;
  private blobs = `blobs_${randomUUID().replace(/-/g, '')}`;
  private strs = `strs_${randomUUID().replace(/-/g, '')}`;
  private blobAppender: DuckDBAppender | undefined;
  /** extra connections for parallel partition COPYs */
  private readonly lanes: DuckDBConnection[] = [];
  private packedMode = false;
  /** packed mode with at least one column travelling as joined text (the side table is used) */
  private blobbed = false;

  private constructor(
    private readonly def: TableDefinition<R>,
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
  ) {
    this.packed = def.columns.flatMap((c, i) => ((c.kind === 'string' && c.required && !c.lowCardinality) || c.kind === 'string_map' ? [i] : []));
    this.packedMaps = this.packed.filter((i) => def.columns[i]!.kind === 'string_map');
    const id = randomUUID().replace(/-/g, '');
    const all = def.columns.map((_, i) => i);
    this.full = { table: `staging_${id}`, columns: all, types: [] };
    this.lean = { table: `lean_${id}`, columns: all.filter((i) => !this.packed.includes(i)), types: [], extra: this.packedMaps.map((_, j) => `_k2_m${j}`) };
  }

  /**
   * `threads`: DuckDB's threads, the calling one included. One by default: each COPY lane then
   * runs on its own connection's thread, so two lanes still use two cores, and no COPY is split
   * across DuckDB's workers, which cost up to twice the CPU for the same file and barely any
   * wall time (measured; decisions.md).
   */
  static async create<R extends object>(def: TableDefinition<R>, threads = 1): Promise<DuckDBDataFileWriter<R>> {
    const instance = await DuckDBInstance.create(':memory:', { threads: String(threads), ...ALLOCATOR_SETTINGS });
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
    return this.writeBatch(ColumnBatch.fromRows(this.def as TableDefinition<object>, rows), tableLocation);
  }

  /** As writeRows, for rows already held column by column. */
  async writeBatch(batch: ColumnBatch, tableLocation: string): Promise<ManifestEntry[]> {
    const rows = batch.length;
    if (rows === 0) return [];
    const { groups, parts, order } = partitionBatch(batch);
    await this.appendBatch(batch, parts);
    const stage = this.stage;
    const entries: ManifestEntry[] = [];
    try {
      const written: CopiedFile[] = new Array<CopiedFile>(groups.length);
      const from = this.blobbed ? `${stage.table} POSITIONAL JOIN ${this.strs}` : stage.table;
      const columns = this.columnList();
      // Partitions are copied in COPY_LANES lanes, one connection each, each COPY on its own
      // thread: two at a time keep two cores busy.
      let nextGroup = 0;
      const lane = async (conn: DuckDBConnection): Promise<void> => {
        for (let g = nextGroup++; g < groups.length; g = nextGroup++) {
          const where = groups.length === 1 ? '' : `WHERE _k2_part = ${g}`;
          written[g] = await this.copyPartition(conn, `SELECT ${columns} FROM ${from} ${where}`, tableLocation, groups[g]!, order.isSorted(g));
        }
      };
      const lanes = Math.min(COPY_LANES, groups.length);
      await Promise.all(Array.from({ length: lanes }, (_, k) => this.laneConnection(k).then(lane)));
      for (const dataFile of this.describeFiles(written)) {
        entries.push({ status: STATUS_ADDED, snapshotId: null, sequenceNumber: null, fileSequenceNumber: null, dataFile });
      }
    } finally {
      await this.conn.run(`DELETE FROM ${stage.table}`);
      if (this.blobbed) await this.conn.run(`DROP TABLE IF EXISTS ${this.strs}`);
      // reclaims the deleted staging rows: without it a long-running writer's RSS kept ~70 MB more
      await this.conn.run('CHECKPOINT');
    }
    return entries;
  }

  /** The staged columns as the table's columns: dictionary codes expanded, packed columns unpacked. */
  private columnList(): string {
    return this.def.columns
      .map((c, i) => {
        const literal = this.literals[i];
        if (this.packedMode && this.packed.includes(i)) {
          const packedName = q(`_s_${c.name}`);
          const plan = this.mapPlans[i];
          if (plan === undefined) return `${packedName} AS ${q(c.name)}`;
          const code = `_k2_m${this.packedMaps.indexOf(i)}`;
          if (plan.mode === 'dictionary') return `${plan.literal}[${code}] AS ${q(c.name)}`;
          return `CASE WHEN ${packedName} = '' THEN NULL ELSE CAST(CAST(${packedName} AS JSON) AS MAP(VARCHAR, VARCHAR)) END AS ${q(c.name)}`;
        }
        return literal === undefined ? q(c.name) : `${literal}[${q(c.name)}] AS ${q(c.name)}`;
      })
      .join(', ');
  }

  private async appendBatch(batch: ColumnBatch, parts: Int32Array<ArrayBuffer>): Promise<void> {
    const cols = this.def.columns;
    const bcols = batch.columns;
    const rows = batch.length;
    this.packedMode = this.packed.length > 0 && this.packed.every((c) => !(bcols[c] instanceof TextColumn) || !bcols[c].hasSeparator);
    this.literals = bcols.map((bc) => (bc instanceof CodeColumn ? listLiteral(bc.def, bc.values) : undefined));
    this.mapPlans = bcols.map((bc) => (this.packedMode && bc instanceof MapColumn ? planMaps(bc, rows) : undefined));
    this.blobbed = this.packedMode;
    const stage = this.stage;
    const appender = await this.appenderOf(stage);
    if (this.blobbed) this.blobAppender ??= await this.conn.createAppender(this.blobs);
    const blobTypes = this.blobbed ? Array.from({ length: this.blobAppender!.columnCount }, (_, i) => this.blobAppender!.columnType(i)) : [];
    const nCols = stage.columns.length;
    try {
      for (let start = 0; start < rows; start += CHUNK_ROWS) {
        const n = Math.min(CHUNK_ROWS, rows - start);
        const chunk = DuckDBDataChunk.create(stage.types, n);
        for (let k = 0; k < nCols; k++) {
          const bc = bcols[stage.columns[k]!]!;
          const vector = duckdb.data_chunk_get_vector(chunk.chunk, k);
          if (bc instanceof Int64Column) fillInt64(vector, bc, start, n);
          else if (bc instanceof TextColumn) fillText(vector, bc, start, n);
          else if (bc instanceof CodeColumn) fillCodes(vector, bc, start, n);
          else fillMap(vector, bc, start, n);
        }
        fillInt32(duckdb.data_chunk_get_vector(chunk.chunk, nCols), parts, start, n, false);
        if (this.packedMode) {
          for (let j = 0; j < this.packedMaps.length; j++) {
            const c = this.packedMaps[j]!;
            const plan = this.mapPlans[c]!;
            const codes = plan.mode === 'dictionary' ? plan.codes : (bcols[c] as MapColumn).shapeCodes;
            fillInt32(duckdb.data_chunk_get_vector(chunk.chunk, nCols + 1 + j), codes, start, n, true);
          }
        }
        appender.appendDataChunk(chunk);
        if (this.blobbed) {
          // one value per packed column: its UTF-8 bytes go straight into the vector (a JS string of
          // them would be decoded, kept in the worker's heap and encoded again)
          const blobChunk = DuckDBDataChunk.create(blobTypes, 1);
          this.packed.forEach((c, k) => {
            const bc = bcols[c]!;
            let joined: Uint8Array;
            if (bc instanceof MapColumn) joined = packedMaps(bc, this.mapPlans[c]!, start, n);
            else {
              // the arena already holds the chunk's values separated by U+001F
              const t = bc as TextColumn;
              joined = t.bytes.subarray(t.startOf(start), t.ends[start + n - 1]);
            }
            duckdb.vector_assign_string_element_len(duckdb.data_chunk_get_vector(blobChunk.chunk, k), 0, joined);
          });
          this.blobAppender!.appendDataChunk(blobChunk);
        }
      }
      appender.flushSync();
      if (this.blobbed) {
        this.blobAppender!.flushSync();
        const split = this.packed.map((c) => `unnest(string_split(${q(cols[c]!.name)}, chr(31))) AS ${q(`_s_${cols[c]!.name}`)}`).join(', ');
        // CREATE TABLE AS answers with the rows it made: the packed values must be one per staged row
        const made = await this.conn.runAndReadAll(`CREATE OR REPLACE TABLE ${this.strs} AS SELECT ${split} FROM ${this.blobs}`);
        await this.conn.run(`DELETE FROM ${this.blobs}`);
        const count = String(made.getRows()[0]?.[0]);
        if (count !== String(rows)) {
          throw new IcebergError('packed string columns do not line up with the staged rows', { table: this.def.name, expected: rows, got: String(count) });
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

  /**
   * COPY the rows of `selectSql` (all of one partition), sorted by the table's sort
   * order, to a new Parquet file and describe it as an Iceberg data file. With
   * `alreadySorted` the caller guarantees `selectSql` yields the rows in that order.
   */
  async copyToFile(selectSql: string, tableLocation: string, partition: PartitionValues, alreadySorted = false): Promise<DataFile> {
    const [dataFile] = this.describeFiles([await this.copyPartition(this.conn, selectSql, tableLocation, partition, alreadySorted)]);
    return dataFile!;
  }

  /** Connection k for parallel COPYs (0 is the writer's own). */
  private async laneConnection(k: number): Promise<DuckDBConnection> {
    if (k === 0) return this.conn;
    let c = this.lanes[k - 1];
    if (c === undefined) {
      c = await this.instance.connect();
      await c.run(`SET TimeZone = 'UTC'`);
      this.lanes[k - 1] = c;
    }
    return c;
  }

  private async copyPartition(conn: DuckDBConnection, selectSql: string, tableLocation: string, partition: PartitionValues, alreadySorted: boolean): Promise<CopiedFile> {
    const dir = join(uriToPath(tableLocation), 'data', partitionPath(partition));
    const file = join(dir, `${randomUUID()}.parquet`);
    mkdirSync(dirname(file), { recursive: true });
    // DuckDB keeps the scan order of a single staged table (preserve_insertion_order, on by default)
    const query = alreadySorted ? selectSql : `SELECT * FROM (${selectSql}) ORDER BY "symbol", "timestamp"`;
    const sql = `COPY (${query}) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${ROW_GROUP_ROWS}, FIELD_IDS ${fieldIdsLiteral(this.def.columns)}, RETURN_STATS true)`;
    const result = await conn.runAndReadAll(sql);
    const stats = result.getRowObjectsJson()[0] as unknown as CopyStats | undefined;
    if (stats === undefined) throw new IcebergError('DuckDB returned no file statistics', { file });
    return { file, stats, partition };
  }

  /** The Iceberg data files of freshly written Parquet files; split offsets from their footers. */
  private describeFiles(files: readonly CopiedFile[]): DataFile[] {
    return files.map((f) => this.describeFile(f, readSplitOffsets(f.file, Number(f.stats.footer_size_bytes))));
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
    for (const c of this.lanes) c.closeSync();
    this.conn.closeSync();
    this.instance.closeSync();
  }
}
