/**
 * Fills the vectors of a DuckDB data chunk straight from record properties through
 * the node bindings: fixed-width columns (int64 decimals, timestamps and longs; int32
 * dictionary codes) are written into one reused typed array and copied into the
 * vector with a single native call; strings are assigned per value with no JS-side
 * cache. The validity mask is only touched when a chunk column has a null.
 *
 * Compared with the node-api vector wrappers (`setItem` + `flush`), this avoids a
 * value holder and a range check through `BigInt.asIntN` per value, the per-value
 * validity bookkeeping on bigint words, and the per-chunk copy of the vector's
 * current contents into JS memory.
 */
import duckdb from '@duckdb/node-bindings';
import { IcebergError } from './errors.js';

/** DuckDB's vector size: a data chunk holds at most this many rows. */
export const VECTOR_ROWS = 2048;

const I64 = new BigInt64Array(VECTOR_ROWS);
const I32: Int32Array<ArrayBuffer> = new Int32Array(VECTOR_ROWS);
/** validity bits, row i = byte i >> 3, bit i & 7 (the little-endian uint64 words DuckDB uses) */
const VALIDITY = new Uint8Array(VECTOR_ROWS / 8).fill(0xff);

const INT64_MAX = 0x7fff_ffff_ffff_ffffn;
const INT64_MIN = -0x8000_0000_0000_0000n;
/** decimal(18, 8): at most 18 digits of unscaled value */
const DECIMAL18_MAX = 999_999_999_999_999_999n;

export type RowGetter = (row: unknown) => unknown;

/** What a filler needs to know about the column and the table (for error context). */
export interface FillTarget {
  table: string;
  column: string;
  required: boolean;
}

function missing(t: FillTarget, row: number): never {
  throw new IcebergError(`required column ${t.column} is null`, { table: t.table, column: t.column, row });
}

function flushValidity(vector: duckdb.Vector, n: number): void {
  duckdb.vector_ensure_validity_writable(vector);
  duckdb.copy_data_to_vector_validity(vector, 0, VALIDITY.buffer, VALIDITY.byteOffset, Math.ceil(n / 64) * 8);
  VALIDITY.fill(0xff);
}

/**
 * int64 values (decimal(18,8) unscaled units, timestamp micros, longs) of rows[start, start+n).
 * `decimal` checks the 18-digit range; others the int64 range.
 */
export function fillInt64(
  vector: duckdb.Vector,
  rows: readonly unknown[],
  start: number,
  n: number,
  get: RowGetter,
  t: FillTarget,
  decimal: boolean,
): void {
  const max = decimal ? DECIMAL18_MAX : INT64_MAX;
  const min = decimal ? -DECIMAL18_MAX : INT64_MIN;
  let nulls = false;
  for (let i = 0; i < n; i++) {
    const x = get(rows[start + i]);
    if (typeof x === 'bigint') {
      if (x > max || x < min) {
        throw new IcebergError(`${t.column} value ${x} is out of range for ${decimal ? 'decimal(18, 8)' : 'int64'}`, {
          table: t.table,
          column: t.column,
          row: start + i,
        });
      }
      I64[i] = x;
    } else if (x === null || x === undefined) {
      if (t.required) missing(t, start + i);
      I64[i] = 0n;
      VALIDITY[i >> 3]! &= ~(1 << (i & 7));
      nulls = true;
    } else {
      throw new IcebergError(`${t.column} must be a bigint, got ${typeof x}`, { table: t.table, column: t.column, row: start + i });
    }
  }
  duckdb.copy_data_to_vector(vector, 0, I64.buffer, I64.byteOffset, n * 8);
  if (nulls) flushValidity(vector, n);
}

/** int32 values already computed by the caller (dictionary codes, partition ordinals); 0 = null. */
export function fillInt32(vector: duckdb.Vector, values: Int32Array<ArrayBuffer>, n: number, zeroIsNull: boolean): void {
  let nulls = false;
  if (zeroIsNull) {
    for (let i = 0; i < n; i++) {
      if (values[i] === 0) {
        VALIDITY[i >> 3]! &= ~(1 << (i & 7));
        nulls = true;
      }
    }
  }
  duckdb.copy_data_to_vector(vector, 0, values.buffer, values.byteOffset, n * 4);
  if (nulls) flushValidity(vector, n);
}

/** VARCHAR values of rows[start, start+n). */
export function fillVarchar(vector: duckdb.Vector, rows: readonly unknown[], start: number, n: number, get: RowGetter, t: FillTarget): void {
  let nulls = false;
  for (let i = 0; i < n; i++) {
    const x = get(rows[start + i]);
    if (typeof x === 'string') {
      duckdb.vector_assign_string_element(vector, i, x);
    } else if (x === null || x === undefined) {
      if (t.required) missing(t, start + i);
      VALIDITY[i >> 3]! &= ~(1 << (i & 7));
      nulls = true;
    } else {
      throw new IcebergError(`${t.column} must be a string, got ${typeof x}`, { table: t.table, column: t.column, row: start + i });
    }
  }
  if (nulls) flushValidity(vector, n);
}

/** A reusable int32 scratch array of VECTOR_ROWS entries (one chunk column at a time). */
export function int32Scratch(): Int32Array<ArrayBuffer> {
  return I32;
}
