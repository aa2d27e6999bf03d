/**
 * Fills the vectors of a DuckDB data chunk straight from the typed arrays of a
 * ColumnBatch through the node bindings: a chunk of an int64 or int32 column is one
 * native copy of a slice of the column's memory; the validity mask is only touched
 * when the chunk has a null. Strings that cannot travel packed are assigned from
 * their UTF-8 bytes.
 *
 * Compared with the node-api vector wrappers (`setItem` + `flush`), this avoids a
 * value holder and a range check per value, the per-value validity bookkeeping on
 * bigint words, and the per-chunk copy of the vector's current contents into JS memory.
 */
import duckdb from '@duckdb/node-bindings';
import type { CodeColumn, Int64Column, MapColumn, TextColumn } from './column-batch.js';

/** DuckDB's vector size: a data chunk holds at most this many rows. */
export const VECTOR_ROWS = 2048;

/** validity bits, row i = byte i >> 3, bit i & 7 (the little-endian uint64 words DuckDB uses) */
const VALIDITY = new Uint8Array(VECTOR_ROWS / 8).fill(0xff);

function flushValidity(vector: duckdb.Vector, n: number): void {
  duckdb.vector_ensure_validity_writable(vector);
  duckdb.copy_data_to_vector_validity(vector, 0, VALIDITY.buffer, VALIDITY.byteOffset, Math.ceil(n / 64) * 8);
  VALIDITY.fill(0xff);
}

/** Rows [start, start+n) of an int64 column. */
export function fillInt64(vector: duckdb.Vector, col: Int64Column, start: number, n: number): void {
  duckdb.copy_data_to_vector(vector, 0, col.values.buffer, col.values.byteOffset + start * 8, n * 8);
  const valid = col.valid;
  if (valid === null) return;
  let nulls = false;
  for (let i = 0; i < n; i++) {
    if (valid[start + i] === 0) {
      VALIDITY[i >> 3]! &= ~(1 << (i & 7));
      nulls = true;
    }
  }
  if (nulls) flushValidity(vector, n);
}

/** int32 values[start, start+n) (dictionary codes, partition ordinals); with zeroIsNull, 0 = null. */
export function fillInt32(vector: duckdb.Vector, values: Int32Array<ArrayBuffer>, start: number, n: number, zeroIsNull: boolean): void {
  let nulls = false;
  if (zeroIsNull) {
    for (let i = 0; i < n; i++) {
      if (values[start + i] === 0) {
        VALIDITY[i >> 3]! &= ~(1 << (i & 7));
        nulls = true;
      }
    }
  }
  duckdb.copy_data_to_vector(vector, 0, values.buffer, values.byteOffset + start * 4, n * 4);
  if (nulls) flushValidity(vector, n);
}

/** Dictionary codes of rows [start, start+n) of a coded column (0 = null). */
export function fillCodes(vector: duckdb.Vector, col: CodeColumn, start: number, n: number): void {
  fillInt32(vector, col.codes, start, n, true);
}

/** VARCHAR values of rows [start, start+n) of a text column, value by value (when they cannot be packed). */
export function fillText(vector: duckdb.Vector, col: TextColumn, start: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const r = start + i;
    duckdb.vector_assign_string_element_len(vector, i, col.bytes.subarray(col.startOf(r), col.ends[r]!));
  }
}

/** duckdb_list_entry {offset, length} per row as uint64 words, written as 32-bit halves (no BigInt) */
const LIST_ENTRIES = new Uint32Array(VECTOR_ROWS * 4);
/** UTF-8 bytes of map keys, per key string */
const keyBytes = new Map<string, Buffer>();

function bytesOfKey(key: string): Buffer {
  let b = keyBytes.get(key);
  if (b === undefined) {
    b = Buffer.from(key, 'utf8');
    if (keyBytes.size < 10_000) keyBytes.set(key, b);
  }
  return b;
}

/**
 * Rows [start, start+n) of a map column into a MAP(VARCHAR, VARCHAR) vector: the list
 * entries in one copy, then each key and value assigned from its UTF-8 bytes (keys come
 * from the row's shape, values from the column's arena).
 */
export function fillMap(vector: duckdb.Vector, col: MapColumn, start: number, n: number): void {
  const first = col.entryStart(start);
  let nulls = false;
  for (let i = 0; i < n; i++) {
    const r = start + i;
    const s = col.entryStart(r);
    LIST_ENTRIES[4 * i] = s - first;
    LIST_ENTRIES[4 * i + 1] = 0;
    LIST_ENTRIES[4 * i + 2] = col.rowEnds[r]! - s;
    LIST_ENTRIES[4 * i + 3] = 0;
    if (col.shapeCodes[r] === 0) {
      VALIDITY[i >> 3]! &= ~(1 << (i & 7));
      nulls = true;
    }
  }
  duckdb.copy_data_to_vector(vector, 0, LIST_ENTRIES.buffer, LIST_ENTRIES.byteOffset, n * 16);
  if (nulls) flushValidity(vector, n);
  const total = col.entryStart(start + n) - first;
  duckdb.list_vector_reserve(vector, total);
  duckdb.list_vector_set_size(vector, total);
  if (total === 0) return;
  const entries = duckdb.list_vector_get_child(vector);
  const keys = duckdb.struct_vector_get_child(entries, 0);
  const values = duckdb.struct_vector_get_child(entries, 1);
  const bytes = col.bytes;
  let e = 0;
  for (let i = 0; i < n; i++) {
    const r = start + i;
    const code = col.shapeCodes[r]!;
    if (code === 0) continue;
    const shape = col.shapes[code - 1]!;
    let k = col.entryStart(r);
    for (let j = 0; j < shape.length; j++, k++, e++) {
      duckdb.vector_assign_string_element_len(keys, e, bytesOfKey(shape[j]!));
      duckdb.vector_assign_string_element_len(values, e, bytes.subarray(col.valueStart(k), col.valueEnds[k]!));
    }
  }
}
