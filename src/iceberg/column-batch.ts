/**
 * Rows of one table held column by column, ready for the data-file writer: no
 * object, string or bigint per row.
 *
 * - int64 columns (decimal(18,8) unscaled units, timestamp micros, longs): a
 *   BigInt64Array, written as two int32 words per value by decoders (no BigInt
 *   allocated), plus a validity byte per row for optional columns;
 * - low-cardinality strings, string lists and string maps: int32 codes into a
 *   per-batch dictionary (0 = null);
 * - unique strings (message_id, trade_id/quote_id): their UTF-8 bytes in one arena,
 *   each followed by U+001F, so a chunk of them is one string for the writer.
 *
 * Rows are staged at index `length` and become part of the batch with
 * `commitRow()`; a staged row that is not committed is overwritten by the next one.
 * `appendRow(record)` stages and commits a record object (checked like the writer
 * always checked: required columns present, decimals within 18 digits, int64 range).
 */
import { IcebergError } from './errors.js';
import type { ColumnDef, TableDefinition } from './table-definitions.js';

/** The byte after every value in a text column's arena (U+001F, unit separator). */
export const TEXT_SEPARATOR = 0x1f;

const INT64_MAX = 0x7fff_ffff_ffff_ffffn;
const INT64_MIN = -0x8000_0000_0000_0000n;
/** decimal(18, 8): at most 18 digits of unscaled value */
export const DECIMAL18_MAX = 999_999_999_999_999_999n;
const TWO_32 = 4_294_967_296;
const RECENT_VALUES = 8;
const RECENT_BYTES = 256;

/**
 * The encodings (bytes) and codes of the few values a decoder coded last: consecutive
 * rows mostly repeat them, so comparing bytes finds the code without building a string.
 */
export class RecentEncodings {
  private readonly slots: { bytes: Uint8Array; length: number; code: number }[] = [];
  private next = 0;

  /** The code remembered for an encoding equal to buf[s, e), or 0. */
  find(buf: Uint8Array, s: number, e: number): number {
    const n = e - s;
    const slots = this.slots;
    for (let r = 0; r < slots.length; r++) {
      const slot = slots[r]!;
      if (slot.length !== n) continue;
      const bytes = slot.bytes;
      let i = 0;
      while (i < n && bytes[i] === buf[s + i]) i++;
      if (i === n) return slot.code;
    }
    return 0;
  }

  /** Remembers an encoding (of up to RECENT_BYTES; RECENT_VALUES of them, oldest replaced first). */
  remember(bytes: Uint8Array, code: number): void {
    if (bytes.length > RECENT_BYTES) return;
    let slot = this.slots[this.next];
    if (slot === undefined) this.slots.push((slot = { bytes: new Uint8Array(RECENT_BYTES), length: 0, code: 0 }));
    slot.bytes.set(bytes);
    slot.length = bytes.length;
    slot.code = code;
    this.next = (this.next + 1) % RECENT_VALUES;
  }
}

export class Int64Column {
  values: BigInt64Array<ArrayBuffer>;
  /** the same memory as int32 words: [lo0, hi0, lo1, hi1, ...] (little-endian) */
  words: Int32Array<ArrayBuffer>;
  /** 1 = value, 0 = null; only for optional columns */
  valid: Uint8Array<ArrayBuffer> | null;
  nulls = 0;

  constructor(
    readonly def: ColumnDef,
    capacity: number,
  ) {
    this.values = new BigInt64Array(capacity);
    this.words = new Int32Array(this.values.buffer);
    this.valid = def.required ? null : new Uint8Array(capacity);
  }

  grow(capacity: number): void {
    const values = new BigInt64Array(capacity);
    values.set(this.values);
    this.values = values;
    this.words = new Int32Array(values.buffer);
    if (this.valid !== null) {
      const valid = new Uint8Array(capacity);
      valid.set(this.valid);
      this.valid = valid;
    }
  }

  /** The value as a JS number: exact when |value| < 2^53 (isSafe). */
  numberAt(i: number): number {
    return this.words[2 * i + 1]! * TWO_32 + (this.words[2 * i]! >>> 0);
  }

  /** Whether numberAt(i) is exact. */
  isSafe(i: number): boolean {
    const hi = this.words[2 * i + 1]!;
    return hi >= -0x200000 && hi < 0x200000;
  }

  isNull(i: number): boolean {
    return this.valid !== null && this.valid[i] === 0;
  }
}

export class CodeColumn {
  codes: Int32Array<ArrayBuffer>;
  /** values[code - 1]: strings, string lists or string maps */
  readonly values: unknown[] = [];
  /** code by a decoder's key (e.g. the value's encoded bytes as latin1) */
  readonly byKey = new Map<string, number>();
  /** code by value, for appended records */
  private readonly byValue = new Map<string, number>();
  /** code by enum symbol index */
  readonly byIndex: number[] = [];
  /** the encodings of the values a decoder coded last */
  readonly recent = new RecentEncodings();

  constructor(
    readonly def: ColumnDef,
    capacity: number,
  ) {
    this.codes = new Int32Array(capacity);
  }

  grow(capacity: number): void {
    const codes = new Int32Array(capacity);
    codes.set(this.codes);
    this.codes = codes;
  }

  /** canonical[code - 1]: the first code of the same string value (a value reached by two keys gets two codes) */
  private readonly canonical: number[] = [];
  private readonly firstCodeOfString = new Map<string, number>();

  /** Adds a value; returns its new code. */
  addValue(value: unknown): number {
    this.values.push(value);
    const code = this.values.length;
    if (typeof value === 'string') {
      const first = this.firstCodeOfString.get(value);
      if (first === undefined) this.firstCodeOfString.set(value, code);
      this.canonical.push(first ?? code);
    } else this.canonical.push(code);
    return code;
  }

  /** One code per distinct string value (0 stays 0). */
  canonicalCode(code: number): number {
    return code === 0 ? 0 : this.canonical[code - 1]!;
  }

  valueAt(i: number): unknown {
    const code = this.codes[i]!;
    return code === 0 ? null : this.values[code - 1];
  }

  /** The code of a value of an appended record. */
  codeOfValue(value: unknown): number {
    const key = this.def.kind === 'string' ? (value as string) : JSON.stringify(value);
    let code = this.byValue.get(key);
    if (code === undefined) {
      code = this.addValue(value);
      this.byValue.set(key, code);
    }
    return code;
  }
}

export class TextColumn {
  bytes: Buffer;
  /** ends[i]: where row i's bytes end (its separator is at ends[i]); row i starts at ends[i-1] + 1 */
  ends: Int32Array<ArrayBuffer>;
  /** some value contains the separator byte: the writer cannot pack this batch's values */
  hasSeparator = false;

  constructor(
    readonly def: ColumnDef,
    capacity: number,
  ) {
    this.bytes = Buffer.allocUnsafe(Math.max(1024, capacity * 40));
    this.ends = new Int32Array(capacity);
  }

  grow(capacity: number): void {
    const ends = new Int32Array(capacity);
    ends.set(this.ends);
    this.ends = ends;
  }

  /** Makes room for `n` more bytes after `from`. */
  reserve(from: number, n: number): void {
    if (from + n <= this.bytes.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, from + n + 1024));
    this.bytes.copy(next, 0, 0, from);
    this.bytes = next;
  }

  startOf(i: number): number {
    return i === 0 ? 0 : this.ends[i - 1]! + 1;
  }

  textAt(i: number): string {
    return this.bytes.toString('utf8', this.startOf(i), this.ends[i]!);
  }
}

/**
 * A string map column (vendor_data): per row a "shape" code (its keys, in order; 0 =
 * null) and its values' UTF-8 bytes in an arena. Maps of one feed share a few shapes
 * while their values change row by row (event times, order ids), so no object or
 * string is built per row.
 *
 * Entries (one per key) are numbered across the batch: row i's entries are
 * [entryStart(i), rowEnds[i]); entry k's value is bytes[valueStart(k), valueEnds[k]).
 */
export class MapColumn {
  shapeCodes: Int32Array<ArrayBuffer>;
  /** shapes[code - 1]: the keys of the maps of that shape */
  readonly shapes: string[][] = [];
  /** shape code by the JSON text of its keys */
  private readonly shapeByKeys = new Map<string, number>();
  rowEnds: Int32Array<ArrayBuffer>;
  valueEnds: Int32Array<ArrayBuffer>;
  bytes: Buffer;
  /** a value contains U+001E or U+001F (informational: the writer sends maps as codes or escaped JSON text) */
  hasSeparator = false;
  /** the encoded keys (length-prefixed) of the shapes a decoder matched last */
  readonly recent = new RecentEncodings();

  constructor(
    readonly def: ColumnDef,
    capacity: number,
  ) {
    this.shapeCodes = new Int32Array(capacity);
    this.rowEnds = new Int32Array(capacity);
    this.valueEnds = new Int32Array(Math.max(64, capacity * 4));
    this.bytes = Buffer.allocUnsafe(Math.max(1024, capacity * 48));
  }

  grow(capacity: number): void {
    const codes = new Int32Array(capacity);
    codes.set(this.shapeCodes);
    this.shapeCodes = codes;
    const ends = new Int32Array(capacity);
    ends.set(this.rowEnds);
    this.rowEnds = ends;
  }

  entryStart(i: number): number {
    return i === 0 ? 0 : this.rowEnds[i - 1]!;
  }

  valueStart(k: number): number {
    return k === 0 ? 0 : this.valueEnds[k - 1]!;
  }

  /** Makes room for entry k and n more value bytes after byte `at`. */
  reserve(k: number, at: number, n: number): void {
    if (k >= this.valueEnds.length) {
      const ends = new Int32Array(Math.max(this.valueEnds.length * 2, k + 64));
      ends.set(this.valueEnds);
      this.valueEnds = ends;
    }
    if (at + n > this.bytes.length) {
      const next = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, at + n + 1024));
      this.bytes.copy(next, 0, 0, at);
      this.bytes = next;
    }
  }

  /** The code of a shape (its keys must be distinct); added when new. */
  shapeCode(keys: string[]): number {
    const k = JSON.stringify(keys);
    let code = this.shapeByKeys.get(k);
    if (code === undefined) {
      this.shapes.push(keys);
      code = this.shapes.length;
      this.shapeByKeys.set(k, code);
    }
    return code;
  }

  isNull(i: number): boolean {
    return this.shapeCodes[i] === 0;
  }

  /** Row i's map as an object (null for null). */
  valueAt(i: number): Record<string, string> | null {
    const code = this.shapeCodes[i]!;
    if (code === 0) return null;
    const keys = this.shapes[code - 1]!;
    const out: Record<string, string> = {};
    const first = this.entryStart(i);
    keys.forEach((key, j) => (out[key] = this.bytes.toString('utf8', this.valueStart(first + j), this.valueEnds[first + j])));
    return out;
  }

  /** Stages a map object (or null) at row i; false (nothing staged) when a value is not a string. */
  stage(i: number, m: Record<string, unknown> | null): boolean {
    let k = this.entryStart(i);
    if (m === null) {
      this.shapeCodes[i] = 0;
      this.rowEnds[i] = k;
      return true;
    }
    const keys = Object.keys(m);
    let at = this.valueStart(k);
    for (const key of keys) {
      const v = m[key];
      if (typeof v !== 'string') return false;
      if (v.indexOf('\u001e') !== -1 || v.indexOf('\u001f') !== -1) this.hasSeparator = true;
      this.reserve(k, at, v.length * 3);
      at += this.bytes.write(v, at, 'utf8');
      this.valueEnds[k++] = at;
    }
    this.rowEnds[i] = k;
    // consecutive maps nearly always share their keys: compare with the last shape before hashing
    const last = this.lastShape;
    let same = last !== null && last.length === keys.length;
    for (let j = 0; same && j < keys.length; j++) same = last![j] === keys[j];
    this.shapeCodes[i] = same ? this.lastShapeCode : this.shapeCode(keys);
    if (!same) {
      this.lastShape = keys;
      this.lastShapeCode = this.shapeCodes[i]!;
    }
    return true;
  }

  private lastShape: string[] | null = null;
  private lastShapeCode = 0;
}

export type BatchColumn = Int64Column | CodeColumn | TextColumn | MapColumn;

function columnFor(def: ColumnDef, capacity: number): BatchColumn {
  if (def.kind === 'string_map') return new MapColumn(def, capacity);
  if (def.kind === 'decimal' || def.kind === 'timestamptz' || def.kind === 'long') return new Int64Column(def, capacity);
  if (def.kind === 'string' && !def.lowCardinality) {
    if (!def.required) throw new IcebergError(`optional high-cardinality string columns are not supported: ${def.name}`, { column: def.name });
    return new TextColumn(def, capacity);
  }
  return new CodeColumn(def, capacity);
}

export class ColumnBatch {
  readonly columns: readonly BatchColumn[];
  private readonly byName = new Map<string, BatchColumn>();
  private readonly stagers: ((r: Record<string, unknown>, i: number) => void)[];
  /** the columns that track whether a value holds a separator */
  private readonly separated: (TextColumn | MapColumn)[];
  length = 0;
  private capacity: number;
  /** ingestion or other bookkeeping callers keep per row must follow `length` */

  constructor(
    readonly def: TableDefinition<object>,
    capacity = 1024,
  ) {
    this.capacity = Math.max(16, capacity);
    this.columns = def.columns.map((c) => columnFor(c, this.capacity));
    this.columns.forEach((c) => this.byName.set(c.def.name, c));
    this.separated = this.columns.filter((c): c is TextColumn | MapColumn => c instanceof TextColumn || c instanceof MapColumn);
    this.stagers = this.columns.map((c) => this.makeStager(c));
  }

  static fromRows(def: TableDefinition<object>, rows: readonly object[]): ColumnBatch {
    const b = new ColumnBatch(def, rows.length);
    for (const r of rows) b.appendRow(r);
    return b;
  }

  column(name: string): BatchColumn {
    const c = this.byName.get(name);
    if (c === undefined) throw new IcebergError(`table ${this.def.name} has no column ${name}`, { table: this.def.name, column: name });
    return c;
  }

  int64(name: string): Int64Column {
    const c = this.column(name);
    if (!(c instanceof Int64Column)) throw new IcebergError(`column ${name} is not an int64 column`, { column: name });
    return c;
  }

  codes(name: string): CodeColumn {
    const c = this.column(name);
    if (!(c instanceof CodeColumn)) throw new IcebergError(`column ${name} is not a coded column`, { column: name });
    return c;
  }

  text(name: string): TextColumn {
    const c = this.column(name);
    if (!(c instanceof TextColumn)) throw new IcebergError(`column ${name} is not a text column`, { column: name });
    return c;
  }

  /** The separator flags of the text and map columns (to restore after a refused row). */
  separatorFlags(): number {
    const cols = this.separated;
    let bits = 0;
    for (let k = 0; k < cols.length; k++) if (cols[k]!.hasSeparator) bits |= 1 << k;
    return bits;
  }

  restoreSeparatorFlags(bits: number): void {
    const cols = this.separated;
    for (let k = 0; k < cols.length; k++) cols[k]!.hasSeparator = (bits & (1 << k)) !== 0;
  }

  /** Makes room to stage row `length`. */
  reserveRow(): void {
    if (this.length < this.capacity) return;
    this.capacity *= 2;
    for (const c of this.columns) c.grow(this.capacity);
  }

  /** Makes the staged row part of the batch. */
  commitRow(): void {
    this.length++;
  }

  /** Stages a record object at `length` (throws IcebergError naming the column when it does not fit the table). */
  stageRow(record: object): void {
    this.reserveRow();
    const i = this.length;
    const stagers = this.stagers;
    for (let k = 0; k < stagers.length; k++) stagers[k]!(record as Record<string, unknown>, i);
  }

  /** One function per column that stages a record's value at a row (monomorphic property reads). */
  private makeStager(c: BatchColumn): (r: Record<string, unknown>, i: number) => void {
    const name = c.def.name;
    const table = this.def.name;
    const get = new Function('r', `return r[${JSON.stringify(name)}];`) as (r: Record<string, unknown>) => unknown;
    const fail = (message: string, i: number): never => {
      throw new IcebergError(message, { table, column: name, row: i });
    };
    const isNull = (x: unknown, i: number): boolean => {
      if (x !== null && x !== undefined) return false;
      if (c.def.required) fail(`required column ${name} is null`, i);
      return true;
    };
    if (c instanceof Int64Column) {
      const decimal = c.def.kind === 'decimal';
      const max = decimal ? DECIMAL18_MAX : INT64_MAX;
      const min = decimal ? -DECIMAL18_MAX : INT64_MIN;
      return (r, i) => {
        const x = get(r);
        if (isNull(x, i)) {
          c.values[i] = 0n;
          c.valid![i] = 0;
          return;
        }
        if (typeof x !== 'bigint') fail(`${name} must be a bigint, got ${typeof x}`, i);
        if ((x as bigint) > max || (x as bigint) < min) fail(`${name} value ${String(x)} is out of range for ${decimal ? 'decimal(18, 8)' : 'int64'}`, i);
        c.values[i] = x as bigint;
        if (c.valid !== null) c.valid[i] = 1;
      };
    }
    if (c instanceof TextColumn) {
      return (r, i) => {
        const x = get(r);
        if (typeof x !== 'string') {
          isNull(x, i);
          fail(`${name} must be a string, got ${typeof x}`, i);
        }
        const s = x as string;
        const start = c.startOf(i);
        c.reserve(start, s.length * 3 + 1);
        const n = c.bytes.write(s, start, 'utf8');
        c.bytes[start + n] = TEXT_SEPARATOR;
        c.ends[i] = start + n;
        if (s.indexOf('\u001f') !== -1) c.hasSeparator = true;
      };
    }
    if (c instanceof MapColumn) {
      return (r, i) => {
        const x = get(r);
        if (isNull(x, i)) {
          c.stage(i, null);
          return;
        }
        if (typeof x !== 'object' || Array.isArray(x)) fail(`${name} must be a map of strings`, i);
        if (!c.stage(i, x as Record<string, unknown>)) fail(`${name} must be a map of strings`, i);
      };
    }
    const col = c;
    if (col.def.kind === 'string') {
      let last: unknown;
      let lastCode = 0;
      return (r, i) => {
        const x = get(r);
        if (x === last && lastCode !== 0) {
          col.codes[i] = lastCode;
          return;
        }
        if (isNull(x, i)) {
          col.codes[i] = 0;
          return;
        }
        if (typeof x !== 'string') fail(`${name} must be a string, got ${typeof x}`, i);
        col.codes[i] = lastCode = col.codeOfValue(x);
        last = x;
      };
    }
    // string lists: [] and one-element lists (nearly all trade conditions) without building a key
    let emptyCode = 0;
    const singles = new Map<string, number>();
    return (r, i) => {
      const x = get(r);
      if (isNull(x, i)) {
        col.codes[i] = 0;
        return;
      }
      if (!Array.isArray(x)) fail(`${name} must be a list of strings`, i);
      const l = x as unknown[];
      for (const e of l) if (typeof e !== 'string') fail(`${name} must be a list of strings`, i);
      if (l.length === 0) col.codes[i] = emptyCode ||= col.codeOfValue(l);
      else if (l.length === 1) {
        let code = singles.get(l[0] as string);
        if (code === undefined) singles.set(l[0] as string, (code = col.codeOfValue(l)));
        col.codes[i] = code;
      } else col.codes[i] = col.codeOfValue(l);
    };
  }

  appendRow(record: object): void {
    this.stageRow(record);
    this.length++;
  }

  /** A new batch of the rows whose keep[i] is 1 (dictionaries are shared). */
  select(keep: Uint8Array): ColumnBatch {
    let n = 0;
    for (let i = 0; i < this.length; i++) n += keep[i]!;
    const out = new ColumnBatch(this.def, n);
    out.columns.forEach((o, k) => {
      const c = this.columns[k]!;
      if (c instanceof Int64Column && o instanceof Int64Column) {
        let j = 0;
        for (let i = 0; i < this.length; i++) {
          if (keep[i] === 0) continue;
          o.values[j] = c.values[i]!;
          if (o.valid !== null) o.valid[j] = c.valid![i]!;
          j++;
        }
      } else if (c instanceof CodeColumn && o instanceof CodeColumn) {
        for (const v of c.values) o.addValue(v);
        let j = 0;
        for (let i = 0; i < this.length; i++) if (keep[i] === 1) o.codes[j++] = c.codes[i]!;
      } else if (c instanceof MapColumn && o instanceof MapColumn) {
        // rare (rows already in the table were dropped): through map objects
        let j = 0;
        for (let i = 0; i < this.length; i++) if (keep[i] === 1) o.stage(j++, c.valueAt(i));
        o.hasSeparator = c.hasSeparator;
      } else if (c instanceof TextColumn && o instanceof TextColumn) {
        copyText(c, o, keep, this.length);
        o.hasSeparator = c.hasSeparator;
      }
    });
    out.length = n;
    return out;
  }
}

function copyText(c: TextColumn, o: TextColumn, keep: Uint8Array, length: number): void {
  let j = 0;
  let at = 0;
  o.reserve(0, c.startOf(length));
  for (let i = 0; i < length; i++) {
    if (keep[i] === 0) continue;
    const s = c.startOf(i);
    const e = c.ends[i]! + 1;
    c.bytes.copy(o.bytes, at, s, e);
    at += e - s;
    o.ends[j++] = at - 1;
  }
}
