/**
 * A compiled Avro body writer for avsc types, byte-identical to avsc's own `_write`.
 *
 * avsc writes a record field by field through generic layers (LogicalType._write ->
 * _toValue -> the underlying type's _write -> Tap.writeString, which measures every
 * string with Buffer.byteLength first). For the v2 records that is most of the
 * encoding cost. Here each type is compiled once into a writer specialised for the
 * values k2 produces:
 *  - strings: one pass that copies ASCII characters and writes the 1-byte length
 *    (strings shorter than 64 characters); anything else (a non-ASCII character,
 *    a longer string) is written by avsc's own Tap.writeString;
 *  - uuid strings: validated and copied in the same pass;
 *  - enums by symbol comparison; timestamp-micros, decimals and bigint longs with
 *    their own tap-level writers; arrays, maps, records and [null, X] unions inline.
 *
 * The contract that keeps this safe: the fast path only ever writes a value the
 * way avsc would; whenever a value is not of the exact expected shape it throws
 * BAIL, and the top-level writer rewinds and lets avsc's `_write` encode the whole
 * value. So valid values get avsc's bytes, and invalid ones get avsc's errors.
 * Types the compiler does not know are written by their own avsc `_write`.
 */
import avro from 'avsc';
import { bigintLongType } from './avro-bigint-long.js';
import { MAX_SAFE_MICROS, MIN_EXACT_MICROS, ScaledDecimalType, TimestampMicrosType, UuidType, isValidDecimal, type AvscTap } from './avro-logical-types.js';

/** Writes one value at tap.pos (bytes past tap.buf's end are dropped; pos still advances). */
export type TapWrite = (tap: AvscTap, value: unknown) => void;

interface StringTap extends AvscTap {
  writeString(s: string): void;
}

/** Thrown by the fast path when a value needs avsc's generic handling (never escapes). */
const BAIL: unique symbol = Symbol('avro-fast-writer: bail');

function bail(): never {
  throw BAIL;
}

interface AvscTypeInternals {
  typeName: string;
  _write(tap: AvscTap, value: unknown): void;
}

function avscWrite(type: avro.Type): TapWrite {
  const t = type as unknown as AvscTypeInternals;
  return (tap, v) => t._write(tap, v);
}

/** avsc's Tap.writeLong for 0 <= n < 64 (one byte), else avsc's own. */
function writeCount(tap: AvscTap, n: number): void {
  if (n < 64) {
    tap.buf[tap.pos++] = n << 1;
    return;
  }
  tap.writeLong(n);
}

interface Utf8WritableBuffer {
  utf8Write(s: string, offset: number, maxBytes: number): number;
}

/**
 * A string as avsc writes it: an ASCII string below 64 characters is written here (its
 * length varint is one byte), anything else by avsc's Tap.writeString. Short strings are
 * copied a character at a time; from 16 characters on, one native UTF-8 write is cheaper
 * (generated ids are often ropes, which a character loop would first flatten). Given room
 * for 3 bytes per character, the native write returns the string's exact UTF-8 length,
 * which equals its length only when every character is ASCII.
 */
function writeString(tap: AvscTap, s: unknown): void {
  if (typeof s !== 'string') bail();
  const n = s.length;
  const buf = tap.buf;
  const p = tap.pos + 1;
  if (n < 16) {
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        (tap as StringTap).writeString(s);
        return;
      }
      buf[p + i] = c;
    }
  } else if (n >= 64 || p + 3 * n > buf.length || (buf as unknown as Utf8WritableBuffer).utf8Write(s, p, 3 * n) !== n) {
    (tap as StringTap).writeString(s);
    return;
  }
  buf[p - 1] = n << 1;
  tap.pos = p + n;
}

/** 1 where a UUID has a hyphen, 0 where it has a hex digit. */
const UUID_HYPHEN = new Uint8Array(36);
for (const i of [8, 13, 18, 23]) UUID_HYPHEN[i] = 1;
/** 1 for the ASCII hex digits (either case). */
const HEX = new Uint8Array(128);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;

/** A uuid string, validated as UuidType does (8-4-4-4-12 hex digits), written like any 36-character string. */
function writeUuid(tap: AvscTap, s: unknown): void {
  if (typeof s !== 'string' || s.length !== 36) bail();
  const buf = tap.buf;
  const p = tap.pos + 1;
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(i);
    if (UUID_HYPHEN[i] === 1 ? c !== 45 : c >= 128 || HEX[c] === 0) bail();
    buf[p + i] = c;
  }
  buf[p - 1] = 72; // zig-zag of 36
  tap.pos = p + 36;
}

function enumWriter(symbols: readonly string[]): TapWrite {
  if (symbols.length <= 8 && symbols.length > 0) {
    return (tap, v) => {
      for (let i = 0; i < symbols.length; i++) {
        if (v === symbols[i]) {
          tap.buf[tap.pos++] = i << 1;
          return;
        }
      }
      bail();
    };
  }
  const indices = new Map<unknown, number>(symbols.map((s, i) => [s, i]));
  return (tap, v) => {
    const i = indices.get(v);
    if (i === undefined) bail();
    tap.writeLong(i);
  };
}

/** avsc's isSafeLong bound for its number longs (lib/types.js). */
const AVSC_SAFE_LONG = 9007199254740990n;
const TS_MIN = MIN_EXACT_MICROS > -AVSC_SAFE_LONG ? MIN_EXACT_MICROS : -AVSC_SAFE_LONG;
const TS_MAX = MAX_SAFE_MICROS < AVSC_SAFE_LONG ? MAX_SAFE_MICROS : AVSC_SAFE_LONG;

/** timestamp-micros: TimestampMicrosType._toValue's range, then avsc's LongType range. */
function timestampWriter(tap: AvscTap, v: unknown): void {
  if (typeof v !== 'bigint' || v < TS_MIN || v > TS_MAX) bail();
  tap.writeLong(Number(v));
}

/** Whether avsc's `_check` of a union branch would accept the value (for branches compiled here). */
type BranchTest = (v: unknown) => boolean;

interface Compiled {
  write: TapWrite;
  /** How avsc's UnwrappedUnionType would recognise a value of this branch; null when unknown (the union then stays avsc's). */
  test: BranchTest | null;
}

const isPlainObject: BranchTest = (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

function compile(type: avro.Type): Compiled {
  const name = (type as unknown as AvscTypeInternals).typeName;
  if (type instanceof UuidType) {
    const under = (type as unknown as { underlyingType: avro.Type }).underlyingType;
    if ((under as unknown as AvscTypeInternals).typeName === 'string') return { write: writeUuid, test: null };
    return { write: avscWrite(type), test: null };
  }
  if (type instanceof TimestampMicrosType) {
    const under = (type as unknown as { underlyingType: avro.Type }).underlyingType;
    if ((under as unknown as AvscTypeInternals).typeName === 'long') return { write: timestampWriter, test: null };
    return { write: avscWrite(type), test: null };
  }
  if (type instanceof ScaledDecimalType) {
    const t = type as unknown as AvscTypeInternals;
    // its _write works on the tap already; the same validity as its _check
    return { write: (tap, v) => t._write(tap, v), test: isValidDecimal };
  }
  if (type === bigintLongType) {
    const t = type as unknown as AvscTypeInternals;
    return { write: (tap, v) => t._write(tap, v), test: (v) => (type as unknown as { _isValid(v: unknown): boolean })._isValid(v) };
  }
  switch (name) {
    case 'string':
      return { write: writeString, test: (v) => typeof v === 'string' };
    case 'enum':
      return { write: enumWriter((type as avro.types.EnumType).symbols), test: (v) => typeof v === 'string' };
    case 'array': {
      const items = compile((type as avro.types.ArrayType).itemsType).write;
      return {
        write: (tap, v) => {
          if (!Array.isArray(v)) bail();
          const n = v.length;
          if (n > 0) {
            writeCount(tap, n);
            for (let i = 0; i < n; i++) items(tap, v[i]);
          }
          tap.buf[tap.pos++] = 0;
        },
        test: (v) => Array.isArray(v),
      };
    }
    case 'map': {
      const valuesType = (type as avro.types.MapType).valuesType;
      const values = compile(valuesType).write;
      const write: TapWrite = (tap, v) => {
        if (!isPlainObject(v)) bail();
        writeMapEntries(tap, v as Record<string, unknown>, Object.keys(v as object), values);
      };
      const stringValues = (valuesType as unknown as AvscTypeInternals).typeName === 'string';
      return { write: stringValues ? memoizedStringMapWriter(values) : write, test: isPlainObject };
    }
    case 'union:unwrapped':
      return { write: unionWriter(type), test: null };
    case 'record':
    case 'error':
      return { write: recordWriter(type as avro.types.RecordType), test: isPlainObject };
    default:
      return { write: avscWrite(type), test: null };
  }
}

function writeMapEntries(tap: AvscTap, obj: Record<string, unknown>, keys: readonly string[], values: TapWrite): void {
  const n = keys.length;
  if (n > 0) {
    writeCount(tap, n);
    for (let i = 0; i < n; i++) {
      const k = keys[i]!;
      writeString(tap, k);
      values(tap, obj[k]);
    }
  }
  tap.buf[tap.pos++] = 0;
}

/** Longest encoding a map writer remembers. */
const MAP_MEMO_BYTES = 512;
/** After this many maps in a row that differ from the one before, the memo is skipped ... */
const MEMO_MISSES = 16;
/** ... for this many maps, then tried again. */
const UNMEMOIZED_MAPS = 1024;

/** An object no code adds keys to: for-in over it finds Object.prototype's enumerable keys. */
const PROTOTYPE_PROBE: Record<string, unknown> = {};

/**
 * Whether for-in over `obj` visits exactly Object.keys(obj), in the same order: an object
 * whose prototype is Object.prototype, while nobody has added an enumerable key to
 * Object.prototype. for-in then reads the keys and values through V8's enum cache, with no
 * keys array allocated per map.
 */
function forInIsOwnKeys(obj: object): boolean {
  if (Object.getPrototypeOf(obj) !== Object.prototype) return false;
  let inherited = 0;
  for (const _ in PROTOTYPE_PROBE) inherited++;
  return inherited === 0;
}

/** A map's blocks from a for-in walk: the count byte is written after the entries (more than 63 entries: avsc's). */
function writeMapForIn(tap: AvscTap, obj: Record<string, unknown>, values: TapWrite): void {
  const countAt = tap.pos++;
  let n = 0;
  for (const k in obj) {
    writeString(tap, k);
    values(tap, obj[k]);
    n++;
  }
  if (n === 0) {
    tap.buf[countAt] = 0;
    return;
  }
  if (n >= 64) bail();
  tap.buf[countAt] = n << 1;
  tap.buf[tap.pos++] = 0;
}

/**
 * A map<string> writer that remembers the bytes of the last map it wrote: market data
 * repeats the same vendor_data map row after row, and a map with the same keys and the
 * same values (in the same order) has the same bytes. Strings are immutable, so equal
 * strings (===) always encode alike. Maps that keep changing (MEMO_MISSES in a row, as
 * Binance's event times do) are written without the memo for the next UNMEMOIZED_MAPS
 * maps, then it is tried again: remembering them cost ~0.3-0.8 us per map, for nothing.
 * Plain objects are walked with for-in (see forInIsOwnKeys); any other object with Object.keys.
 */
function memoizedStringMapWriter(values: TapWrite): TapWrite {
  const lastKeys: string[] = [];
  const lastValues: unknown[] = [];
  /** entries of the remembered map */
  let lastCount = 0;
  /** the last map's bytes (a copy, in memory reused from map to map), or length -1 */
  const lastBytes = new Uint8Array(MAP_MEMO_BYTES);
  let lastLength = -1;
  /** consecutive maps that differed from the one before, and maps left to write without the memo */
  let misses = 0;
  let unmemoized = 0;
  return (tap, v) => {
    if (!isPlainObject(v)) bail();
    const obj = v as Record<string, unknown>;
    if (!forInIsOwnKeys(obj)) {
      writeMapEntries(tap, obj, Object.keys(obj), values);
      return;
    }
    if (unmemoized > 0) {
      // maps that change every row (Binance's event times): remembering them only costs
      unmemoized--;
      writeMapForIn(tap, obj, values);
      return;
    }
    if (lastLength >= 0) {
      let i = 0;
      for (const k in obj) {
        if (i === lastCount || k !== lastKeys[i] || obj[k] !== lastValues[i]) {
          i = -1;
          break;
        }
        i++;
      }
      if (i === lastCount) {
        misses = 0;
        const pos = tap.pos;
        const buf = tap.buf;
        if (pos + lastLength <= buf.length) for (let j = 0; j < lastLength; j++) buf[pos + j] = lastBytes[j]!;
        tap.pos = pos + lastLength;
        return;
      }
    }
    const start = tap.pos;
    writeMapForIn(tap, obj, values);
    const end = tap.pos;
    if (end - start <= MAP_MEMO_BYTES && end <= tap.buf.length) {
      // copied byte by byte into the reused array: maps that change every row (event times)
      // must not cost an allocation each
      const buf = tap.buf;
      for (let i = start; i < end; i++) lastBytes[i - start] = buf[i]!;
      lastLength = end - start;
      let n = 0;
      for (const k in obj) {
        lastKeys[n] = k;
        lastValues[n++] = obj[k];
      }
      lastCount = n;
    } else lastLength = -1;
    if (++misses === MEMO_MISSES) {
      misses = 0;
      unmemoized = UNMEMOIZED_MAPS;
      lastLength = -1;
    }
  };
}

/**
 * [null, X] or [X, null]: null is written as its branch index (no dynamic branch
 * accepts null in k2's types, checked below); a value X's test accepts as X's index
 * and X's bytes. Any other union is avsc's.
 */
function unionWriter(type: avro.Type): TapWrite {
  const types = (type as unknown as { types: avro.Type[] }).types;
  const generic = avscWrite(type);
  if (types.length !== 2) return generic;
  const nullIndex = types.findIndex((t) => (t as unknown as AvscTypeInternals).typeName === 'null');
  if (nullIndex < 0) return generic;
  const other = types[1 - nullIndex]!;
  if ((other as unknown as AvscTypeInternals).typeName === 'null') return generic;
  // a logical or abstract branch that accepted null would make avsc's choice ambiguous
  if ((other as unknown as { _check(v: unknown): boolean })._check(null)) return generic;
  const { write, test } = compile(other);
  if (test === null) return generic;
  const nullByte = nullIndex << 1;
  const otherByte = (1 - nullIndex) << 1;
  return (tap, v) => {
    if (v === null) {
      tap.buf[tap.pos++] = nullByte;
      return;
    }
    if (!test(v)) bail();
    tap.buf[tap.pos++] = otherByte;
    write(tap, v);
  };
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function recordWriter(type: avro.types.RecordType): TapWrite {
  const fields = type.fields;
  if (!fields.every((f) => IDENTIFIER.test(f.name))) return avscWrite(type);
  const writers = fields.map((f) => compile(f.type).write);
  // Field values are read once each, in schema order, as avsc's generated writer does.
  // A field with a default that is undefined is avsc's to fill in: bail.
  let body = 'if (typeof v !== "object" || v === null) bail();\nlet x;\n';
  fields.forEach((f, i) => {
    body += `x = v.${f.name};\n`;
    if (f.defaultValue() !== undefined) body += 'if (x === undefined) bail();\n';
    body += `w${i}(t, x);\n`;
  });
  const args = ['bail', ...writers.map((_, i) => `w${i}`)];
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function(...args, `return function write(t, v) {\n${body}};`) as (...a: unknown[]) => TapWrite;
  return factory(bail, ...writers);
}

const cache = new WeakMap<avro.Type, TapWrite>();

/**
 * The compiled writer of a type: same contract and bytes as avsc's `type._write(tap, value)`,
 * including avsc's errors for invalid values (they are raised by avsc's own writer).
 */
export function fastWriter(type: avro.Type): TapWrite {
  let w = cache.get(type);
  if (w !== undefined) return w;
  const fast = compile(type).write;
  const generic = (type as unknown as AvscTypeInternals)._write.bind(type);
  w = (tap, value) => {
    const start = tap.pos;
    try {
      fast(tap, value);
    } catch {
      // BAIL (or anything unexpected): avsc writes the value, or raises its own error
      tap.pos = start;
      generic(tap, value);
    }
  };
  cache.set(type, w);
  return w;
}
