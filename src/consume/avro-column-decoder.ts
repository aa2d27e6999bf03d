/**
 * Decodes Avro bodies of the v2 schemas straight into a ColumnBatch: no record
 * object, and no string or bigint per value except the first time a distinct
 * low-cardinality value (symbol, exchange, currency, trade conditions, vendor_data
 * map) is seen in the batch.
 *
 * It only handles a body written with exactly the reader's schema and values the
 * generic decoder (avsc + k2's logical types) would decode to the same row. Anything
 * else (a malformed or truncated body, trailing bytes, a decimal wider than 8 bytes
 * or beyond 18 digits, non-ASCII text, map keys a JS object would reorder) makes `decode` return false
 * with nothing committed, and the caller takes the generic path, which decodes or
 * names the error exactly as before.
 */
import type { ColumnBatch } from '../iceberg/column-batch.js';
import { CodeColumn, Int64Column, MapColumn, TEXT_SEPARATOR, TextColumn } from '../iceberg/column-batch.js';
import { K2Error } from '../model/errors.js';

/** What one Avro field of the writer schema is decoded as. */
const Op = {
  Text: 0,
  Enum: 1,
  Timestamp: 2,
  Long: 3,
  Decimal: 4,
  StringList: 5,
  StringMap: 6,
} as const;
type Op = (typeof Op)[keyof typeof Op];

interface FieldPlan {
  op: Op;
  column: number;
  /** a union ["null", T] */
  optional: boolean;
  symbols?: readonly string[];
}

type AvroSchemaNode = string | { type: string | AvroSchemaNode; logicalType?: string; items?: AvroSchemaNode; values?: AvroSchemaNode; symbols?: string[] } | AvroSchemaNode[];

export class ColumnDecoderPlanError extends K2Error {
  constructor(message: string, context: Record<string, string | number> = {}) {
    super('COLUMN_DECODER_PLAN', message, context);
  }
}

function typeName(node: AvroSchemaNode): string {
  if (typeof node === 'string') return node;
  if (Array.isArray(node)) return 'union';
  if (node.logicalType !== undefined) return `${typeof node.type === 'string' ? node.type : typeName(node.type)}:${node.logicalType}`;
  return typeof node.type === 'string' ? node.type : typeName(node.type);
}

/** Compiles the decoder of one record schema (JSON) into a batch of the matching table. */
export class AvroColumnDecoder {
  private readonly plan: FieldPlan[];

  constructor(schemaJson: string, columnNames: readonly string[]) {
    const schema = JSON.parse(schemaJson) as { fields: { name: string; type: AvroSchemaNode }[] };
    this.plan = schema.fields.map((f) => {
      const column = columnNames.indexOf(f.name);
      if (column < 0) throw new ColumnDecoderPlanError(`Avro field ${f.name} has no table column`, { field: f.name });
      let t = f.type;
      let optional = false;
      if (Array.isArray(t)) {
        if (t.length !== 2 || t[0] !== 'null') throw new ColumnDecoderPlanError(`unsupported union in field ${f.name}`, { field: f.name });
        t = t[1]!;
        optional = true;
      }
      const name = typeName(t);
      const obj = typeof t === 'object' && !Array.isArray(t) ? t : undefined;
      switch (name) {
        case 'string':
        case 'string:uuid':
          return { op: Op.Text, column, optional };
        case 'enum':
          return { op: Op.Enum, column, optional, symbols: obj!.symbols! };
        case 'long:timestamp-micros':
          return { op: Op.Timestamp, column, optional };
        case 'long':
          return { op: Op.Long, column, optional };
        case 'bytes:decimal':
          return { op: Op.Decimal, column, optional };
        case 'array':
          if (obj!.items !== 'string') break;
          return { op: Op.StringList, column, optional };
        case 'map':
          if (obj!.values !== 'string') break;
          return { op: Op.StringMap, column, optional };
      }
      throw new ColumnDecoderPlanError(`unsupported Avro type ${name} in field ${f.name}`, { field: f.name });
    });
  }

  /**
   * Decodes the body buf[start, end) into row `batch.length` (staged, not committed).
   * Returns false, with the row left uncommitted, for anything the generic path must handle.
   */
  decode(batch: ColumnBatch, buf: Uint8Array, start: number, end: number): boolean {
    malformed = null;
    const flags = batch.separatorFlags();
    if (this.decodeRow(batch, buf, start, end)) return true;
    batch.restoreSeparatorFlags(flags); // a refused body leaves no trace
    return false;
  }

  /**
   * Why the last refused body cannot be Avro of this schema (a block count larger than
   * the bytes left), or null when it was refused for the generic path to decide. Such a
   * body is dead-lettered without the generic decoder, which would spend seconds (or
   * fail fatally) allocating the announced items.
   */
  get malformedReason(): string | null {
    return malformed;
  }

  private decodeRow(batch: ColumnBatch, buf: Uint8Array, start: number, end: number): boolean {
    batch.reserveRow();
    const row = batch.length;
    const cols = batch.columns;
    pos = start;
    limit = end;
    for (const f of this.plan) {
      const col = cols[f.column]!;
      if (f.optional) {
        if (!readLong(buf) || hi !== 0 || (lo !== 0 && lo !== 1)) return false;
        if (lo === 0) {
          if (col instanceof Int64Column) {
            if (col.valid === null) return false;
            col.valid[row] = 0;
            col.words[2 * row] = 0;
            col.words[2 * row + 1] = 0;
          } else if (col instanceof CodeColumn) col.codes[row] = 0;
          else if (col instanceof MapColumn) col.stage(row, null);
          else return false;
          continue;
        }
      }
      switch (f.op) {
        case Op.Text: {
          if (col instanceof TextColumn) {
            if (!readText(buf, col, row)) return false;
          } else if (!readCodedString(buf, col as CodeColumn, row)) return false;
          break;
        }
        case Op.Enum: {
          if (!readLong(buf) || hi !== 0 || lo < 0 || lo >= f.symbols!.length) return false;
          const c = col as CodeColumn;
          let code = c.byIndex[lo];
          if (code === undefined) c.byIndex[lo] = code = c.addValue(f.symbols![lo]!);
          c.codes[row] = code;
          break;
        }
        case Op.Timestamp:
        case Op.Long: {
          // exact over the whole int64 range (avsc's number-based long is not beyond +-2^52)
          if (!readLong(buf)) return false;
          const c = col as Int64Column;
          c.words[2 * row] = lo;
          c.words[2 * row + 1] = hi;
          if (c.valid !== null) c.valid[row] = 1;
          break;
        }
        case Op.Decimal: {
          if (!readDecimal(buf)) return false;
          const c = col as Int64Column;
          c.words[2 * row] = lo;
          c.words[2 * row + 1] = hi;
          if (c.valid !== null) c.valid[row] = 1;
          break;
        }
        case Op.StringList: {
          const s = pos;
          if (!skipBlocks(buf, 1)) return false;
          const c = col as CodeColumn;
          c.codes[row] = codeOfBytes(c, buf, s, pos, AS_LIST);
          break;
        }
        case Op.StringMap:
          if (!readMapInto(buf, col as MapColumn, row)) return false;
          break;
      }
    }
    return pos === end;
  }
}

// Decoder state: one decode runs at a time (decode is synchronous).
let malformed: string | null = null;
let pos = 0;
let limit = 0;
/** the last long read: low word (int32) and high word (int32, signed) */
let lo = 0;
let hi = 0;

/** Reads a zig-zag varint long into (lo, hi); false if malformed or past the limit. */
function readLong(buf: Uint8Array): boolean {
  let l = 0;
  let h = 0;
  let shift = 0;
  let b: number;
  do {
    if (pos >= limit) return false;
    b = buf[pos++]!;
    if (shift < 28) l |= (b & 0x7f) << shift;
    else if (shift === 28) {
      l |= (b & 0x0f) << 28;
      h |= (b & 0x7f) >>> 4;
    } else if (shift < 63) h |= (b & 0x7f) << (shift - 32);
    else {
      if (b > 1) return false;
      h |= b << 31;
    }
    shift += 7;
  } while ((b & 0x80) !== 0 && shift < 70);
  if ((b & 0x80) !== 0) return false;
  // zig-zag: (u >>> 1) ^ -(u & 1), on 64 bits
  let zl = (l >>> 1) | (h << 31);
  let zh = h >>> 1;
  if ((l & 1) !== 0) {
    zl = ~zl;
    zh = ~zh;
  }
  lo = zl | 0;
  hi = zh | 0;
  return true;
}

/** Every item takes at least one byte: a count beyond the bytes left is not Avro. */
function refuseCount(count: number): false {
  malformed = `an array or map block announces ${count} items but only ${limit - pos} bytes are left`;
  return false;
}

/** A non-negative length that fits before the limit, or -1. */
function readLength(buf: Uint8Array): number {
  if (!readLong(buf) || hi !== 0 || lo < 0 || pos + lo > limit) return -1;
  return lo;
}

/** decimal(18,8) bytes: big-endian two's complement, at most 8 bytes and 18 digits, into (lo, hi). */
function readDecimal(buf: Uint8Array): boolean {
  const n = readLength(buf);
  if (n < 0 || n > 8) return false;
  let h = 0;
  let l = 0;
  if (n > 0 && (buf[pos]! & 0x80) !== 0) {
    h = -1;
    l = -1;
  }
  for (let i = 0; i < n; i++) {
    h = (h << 8) | (l >>> 24);
    l = (l << 8) | buf[pos + i]!;
  }
  pos += n;
  // |v| <= 10^18 - 1 = 0x0DE0B6B3_A763FFFF; near the bound the generic path decides
  if (h >= 0x0de0b6b3 || h <= -0x0de0b6b4) return false;
  lo = l;
  hi = h;
  return true;
}

function readText(buf: Uint8Array, col: TextColumn, row: number): boolean {
  const n = readLength(buf);
  if (n < 0) return false;
  const at = col.startOf(row);
  col.reserve(at, n + 1);
  const out = col.bytes;
  const seen = copyBytes(buf, pos, n, out, at);
  // non-ASCII text takes the generic path (which replaces invalid UTF-8 as avsc always did)
  if ((seen & NON_ASCII) !== 0) return false;
  if ((seen & CONTROL) !== 0 && hasByte(out, at, at + n, TEXT_SEPARATOR)) col.hasSeparator = true;
  out[at + n] = TEXT_SEPARATOR;
  col.ends[row] = at + n;
  pos += n;
  return true;
}

/** What copyBytes saw: a byte of 0x80 or more, a byte below 0x20. */
const NON_ASCII = 1;
const CONTROL = 2;

/** Copies buf[p, p + n) to out at `at`, in one branch-free pass; returns NON_ASCII | CONTROL for what it saw. */
function copyBytes(buf: Uint8Array, p: number, n: number, out: Uint8Array, at: number): number {
  let high = 0; // gets bit 7 from a non-ASCII byte
  let low = 0; // goes negative on a control byte
  for (let i = 0; i < n; i++) {
    const b = buf[p + i]!;
    high |= b;
    low |= b - 0x20;
    out[at + i] = b;
  }
  return ((high >>> 7) & NON_ASCII) | (low < 0 ? CONTROL : 0);
}

/** Whether bytes[s, e) holds the byte b (looked for only when a value holds a control byte). */
function hasByte(bytes: Uint8Array, s: number, e: number, b: number): boolean {
  for (let i = s; i < e; i++) if (bytes[i]! === b) return true;
  return false;
}

function readCodedString(buf: Uint8Array, col: CodeColumn, row: number): boolean {
  const n = readLength(buf);
  if (n < 0) return false;
  const s = pos;
  pos += n;
  col.codes[row] = codeOfBytes(col, buf, s, pos, AS_TEXT);
  return true;
}

/** How codeOfBytes decodes a value it has not seen: the UTF-8 text buf[s, e), or the string-array blocks at s. */
const AS_TEXT = 0;
const AS_LIST = 1;

/**
 * The code of the value encoded in buf[s, e): a recent one's, a known one's, or a new one decoded
 * `as` text or a list (a mode, not a callback: a closure per value was most of the decoder's garbage).
 */
function codeOfBytes(col: CodeColumn, buf: Uint8Array, s: number, e: number, as: typeof AS_TEXT | typeof AS_LIST): number {
  const recent = col.recent.find(buf, s, e);
  if (recent !== 0) return recent;
  const key = Buffer.from(buf.buffer, buf.byteOffset + s, e - s).toString('latin1');
  let code = col.byKey.get(key);
  if (code === undefined) {
    const saved = pos;
    code = col.addValue(as === AS_LIST ? readList(buf, s) : Buffer.from(buf.buffer, buf.byteOffset + s, e - s).toString('utf8'));
    pos = saved;
    col.byKey.set(key, code);
  }
  col.recent.remember(buf.subarray(s, e), code);
  return code;
}

/**
 * The item count of the next array or map block (0 at the end), or -1 when malformed. A
 * negative count is followed by the block's size in bytes. Every item takes at least
 * `stringsPerItem` bytes, so a count beyond the bytes left is refused as malformed.
 */
function readBlockCount(buf: Uint8Array, stringsPerItem: number): number {
  if (!readLong(buf)) return -1;
  if (lo === 0 && hi === 0) return 0;
  let count: number;
  if (hi < 0) {
    if (hi !== -1 || lo >= 0 || lo === -0x80000000) return -1;
    count = -lo;
    if (!readLong(buf)) return -1;
  } else {
    if (hi !== 0 || lo < 0) return -1;
    count = lo;
  }
  if (count * stringsPerItem > limit - pos) {
    refuseCount(count);
    return -1;
  }
  return count;
}

/** Skips array (1 string per item) or map (2 strings per entry) blocks. */
function skipBlocks(buf: Uint8Array, stringsPerItem: number): boolean {
  for (;;) {
    const count = readBlockCount(buf, stringsPerItem);
    if (count < 0) return false;
    if (count === 0) return true;
    for (let i = 0; i < count * stringsPerItem; i++) {
      const n = readLength(buf);
      if (n < 0) return false;
      pos += n;
    }
  }
}

function readStringAt(buf: Uint8Array): string {
  const n = readLength(buf);
  const s = Buffer.from(buf.buffer, buf.byteOffset + pos, n).toString('utf8');
  pos += n;
  return s;
}

/** Decodes the (already validated) blocks at s as a list of strings. */
function readList(buf: Uint8Array, s: number): string[] {
  pos = s;
  const out: string[] = [];
  for (;;) {
    readLong(buf);
    if (lo === 0 && hi === 0) return out;
    const count = hi < 0 ? -lo : lo;
    if (hi < 0) readLong(buf);
    for (let i = 0; i < count; i++) out.push(readStringAt(buf));
  }
}

/** Encoded keys of the map being read (2-byte length, then bytes, per key): the map's shape. */
const SHAPE = new Uint8Array(4096);
/**
 * The map column whose last decoded map's keys SHAPE[0, shapeLength) still holds, and
 * their shape code; null when SHAPE holds none. Maps of a feed repeat their keys row after
 * row, so the next map's keys are only compared with SHAPE until one differs.
 */
let shapeColumn: MapColumn | null = null;
let shapeLength = 0;
let shapeCode = 0;

/** A string map into a MapColumn: its values into the arena, its keys matched to a shape. Non-ASCII maps take the generic path. */
function readMapInto(buf: Uint8Array, col: MapColumn, row: number): boolean {
  let k = col.entryStart(row);
  let at = col.valueStart(k);
  // the keys read so far equal the first sl bytes of SHAPE (the column's last map's keys)
  let same = shapeColumn === col;
  const lastLength = shapeLength;
  const lastCode = shapeCode;
  shapeColumn = null; // SHAPE is overwritten from the first differing key on
  let sl = 0;
  for (;;) {
    const count = readBlockCount(buf, 2);
    if (count < 0) return false;
    if (count === 0) break;
    for (let e = 0; e < count; e++) {
      const kn = readLength(buf);
      if (kn < 0 || kn > 0xffff || sl + 2 + kn > SHAPE.length) return false;
      const p = pos;
      if (same) {
        if (sl + 2 + kn <= lastLength && SHAPE[sl] === (kn & 0xff) && SHAPE[sl + 1] === kn >>> 8) {
          let i = 0;
          while (i < kn && SHAPE[sl + 2 + i] === buf[p + i]) i++;
          same = i === kn;
        } else same = false;
      }
      if (same) sl += 2 + kn; // the same bytes as a stored (ASCII) key
      else {
        SHAPE[sl++] = kn & 0xff;
        SHAPE[sl++] = kn >>> 8;
        let high = 0;
        for (let i = 0; i < kn; i++) {
          const b = buf[p + i]!;
          high |= b;
          SHAPE[sl + i] = b;
        }
        if ((high & 0x80) !== 0) return false;
        sl += kn;
      }
      pos = p + kn;
      const vn = readLength(buf);
      if (vn < 0) return false;
      col.reserve(k, at, vn);
      const out = col.bytes;
      const seen = copyBytes(buf, pos, vn, out, at);
      if ((seen & NON_ASCII) !== 0) return false;
      if ((seen & CONTROL) !== 0 && (hasByte(out, at, at + vn, 0x1e) || hasByte(out, at, at + vn, 0x1f))) col.hasSeparator = true;
      at += vn;
      pos += vn;
      col.valueEnds[k++] = at;
    }
  }
  col.rowEnds[row] = k;
  const code = same && sl === lastLength ? lastCode : shapeOf(col, sl);
  if (code === 0) return false;
  shapeColumn = col;
  shapeLength = sl;
  shapeCode = code;
  col.shapeCodes[row] = code;
  return true;
}

/** The shape code of the keys in SHAPE[0, sl): a recent one, or a known or new one; 0 for repeated keys. */
function shapeOf(col: MapColumn, sl: number): number {
  const recent = col.recent.find(SHAPE, 0, sl);
  if (recent !== 0) return recent;
  const keys: string[] = [];
  for (let p = 0; p < sl; ) {
    const n = SHAPE[p]! | (SHAPE[p + 1]! << 8);
    keys.push(Buffer.from(SHAPE.buffer, SHAPE.byteOffset + p + 2, n).toString('utf8'));
    p += 2 + n;
  }
  // left to the generic path: a repeated key (it keeps the last value), and keys a JS object
  // orders or drops differently (integer-like keys come first, "__proto__" is not stored)
  if (new Set(keys).size !== keys.length) return 0;
  const asObject: Record<string, string> = {};
  for (const k of keys) asObject[k] = '';
  const order = Object.keys(asObject);
  if (order.length !== keys.length || order.some((k, i) => k !== keys[i])) return 0;
  const code = col.shapeCode(keys);
  col.recent.remember(SHAPE.subarray(0, sl), code);
  return code;
}
