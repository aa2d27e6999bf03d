/**
 * The column decoder (src/consume/avro-column-decoder.ts) against the generic path it
 * replaces on the hot path: avsc with k2's logical types (v2Type(kind).fromBuffer, which
 * refuses trailing bytes like decodeWire) followed by ColumnBatch.stageRow of the record.
 *
 * Batch A is filled the way the consumer fills it (column decoder, falling back to the
 * generic path when decode returns false); batch B only through the generic path. Both
 * must hold the same values, row for row and column for column.
 *
 * Bodies come from avsc's writer (v2Type(kind).toBuffer) and, for encodings avsc never
 * writes (duplicate map keys, negative block counts, overlong varints, decimals wider
 * than 8 bytes or beyond 18 digits, timestamps beyond +-2^52, invalid UTF-8), from the
 * small schema-driven writer below, which is checked byte for byte against avsc first.
 */
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { RecordDecoder } from '../../src/bus/record-decoder.js';
import type { SchemaRegistryClient } from '../../src/bus/schema-registry-client.js';
import { AvroColumnDecoder } from '../../src/consume/avro-column-decoder.js';
import { CodeColumn, ColumnBatch, Int64Column, MapColumn, TEXT_SEPARATOR, TextColumn } from '../../src/iceberg/column-batch.js';
import { IcebergError } from '../../src/iceberg/errors.js';
import { QUOTES_TABLE, TRADES_TABLE, type TableDefinition } from '../../src/iceberg/table-definitions.js';
import { schemaText, v2SchemaString, v2Type } from '../../src/schema/v2-schemas.js';
import { prng } from '../support/prng.js';

type Kind = 'trades' | 'quotes';
const DEFS: Record<Kind, TableDefinition<object>> = { trades: TRADES_TABLE, quotes: QUOTES_TABLE };

// ---------------------------------------------------------------------------------------------
// A raw Avro writer for the v2 schemas, so tests can write what avsc's writer never does.

/** Bytes of a string field that are not the UTF-8 of a JS string (e.g. invalid UTF-8). */
class RawBytes {
  constructor(readonly bytes: Uint8Array) {}
}
/** A long written as this exact zig-zag value (may exceed 64 bits) */
class RawZigZag {
  constructor(readonly z: bigint) {}
}
/** A map written entry by entry (keys may repeat; a later one wins on read) */
class MapEntries {
  constructor(readonly entries: readonly (readonly [string, string])[]) {}
}

type BlockStyle = 'one' | 'each' | 'negative' | 'split';
interface RawOptions {
  /** how arrays and maps are cut into blocks */
  blocks: BlockStyle;
  /** extra 0x80 continuation bytes in every varint of a long field (overlong but valid encodings) */
  padLongs: number;
  /** extra continuation bytes in every other varint too: lengths, block counts, union and enum indexes */
  padAll?: number;
}
const CANONICAL: RawOptions = { blocks: 'one', padLongs: 0 };

type SchemaNode = string | { type: string | SchemaNode; logicalType?: string; items?: SchemaNode; values?: SchemaNode; symbols?: string[] } | SchemaNode[];

class Out {
  readonly bytes: number[] = [];
  constructor(readonly padAll = 0) {}
  varint(z: bigint, pad = this.padAll): void {
    let v = z;
    const out: number[] = [];
    do {
      out.push(Number(v & 0x7fn));
      v >>= 7n;
    } while (v > 0n);
    for (let i = 0; i < pad; i++) out.push(0);
    for (let i = 0; i < out.length - 1; i++) out[i]! |= 0x80;
    this.bytes.push(...out);
  }
  long(v: bigint | number, pad = this.padAll): void {
    const b = BigInt(v);
    this.varint(b >= 0n ? b << 1n : ((-b) << 1n) - 1n, pad);
  }
  raw(bytes: Uint8Array | readonly number[]): void {
    for (const b of bytes) this.bytes.push(b);
  }
  lengthPrefixed(bytes: Uint8Array | readonly number[]): void {
    this.long(bytes.length);
    this.raw(bytes);
  }
}

function utf8(s: string): Uint8Array {
  return Buffer.from(s, 'utf8');
}

/** Minimal big-endian two's complement of v (at least one byte). */
function twosComplement(v: bigint): number[] {
  let n = 1;
  while (v < -(1n << BigInt(8 * n - 1)) || v >= 1n << BigInt(8 * n - 1)) n++;
  const out: number[] = [];
  let x = BigInt.asUintN(8 * n, v);
  for (let i = 0; i < n; i++) {
    out.unshift(Number(x & 0xffn));
    x >>= 8n;
  }
  return out;
}

function writeBlocks<T>(o: Out, items: readonly T[], style: BlockStyle, writeItem: (o: Out, item: T) => void): void {
  if (items.length === 0) {
    o.long(0);
    return;
  }
  const blocks: T[][] =
    style === 'each' ? items.map((x) => [x]) : style === 'split' ? [items.slice(0, 1), items.slice(1)].filter((b) => b.length > 0) : [items.slice()];
  for (const block of blocks) {
    if (style === 'negative') {
      const body = new Out(o.padAll);
      for (const x of block) writeItem(body, x);
      o.long(-block.length);
      o.long(body.bytes.length);
      o.raw(body.bytes);
    } else {
      o.long(block.length);
      for (const x of block) writeItem(o, x);
    }
  }
  o.long(0);
}

function writeString(o: Out, v: unknown): void {
  if (v instanceof RawBytes) o.lengthPrefixed(v.bytes);
  else o.lengthPrefixed(utf8(v as string));
}

function writeNode(o: Out, node: SchemaNode, v: unknown, opts: RawOptions): void {
  if (Array.isArray(node)) {
    // ["null", T]
    if (v === null) o.long(0);
    else {
      o.long(1);
      writeNode(o, node[1]!, v, opts);
    }
    return;
  }
  const t = typeof node === 'string' ? node : node;
  const name = typeof t === 'string' ? t : typeof t.type === 'string' ? t.type : 'nested';
  const logical = typeof t === 'string' ? undefined : t.logicalType;
  if (name === 'string') return writeString(o, v);
  if (name === 'long') {
    if (v instanceof RawZigZag) return o.varint(v.z, opts.padLongs + o.padAll);
    return o.long(v as bigint, opts.padLongs + o.padAll);
  }
  if (name === 'bytes' && logical === 'decimal') {
    if (v instanceof RawBytes) return o.lengthPrefixed(v.bytes);
    return o.lengthPrefixed(twosComplement(v as bigint));
  }
  if (name === 'enum') {
    const symbols = (t as { symbols: string[] }).symbols;
    const idx = typeof v === 'number' ? v : symbols.indexOf(v as string);
    if (idx < 0) throw new Error(`no enum symbol ${String(v)}`);
    return o.long(idx);
  }
  if (name === 'array') return writeBlocks(o, v as unknown[], opts.blocks, (oo, x) => writeString(oo, x));
  if (name === 'map') {
    const entries = v instanceof MapEntries ? v.entries : Object.keys(v as object).map((k) => [k, (v as Record<string, string>)[k]!] as const);
    return writeBlocks(o, entries, opts.blocks, (oo, [k, x]) => {
      writeString(oo, k);
      writeString(oo, x);
    });
  }
  throw new Error(`raw writer: unsupported schema node ${JSON.stringify(node)}`);
}

const SCHEMAS: Record<Kind, { fields: { name: string; type: SchemaNode }[] }> = {
  trades: JSON.parse(schemaText('trades')) as { fields: { name: string; type: SchemaNode }[] },
  quotes: JSON.parse(schemaText('quotes')) as { fields: { name: string; type: SchemaNode }[] },
};

function rawBody(kind: Kind, rec: Record<string, unknown>, opts: RawOptions = CANONICAL): Buffer {
  const o = new Out(opts.padAll ?? 0);
  for (const f of SCHEMAS[kind].fields) writeNode(o, f.type, rec[f.name], opts);
  return Buffer.from(o.bytes);
}

// ---------------------------------------------------------------------------------------------
// Random records

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DEC_MAX = 10n ** 18n - 1n;
/** the decoder's fast bound on the high word of a decimal: at and beyond it, the generic path decides */
const DEC_FAST_HI = 0x0de0b6b3n;

type Rand = () => number;
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const chance = (rand: Rand, p: number): boolean => rand() < p;

function randomBigint(rand: Rand, bits: number): bigint {
  let v = 0n;
  for (let i = 0; i < bits; i += 16) v = (v << 16n) | BigInt(Math.floor(rand() * 65536));
  return BigInt.asUintN(bits, v);
}

function uuid(rand: Rand): string {
  const hex = (n: number): string => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(rand() * 16)]).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
}

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'BHP', 'CBA', 'X', '', 'é', 'Ä-ß', '日本株', '😀', 'A\u001fB', '\u001f', 'nul\u0000x', 'line\nbreak', 'S'.repeat(70), 'Ü'.repeat(40)];
const COMMON_SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'BHP', 'CBA'];
const EXCHANGES = ['BINANCE', 'ASX', 'ab', 'a', '', 'ÉX', 'EX\u001f'];
const CURRENCIES = ['USDT', 'AUD', '€', ''];
const CONDITIONS: string[][] = [
  [],
  ['XT'],
  ['XT', 'CX'],
  ['', 'é'],
  ['a\u001fb'],
  ['XT', 'XT', 'XT'],
  Array.from({ length: 20 }, (_, i) => `C${i}`),
];
// Maps that trip the known MapColumn discrepancies ("__proto__" keys, integer-like keys out of
// JS order) are left out of the random runs and tested on their own under "map columns", so
// that the random runs stay sensitive to anything else.
const VENDOR: (Record<string, string> | null)[] = [
  null,
  {},
  { is_buyer_maker: 'true' },
  { is_buyer_maker: 'false' },
  { a: '1', b: '2' },
  // keys that look alike but differ
  { a: '1', 'a ': '2', A: '3', 'a\u0000': '4' },
  { x: '' },
  // shapes that collide if keys are joined naively: [] / [""], ["a\u0000b"] / ["a", "b"]
  { '': '' },
  { '': 'x' },
  { 'a\u0000b': 'v' },
  // integer-like keys (JS reorders them) and prototype-ish keys
  { b: 'z', '1': 'x', '0': 'y' },
  { constructor: 'c', toString: 't', hasOwnProperty: 'h' },
  { é: 'ü', '😀': '\u001f' },
  // separators inside values
  { a: 'x\u001ey', b: 'z' },
  { only: '\u001e' },
  { sep: 'a\u001fb' },
  Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`key${i}`, `value-${i}`])),
];
const ASSET_CLASSES = ['equities', 'crypto', 'futures', 'options'];
const SIDES = ['BUY', 'SELL', 'SELL_SHORT', 'UNKNOWN'];

/** A decimal the decoder handles itself (|v| below its high-word bound). */
function ordinaryDecimal(rand: Rand): bigint {
  const r = rand();
  if (r < 0.15) return pick(rand, [0n, 1n, -1n, 127n, 128n, -128n, -129n, 255n, 256n]);
  if (r < 0.45) return BigInt(Math.floor(rand() * 1e12)); // up to 5 bytes
  // 6..8 bytes, both signs, up to just below the fast bound
  const bits = pick(rand, [41, 48, 55, 56, 59]);
  let v = randomBigint(rand, bits);
  if (v >= DEC_FAST_HI << 32n) v = (DEC_FAST_HI << 32n) - 1n - BigInt(Math.floor(rand() * 1000));
  return chance(rand, 0.5) ? -v : v;
}

/** Decimals at and around the 18-digit bound (the generic path decides them). */
function boundaryDecimal(rand: Rand): bigint {
  return pick(rand, [
    DEC_MAX,
    -DEC_MAX,
    DEC_MAX - 1n,
    DEC_FAST_HI << 32n, // first value with the bound's high word: generic path, still valid
    (DEC_FAST_HI << 32n) - 1n, // last value of the fast range
    -(DEC_FAST_HI << 32n),
    -(DEC_FAST_HI << 32n) - 1n,
    -((DEC_FAST_HI + 1n) << 32n),
  ]);
}

function ordinaryTimestamp(rand: Rand): bigint {
  const r = rand();
  if (r < 0.7) return 1_700_000_000_000_000n + BigInt(Math.floor(rand() * 1e12));
  return pick(rand, [0n, -1n, 1n, -86_400_000_000n, 2n ** 52n - 1n, -(2n ** 52n), -(2n ** 52n) + 1n, 2n ** 32n, -(2n ** 32n), 2n ** 31n - 1n, -(2n ** 31n)]);
}

function randomLong(rand: Rand): bigint | null {
  const r = rand();
  if (r < 0.3) return null;
  if (r < 0.6) return BigInt(Math.floor(rand() * 1e9));
  if (r < 0.8) return pick(rand, [0n, -1n, 1n, INT64_MIN, INT64_MAX, INT64_MIN + 1n, INT64_MAX - 1n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 52n, -(2n ** 52n) - 1n]);
  return BigInt.asIntN(64, randomBigint(rand, 64));
}

function idOf(rand: Rand, prefix: string): string {
  const r = rand();
  if (r < 0.8) return `${prefix}${Math.floor(rand() * 1e6)}`;
  return pick(rand, ['', '0', '00', '007', 'A\u001f1', '12345678901234567890', `${prefix}x`]);
}

/** An ordinary record: everything the decoder should take itself (ASCII text columns, in-range values). */
function ordinaryRecord(kind: Kind, rand: Rand): Record<string, unknown> {
  const exotic = chance(rand, 0.2);
  const common = {
    message_id: uuid(rand),
    symbol: exotic ? pick(rand, SYMBOLS) : pick(rand, COMMON_SYMBOLS),
    exchange: exotic ? pick(rand, EXCHANGES) : pick(rand, ['BINANCE', 'ASX']),
    asset_class: pick(rand, ASSET_CLASSES),
    timestamp: ordinaryTimestamp(rand),
    currency: exotic ? pick(rand, CURRENCIES) : 'USDT',
    source_sequence: randomLong(rand),
    ingestion_timestamp: ordinaryTimestamp(rand),
    platform_sequence: randomLong(rand),
    vendor_data: pick(rand, VENDOR),
  };
  if (kind === 'trades') {
    return {
      ...common,
      trade_id: idOf(rand, pick(rand, ['BINANCE-', 'ASX-7078-20140102-'])),
      price: ordinaryDecimal(rand),
      quantity: ordinaryDecimal(rand),
      side: pick(rand, SIDES),
      trade_conditions: pick(rand, CONDITIONS),
    };
  }
  const dec = (): bigint | null => (chance(rand, 0.25) ? null : ordinaryDecimal(rand));
  return { ...common, quote_id: idOf(rand, 'BINANCE-'), bid_price: dec(), bid_quantity: dec(), ask_price: dec(), ask_quantity: dec() };
}

/** An ordinary record whose map (if any) is ASCII: the decoder takes it itself. */
function plainRecord(kind: Kind, rand: Rand): Record<string, unknown> {
  for (;;) {
    const rec = ordinaryRecord(kind, rand);
    const m = rec.vendor_data as Record<string, string> | null;
    if (m === null || Object.entries(m).every(([k, v]) => /^[\x00-\x7f]*$/.test(k + v))) return rec;
  }
}

interface Sample {
  kind: Kind;
  body: Buffer;
  /** the decoder must take it itself (decode returns true) */
  ordinary: boolean;
  what: string;
}

const decimalFields: Record<Kind, string[]> = { trades: ['price', 'quantity'], quotes: ['bid_price', 'bid_quantity', 'ask_price', 'ask_quantity'] };
const textFields: Record<Kind, string[]> = { trades: ['message_id', 'trade_id'], quotes: ['message_id', 'quote_id'] };
const codedStringFields = ['symbol', 'exchange', 'currency'];

/** A record with one special value or encoding the generic path may have to decide. */
function specialSample(kind: Kind, rand: Rand): Sample {
  const rec = ordinaryRecord(kind, rand);
  const r = Math.floor(rand() * 17);
  let opts = CANONICAL;
  let what: string;
  switch (r) {
    case 0:
      what = 'decimal at the 18-digit bound';
      rec[pick(rand, decimalFields[kind])] = boundaryDecimal(rand);
      break;
    case 1:
      what = 'decimal beyond 18 digits (stageRow refuses)';
      rec[pick(rand, decimalFields[kind])] = pick(rand, [10n ** 18n, -(10n ** 18n), INT64_MAX, INT64_MIN, 2n ** 60n]);
      break;
    case 2:
      what = 'decimal wider than 8 bytes (non-minimal, or huge)';
      rec[pick(rand, decimalFields[kind])] = new RawBytes(
        Uint8Array.from(pick(rand, [[0, 0, 0, 0, 0, 0, 0, 0, 5], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfb], [1, 0, 0, 0, 0, 0, 0, 0, 0], twosComplement(10n ** 30n)])),
      );
      break;
    case 3:
      what = 'decimal with a non-minimal or empty encoding (<= 8 bytes)';
      rec[pick(rand, decimalFields[kind])] = new RawBytes(
        Uint8Array.from(pick(rand, [[], [0, 0, 0, 0, 0, 0, 0, 5], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfb], [0, 0x80], [0xff, 0x7f], [0, 0, 0, 0, 0, 0, 0, 0]])),
      );
      break;
    case 4:
      what = 'timestamp beyond +-2^52';
      rec[pick(rand, ['timestamp', 'ingestion_timestamp'])] = pick(rand, [2n ** 52n, 2n ** 53n - 2n, 2n ** 53n, -(2n ** 52n) - 1n, -(2n ** 53n), INT64_MAX, INT64_MIN]);
      break;
    case 5:
      what = 'long wider than 64 bits (varint with bits past 2^64)';
      rec[pick(rand, ['source_sequence', 'platform_sequence'])] = new RawZigZag(2n ** 64n + BigInt(Math.floor(rand() * 1000)));
      break;
    case 6:
      what = 'overlong (zero-padded) varints in every long field';
      opts = { blocks: 'one', padLongs: 1 + Math.floor(rand() * 4) };
      break;
    case 7:
      what = 'arrays and maps cut into one block per item';
      opts = { blocks: 'each', padLongs: 0 };
      break;
    case 8:
      what = 'arrays and maps in negative-count blocks (with byte sizes)';
      opts = { blocks: 'negative', padLongs: 0 };
      break;
    case 9:
      what = 'arrays and maps in two blocks';
      opts = { blocks: 'split', padLongs: 0 };
      break;
    case 10:
      what = 'map with repeated keys (the later one wins)';
      rec.vendor_data = new MapEntries(pick(rand, [[['a', '1'], ['a', '2']], [['k', 'x'], ['j', 'y'], ['k', 'z']], [['', 'first'], ['x', ''], ['', 'second']]] as [string, string][][]));
      opts = { blocks: pick(rand, ['one', 'each', 'negative'] as BlockStyle[]), padLongs: 0 };
      break;
    case 11:
      what = 'non-ASCII or separator in a text column';
      rec[pick(rand, textFields[kind])] = pick(rand, ['é-1', 'ASX-ü-17', '日本-3', '😀', 'A\u001f2', '\u001f', 'é\u001f']);
      break;
    case 12:
      what = 'invalid UTF-8 in a text column';
      rec[pick(rand, textFields[kind])] = new RawBytes(Uint8Array.from(pick(rand, [[0xff, 0x41], [0x41, 0xc3], [0xed, 0xa0, 0x80], [0xc0, 0x80, 0x31]])));
      break;
    case 13:
      what = 'invalid UTF-8 in a coded string column';
      rec[pick(rand, codedStringFields)] = new RawBytes(Uint8Array.from(pick(rand, [[0xff], [0xfe], [0x41, 0xc3], [0xed, 0xa0, 0x80], [0xef, 0xbf, 0xbd]])));
      break;
    case 15:
      what = 'invalid UTF-8 and non-ASCII in list items';
      rec.trade_conditions = pick(rand, [[new RawBytes(Uint8Array.from([0xff]))], ['ok', new RawBytes(Uint8Array.from([0x41, 0xc3]))], ['日本', 'é']]);
      if (kind === 'quotes') rec.vendor_data = { k: 'é' };
      break;
    case 16:
      what = 'overlong varints everywhere (lengths, counts, indexes)';
      opts = { blocks: pick(rand, ['one', 'each', 'negative'] as BlockStyle[]), padLongs: 0, padAll: 1 + Math.floor(rand() * 2) };
      break;
    default:
      what = 'empty text';
      rec[pick(rand, textFields[kind])] = '';
      break;
  }
  return { kind, body: rawBody(kind, rec, opts), ordinary: false, what };
}

function ordinarySample(kind: Kind, rand: Rand): Sample {
  const rec = ordinaryRecord(kind, rand);
  // avsc's writer, as the brief asks; the raw writer is checked against it separately
  // the decoder leaves maps with non-ASCII keys or values to the generic path
  const m = rec.vendor_data as Record<string, string> | null;
  const asciiMap = m === null || Object.entries(m).every(([k, v]) => /^[\x00-\x7f]*$/.test(k + v));
  return { kind, body: v2Type(kind).toBuffer(rec), ordinary: asciiMap, what: asciiMap ? 'ordinary' : 'non-ASCII map' };
}

// ---------------------------------------------------------------------------------------------
// Comparing batches as values

function describeValue(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
}

/** Differences between row i of a and row j of b, as readable strings (empty when equal). */
function rowDiff(a: ColumnBatch, i: number, b: ColumnBatch, j: number): string[] {
  const out: string[] = [];
  a.columns.forEach((ca, k) => {
    const cb = b.columns[k]!;
    const name = ca.def.name;
    if (ca instanceof Int64Column && cb instanceof Int64Column) {
      const na = ca.isNull(i);
      const nb = cb.isNull(j);
      if (na !== nb) out.push(`${name}: null ${na} vs ${nb}`);
      else if (!na && ca.values[i] !== cb.values[j]) out.push(`${name}: ${ca.values[i]} vs ${cb.values[j]}`);
      else if (na && (ca.values[i] !== 0n || cb.values[j] !== 0n)) out.push(`${name}: null rows hold ${ca.values[i]} vs ${cb.values[j]}`);
    } else if (ca instanceof CodeColumn && cb instanceof CodeColumn) {
      const va = ca.valueAt(i);
      const vb = cb.valueAt(j);
      if (!isDeepStrictEqual(va, vb)) out.push(`${name}: ${describeValue(va)} vs ${describeValue(vb)}`);
    } else if (ca instanceof TextColumn && cb instanceof TextColumn) {
      const ta = ca.textAt(i);
      const tb = cb.textAt(j);
      if (ta !== tb) out.push(`${name}: ${describeValue(ta)} vs ${describeValue(tb)}`);
      if (ca.bytes[ca.ends[i]!] !== TEXT_SEPARATOR) out.push(`${name}: no separator after the value in the first batch`);
      if (cb.bytes[cb.ends[j]!] !== TEXT_SEPARATOR) out.push(`${name}: no separator after the value in the second batch`);
    } else if (ca instanceof MapColumn && cb instanceof MapColumn) {
      const va = ca.valueAt(i);
      const vb = cb.valueAt(j);
      if (!isDeepStrictEqual(va, vb)) out.push(`${name}: ${describeValue(va)} vs ${describeValue(vb)}`);
      else if (!isDeepStrictEqual(mapKeysAt(ca, i), mapKeysAt(cb, j))) out.push(`${name}: keys stored as ${describeValue(mapKeysAt(ca, i))} vs ${describeValue(mapKeysAt(cb, j))}`);
    } else out.push(`${name}: different column classes`);
  });
  return out;
}

/** The keys of row i's map in stored order (the order the writer stores its entries in), or null. */
function mapKeysAt(c: MapColumn, i: number): string[] | null {
  const code = c.shapeCodes[i]!;
  return code === 0 ? null : c.shapes[code - 1]!;
}

/**
 * Differences between row i of a batch and the record it was staged from: what the
 * generic path handed the writer before the batch existed (the record object).
 */
function recordDiff(batch: ColumnBatch, i: number, record: object): string[] {
  const out: string[] = [];
  const r = record as Record<string, unknown>;
  for (const c of batch.columns) {
    const name = c.def.name;
    const want = r[name] ?? null;
    let got: unknown;
    if (c instanceof Int64Column) got = c.isNull(i) ? null : c.values[i];
    else if (c instanceof CodeColumn || c instanceof MapColumn) got = c.valueAt(i);
    else got = c.textAt(i);
    if (!isDeepStrictEqual(got, want)) out.push(`${name}: batch holds ${describeValue(got)}, record has ${describeValue(want)}`);
  }
  return out;
}

function batchDiff(a: ColumnBatch, b: ColumnBatch, opts: { separators: boolean } = { separators: true }): string[] {
  const out: string[] = [];
  if (a.length !== b.length) out.push(`length ${a.length} vs ${b.length}`);
  for (let i = 0; i < Math.min(a.length, b.length) && out.length < 20; i++) for (const d of rowDiff(a, i, b, i)) out.push(`row ${i}: ${d}`);
  if (opts.separators) {
    a.columns.forEach((ca, k) => {
      const cb = b.columns[k]!;
      if (((ca instanceof TextColumn && cb instanceof TextColumn) || (ca instanceof MapColumn && cb instanceof MapColumn)) && ca.hasSeparator !== cb.hasSeparator) {
        out.push(`${ca.def.name}.hasSeparator ${ca.hasSeparator} vs ${cb.hasSeparator}`);
      }
    });
  }
  return out;
}

/**
 * Whether an array or map block in the body claims more items than there are bytes left
 * (every item takes at least one byte, so the body is certainly truncated). avsc does not
 * check this: it loops over every claimed item (a 131-byte body claiming 20M
 * trade_conditions takes it ~16 s; 200M, ~40 s or a fatal V8 "invalid size" crash), so
 * such bodies are not given to it here. Only this is decided; anything else odd is left to avsc.
 */
function claimsImpossibleCount(kind: Kind, body: Buffer): boolean {
  let pos = 0;
  const long = (): bigint | null => {
    let z = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= body.length) return null;
      const b = body[pos++]!;
      z |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) break;
    }
    return (z & 1n) === 0n ? z >> 1n : -((z + 1n) >> 1n);
  };
  const bytes = (): boolean => {
    const n = long();
    if (n === null || n < 0n || pos + Number(n) > body.length) return false;
    pos += Number(n);
    return true;
  };
  const node = (t: SchemaNode): boolean | 'impossible' => {
    if (Array.isArray(t)) {
      const i = long();
      if (i === 0n) return true;
      if (i !== 1n) return false;
      return node(t[1]!);
    }
    const name = typeof t === 'string' ? t : typeof t.type === 'string' ? t.type : '';
    if (name === 'string' || name === 'bytes') return bytes();
    if (name === 'long' || name === 'enum') return long() !== null;
    const per = name === 'map' ? 2n : 1n;
    for (;;) {
      let c = long();
      if (c === null) return false;
      if (c === 0n) return true;
      if (c < 0n) {
        c = -c;
        if (long() === null) return false;
      }
      if (c * per > BigInt(body.length - pos)) return 'impossible';
      for (let k = 0n; k < c * per; k++) if (!bytes()) return false;
    }
  };
  for (const f of SCHEMAS[kind].fields) {
    const r = node(f.type);
    if (r === 'impossible') return true;
    if (!r) return false;
  }
  return false;
}

/** The generic decoder's outcome for a body: the record, or the error it throws. */
function generic(kind: Kind, body: Buffer): { ok: true; record: object } | { ok: false; error: Error } {
  if (claimsImpossibleCount(kind, body)) {
    return { ok: false, error: new Error('a block claims more items than bytes left (avsc would loop over them, then fail)') };
  }
  try {
    return { ok: true, record: v2Type(kind).fromBuffer(body) as object };
  } catch (err) {
    return { ok: false, error: err as Error };
  }
}

/** body inside a larger buffer (junk before and after, sometimes a view with a byteOffset): decode must respect start/end. */
function embed(body: Buffer, rand: Rand): { buf: Uint8Array; start: number; end: number } {
  const pre = Math.floor(rand() * 9);
  const post = Math.floor(rand() * 9);
  const big = Buffer.alloc(pre + body.length + post + 16);
  for (let i = 0; i < big.length; i++) big[i] = Math.floor(rand() * 256);
  body.copy(big, 8 + pre);
  if (chance(rand, 0.5)) return { buf: big.subarray(8), start: pre, end: pre + body.length };
  return { buf: big, start: 8 + pre, end: 8 + pre + body.length };
}

function decoderFor(kind: Kind): AvroColumnDecoder {
  return new AvroColumnDecoder(v2SchemaString(kind), DEFS[kind].columns.map((c) => c.name));
}

interface RunStats {
  fast: number;
  ordinary: number;
  ordinaryFast: number;
  skipped: number;
  fallbacks: Map<string, number>;
  problems: string[];
}

/**
 * Feeds bodies to batch A (column decoder, generic fallback: the consumer's path) and
 * batch B (generic path only), checking after every record that they agree.
 */
function runBoth(kind: Kind, samples: readonly Sample[], rand: Rand): { a: ColumnBatch; b: ColumnBatch; stats: RunStats } {
  const def = DEFS[kind];
  const dec = decoderFor(kind);
  const a = new ColumnBatch(def, 16); // small: growth of every column is exercised too
  const b = new ColumnBatch(def, 16);
  const stats: RunStats = { fast: 0, ordinary: 0, ordinaryFast: 0, skipped: 0, fallbacks: new Map(), problems: [] };
  const problem = (s: Sample, msg: string): void => {
    if (stats.problems.length < 20) stats.problems.push(`${s.what} [${s.body.toString('hex')}]: ${msg}`);
  };
  for (const s of samples) {
    const g = generic(kind, s.body);
    const before = a.length;
    const { buf, start, end } = embed(s.body, rand);
    const fast = dec.decode(a, buf, start, end);
    if (s.ordinary) stats.ordinary++;
    if (fast) {
      stats.fast++;
      if (s.ordinary) stats.ordinaryFast++;
      if (!g.ok) problem(s, `column decoder accepted a body the generic decoder refuses (${g.error.message})`);
      a.commitRow();
    } else {
      stats.fallbacks.set(s.what, (stats.fallbacks.get(s.what) ?? 0) + 1);
      if (a.length !== before) problem(s, 'decode returned false but changed length');
      if (g.ok) {
        try {
          a.stageRow(g.record);
          a.commitRow();
        } catch (err) {
          if (!(err instanceof IcebergError)) throw err;
        }
      }
    }
    if (g.ok) {
      try {
        b.appendRow(g.record);
        // the generic path keeps the record's values (what the writer was given before batches)
        for (const d of recordDiff(b, b.length - 1, g.record)) problem(s, `generic path: ${d}`);
      } catch (err) {
        if (!(err instanceof IcebergError)) throw err;
        stats.skipped++;
      }
    }
    if (a.length !== b.length) {
      problem(s, `row count ${a.length} (column path) vs ${b.length} (generic path)`);
      break;
    }
    if (a.length > before) for (const d of rowDiff(a, a.length - 1, b, b.length - 1)) problem(s, d);
  }
  return { a, b, stats };
}

function samplesOf(kind: Kind, rand: Rand, n: number): Sample[] {
  return Array.from({ length: n }, () => (chance(rand, 0.7) ? ordinarySample(kind, rand) : specialSample(kind, rand)));
}

// ---------------------------------------------------------------------------------------------

describe('raw test writer', () => {
  it('writes the same bytes as avsc for records avsc can write', () => {
    const rand = prng(7);
    for (const kind of ['trades', 'quotes'] as const) {
      for (let i = 0; i < 150; i++) {
        const rec = ordinaryRecord(kind, rand);
        expect(rawBody(kind, rec).toString('hex')).toBe(v2Type(kind).toBuffer(rec).toString('hex'));
      }
    }
  });

  it('writes alternative encodings the generic decoder reads as the same record', () => {
    const rand = prng(8);
    for (const kind of ['trades', 'quotes'] as const) {
      for (let i = 0; i < 40; i++) {
        const rec = ordinaryRecord(kind, rand);
        const expected = v2Type(kind).fromBuffer(v2Type(kind).toBuffer(rec)) as object;
        for (const blocks of ['each', 'negative', 'split'] as const) {
          for (const padLongs of [0, 2]) {
            expect(v2Type(kind).fromBuffer(rawBody(kind, rec, { blocks, padLongs }))).toEqual(expected);
          }
        }
      }
    }
  });
});

describe('AvroColumnDecoder equals the generic path', () => {
  for (const kind of ['trades', 'quotes'] as const) {
    it(`on ${kind}: random records, special values and alternative encodings, column by column`, () => {
      const rand = prng(kind === 'trades' ? 1001 : 2002);
      const samples = samplesOf(kind, rand, 2000);
      const { a, b, stats } = runBoth(kind, samples, rand);
      expect(stats.problems).toEqual([]);
      expect(batchDiff(a, b)).toEqual([]);
      // not vacuous: the decoder took every ordinary record itself, and the generic path was exercised
      expect(stats.ordinary).toBeGreaterThan(1100);
      expect(stats.ordinaryFast / stats.ordinary).toBeGreaterThan(0.9);
      expect(stats.ordinaryFast).toBe(stats.ordinary);
      expect(stats.fast).toBeLessThan(samples.length);
      expect(stats.skipped).toBeGreaterThan(0); // decimals beyond 18 digits, longs beyond 64 bits: both paths skip them
      // a batch where some text holds U+001F is flagged, on both paths
      expect(a.text('message_id').hasSeparator || a.text(kind === 'trades' ? 'trade_id' : 'quote_id').hasSeparator).toBe(true);
    });
  }

  it('the comparison itself sees a changed value in every column (so the runs above can fail)', () => {
    const rand = prng(77);
    const { a, b } = runBoth('trades', samplesOf('trades', rand, 60), rand);
    expect(batchDiff(a, b)).toEqual([]);
    const i = a.length - 1;
    const seen: string[] = [];
    for (const c of a.columns) {
      const undo = ((): (() => void) => {
        if (c instanceof Int64Column) {
          const v = c.values[i]!;
          const ok = c.valid?.[i];
          c.values[i] = v + 1n;
          if (c.valid !== null) c.valid[i] = 1;
          return () => {
            c.values[i] = v;
            if (c.valid !== null) c.valid[i] = ok!;
          };
        }
        if (c instanceof CodeColumn) {
          const code = c.codes[i]!;
          c.codes[i] = c.addValue(['changed']);
          return () => (c.codes[i] = code);
        }
        if (c instanceof MapColumn) {
          const code = c.shapeCodes[i]!;
          c.shapeCodes[i] = code === 0 ? c.shapeCode([]) : 0;
          return () => (c.shapeCodes[i] = code);
        }
        const t = c as TextColumn;
        const at = t.startOf(i);
        const byte = t.bytes[at]!;
        t.bytes[at] = byte === 0x21 ? 0x22 : 0x21;
        return () => (t.bytes[at] = byte);
      })();
      if (batchDiff(a, b).length > 0) seen.push(c.def.name);
      undo();
    }
    expect(seen).toEqual(TRADES_TABLE.columns.map((c) => c.name));
    expect(batchDiff(a, b)).toEqual([]);
  });

  it('takes the special encodings it can read itself and leaves the rest to the generic path', () => {
    const rand = prng(3003);
    const kind = 'trades';
    const dec = decoderFor(kind);
    const base = plainRecord(kind, rand);
    const fastOn = (rec: Record<string, unknown>, opts: RawOptions = CANONICAL): boolean => {
      const batch = new ColumnBatch(TRADES_TABLE);
      const body = rawBody(kind, rec, opts);
      const ok = dec.decode(batch, body, 0, body.length);
      if (ok) {
        // whatever it takes, it reads as the generic path does
        const b = new ColumnBatch(TRADES_TABLE);
        b.appendRow(v2Type(kind).fromBuffer(body) as object);
        batch.commitRow();
        expect(batchDiff(batch, b)).toEqual([]);
      }
      return ok;
    };
    // its own: overlong varints up to 10 bytes, any block layout, <= 8-byte decimals, +-2^52 bounds
    expect(fastOn(base, { blocks: 'negative', padLongs: 0 })).toBe(true);
    expect(fastOn(base, { blocks: 'each', padLongs: 0 })).toBe(true);
    const smallLongs = { ...base, timestamp: 1n, ingestion_timestamp: -2n, source_sequence: 3n, platform_sequence: null };
    expect(fastOn(smallLongs, { blocks: 'one', padLongs: 9 })).toBe(true); // 10-byte varints
    expect(fastOn({ ...base, price: new RawBytes(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 5])) })).toBe(true);
    expect(fastOn({ ...base, price: new RawBytes(new Uint8Array(0)) })).toBe(true);
    expect(fastOn({ ...base, timestamp: 2n ** 52n - 1n, ingestion_timestamp: -(2n ** 52n) })).toBe(true);
    expect(fastOn({ ...base, source_sequence: INT64_MIN, platform_sequence: INT64_MAX })).toBe(true);
    expect(fastOn({ ...base, price: (DEC_FAST_HI << 32n) - 1n, quantity: -(DEC_FAST_HI << 32n) })).toBe(true);
    // left to the generic path
    expect(fastOn(smallLongs, { blocks: 'one', padLongs: 10 })).toBe(false); // 11-byte varints
    expect(fastOn({ ...base, timestamp: 2n ** 52n })).toBe(true); // read exactly, like the generic path
    expect(fastOn({ ...base, timestamp: -(2n ** 52n) - 1n })).toBe(true);
    expect(fastOn({ ...base, price: DEC_MAX })).toBe(false);
    expect(fastOn({ ...base, price: DEC_FAST_HI << 32n })).toBe(false);
    expect(fastOn({ ...base, price: new RawBytes(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 5])) })).toBe(false);
    expect(fastOn({ ...base, trade_id: 'é-1' })).toBe(false);
    expect(fastOn({ ...base, message_id: new RawBytes(Uint8Array.from([0xff])) })).toBe(false);
    expect(fastOn({ ...base, source_sequence: new RawZigZag(2n ** 64n) })).toBe(false);
    expect(fastOn({ ...base, vendor_data: new MapEntries([['a', '1'], ['a', '2']]) })).toBe(false); // repeated map key
  });

  it('reads the row at batch.length, after committed rows, without touching them', () => {
    const rand = prng(4004);
    const kind = 'quotes';
    const dec = decoderFor(kind);
    const a = new ColumnBatch(QUOTES_TABLE, 16);
    const b = new ColumnBatch(QUOTES_TABLE, 16);
    for (let i = 0; i < 100; i++) {
      const body = v2Type(kind).toBuffer(plainRecord(kind, rand));
      // stage the same body twice without committing: the second staging overwrites the first
      expect(dec.decode(a, body, 0, body.length)).toBe(true);
      expect(dec.decode(a, body, 0, body.length)).toBe(true);
      a.commitRow();
      b.appendRow(v2Type(kind).fromBuffer(body) as object);
    }
    expect(batchDiff(a, b)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Mutations

type Mutation = { name: string; apply: (body: Buffer, rand: Rand) => Buffer };
const MUTATIONS: Mutation[] = [
  {
    name: 'byte set',
    apply: (b, rand) => {
      const c = Buffer.from(b);
      c[Math.floor(rand() * c.length)] = Math.floor(rand() * 256);
      return c;
    },
  },
  {
    name: 'bit flip',
    apply: (b, rand) => {
      const c = Buffer.from(b);
      c[Math.floor(rand() * c.length)]! ^= 1 << Math.floor(rand() * 8);
      return c;
    },
  },
  {
    name: 'small byte change',
    apply: (b, rand) => {
      // +-1 on a byte: lengths, counts, union and enum indexes stay plausible
      const c = Buffer.from(b);
      const i = Math.floor(rand() * c.length);
      c[i] = (c[i]! + (chance(rand, 0.5) ? 1 : 255)) & 0xff;
      return c;
    },
  },
  { name: 'truncate', apply: (b, rand) => Buffer.from(b.subarray(0, Math.floor(rand() * b.length))) },
  {
    name: 'append',
    apply: (b, rand) => Buffer.concat([b, Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 3) }, () => Math.floor(rand() * 256)))]),
  },
  {
    name: 'delete byte',
    apply: (b, rand) => {
      const i = Math.floor(rand() * b.length);
      return Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
    },
  },
  {
    name: 'insert byte',
    apply: (b, rand) => {
      const i = Math.floor(rand() * (b.length + 1));
      return Buffer.concat([b.subarray(0, i), Buffer.from([Math.floor(rand() * 256)]), b.subarray(i)]);
    },
  },
  {
    name: 'three byte sets',
    apply: (b, rand) => {
      const c = Buffer.from(b);
      for (let k = 0; k < 3; k++) c[Math.floor(rand() * c.length)] = Math.floor(rand() * 256);
      return c;
    },
  },
];

describe('AvroColumnDecoder on damaged bodies', () => {
  for (const kind of ['trades', 'quotes'] as const) {
    it(`on ${kind}: accepts only what the generic decoder accepts, reads it alike, and leaks nothing from failed decodes`, () => {
      const rand = prng(kind === 'trades' ? 5005 : 6006);
      const pool = samplesOf(kind, rand, 200).map((s) => s.body);
      const valid = Array.from({ length: 80 }, () => ordinarySample(kind, rand)).filter((v) => v.ordinary);
      const def = DEFS[kind];
      const dec = decoderFor(kind);
      const a = new ColumnBatch(def, 16);
      const b = new ColumnBatch(def, 16);
      const problems: string[] = [];
      const counts = { mutated: 0, fastTrue: 0, genericOk: 0, genericFailed: 0, validAfterFailure: 0 };
      const problem = (body: Buffer, what: string, msg: string): void => {
        if (problems.length < 20) problems.push(`${what} [${body.toString('hex')}]: ${msg}`);
      };
      for (let round = 0; round < 2000; round++) {
        const m = pick(rand, MUTATIONS);
        const body = m.apply(pick(rand, pool), rand);
        counts.mutated++;
        const g = generic(kind, body);
        if (g.ok) counts.genericOk++;
        else counts.genericFailed++;
        const before = a.length;
        const { buf, start, end } = embed(body, rand);
        const fast = dec.decode(a, buf, start, end);
        if (fast) {
          counts.fastTrue++;
          if (!g.ok) {
            problem(body, m.name, `decode returned true, the generic decoder throws: ${g.error.message}`);
            continue;
          }
          a.commitRow();
        } else {
          if (a.length !== before) problem(body, m.name, `decode returned false and changed length ${before} -> ${a.length}`);
          if (g.ok) {
            try {
              a.stageRow(g.record);
              a.commitRow();
            } catch (err) {
              if (!(err instanceof IcebergError)) throw err;
            }
          }
        }
        if (g.ok) {
          try {
            b.appendRow(g.record);
          } catch (err) {
            if (!(err instanceof IcebergError)) throw err;
          }
        }
        if (a.length !== b.length) {
          problem(body, m.name, `row count ${a.length} (column path) vs ${b.length} (generic path)`);
          break;
        }
        if (a.length > before) for (const d of rowDiff(a, a.length - 1, b, b.length - 1)) problem(body, m.name, d);
        // after a failed decode, a valid record still decodes (no state left behind by the failure)
        if (!fast || chance(rand, 0.3)) {
          const v = pick(rand, valid);
          const beforeValid = a.length;
          const e = embed(v.body, rand);
          if (!dec.decode(a, e.buf, e.start, e.end)) problem(v.body, 'valid after ' + m.name, 'decode returned false for a valid ordinary record');
          else {
            if (!fast) counts.validAfterFailure++;
            a.commitRow();
            b.appendRow(v2Type(kind).fromBuffer(v.body) as object);
            for (const d of rowDiff(a, beforeValid, b, b.length - 1)) problem(v.body, 'valid after ' + m.name, d);
          }
        }
      }
      expect(problems).toEqual([]);
      // hasSeparator is compared in its own test below (a failed decode may set it)
      expect(batchDiff(a, b, { separators: false })).toEqual([]);
      // not vacuous: both outcomes happened often
      expect(counts.genericFailed).toBeGreaterThan(500);
      expect(counts.genericOk).toBeGreaterThan(300);
      expect(counts.fastTrue).toBeGreaterThan(200);
      expect(counts.validAfterFailure).toBeGreaterThan(500);
    });
  }

  it('a refused body leaves no trace in the batch: hasSeparator stays false when no kept row holds a separator', () => {
    // A trade whose message_id (text column) or vendor_data value (map column) holds U+001F,
    // truncated: the generic decoder refuses it, so no row keeps that value; the column path
    // must leave the batch as the generic path leaves it.
    const kind = 'trades';
    const flags: string[] = [];
    for (const [column, patch] of [
      ['message_id', { message_id: 'id\u001f' }],
      ['vendor_data', { vendor_data: { k: 'v\u001f' } }],
    ] as const) {
      const rec = { ...plainRecord(kind, prng(1)), trade_id: 'BINANCE-1', ...patch };
      const body = rawBody(kind, rec);
      const truncated = body.subarray(0, body.length - 1);
      expect(generic(kind, truncated).ok).toBe(false);
      const dec = decoderFor(kind);
      const a = new ColumnBatch(TRADES_TABLE);
      expect(dec.decode(a, truncated, 0, truncated.length)).toBe(false);
      const ok = v2Type(kind).toBuffer({ ...plainRecord(kind, prng(2)), vendor_data: { k: 'v' } });
      expect(dec.decode(a, ok, 0, ok.length)).toBe(true);
      a.commitRow();
      const b = new ColumnBatch(TRADES_TABLE);
      b.appendRow(v2Type(kind).fromBuffer(ok) as object);
      expect(batchDiff(a, b, { separators: false })).toEqual([]);
      const flag = (batch: ColumnBatch): boolean => (batch.column(column) as TextColumn | MapColumn).hasSeparator;
      flags.push(`${column}.hasSeparator after a refused body: ${flag(a)} (generic path: ${flag(b)})`);
    }
    expect(flags).toEqual(['message_id.hasSeparator after a refused body: false (generic path: false)', 'vendor_data.hasSeparator after a refused body: false (generic path: false)']);
  });
});

describe('map columns: the decoder and the generic path store the same maps', () => {
  /** Stages the bodies through the column path (decoder, generic fallback) and the generic path; returns both batches. */
  const both = (bodies: Buffer[]): { a: ColumnBatch; b: ColumnBatch; fast: boolean[] } => {
    const dec = decoderFor('trades');
    const a = new ColumnBatch(TRADES_TABLE);
    const b = new ColumnBatch(TRADES_TABLE);
    const fast = bodies.map((body) => {
      const ok = dec.decode(a, body, 0, body.length);
      if (ok) a.commitRow();
      else a.appendRow(v2Type('trades').fromBuffer(body) as object);
      b.appendRow(v2Type('trades').fromBuffer(body) as object);
      return ok;
    });
    return { a, b, fast };
  };
  const bodyWith = (vendor: unknown, seed = 4): Buffer => rawBody('trades', { ...plainRecord('trades', prng(seed)), vendor_data: vendor });
  const keysOf = (batch: ColumnBatch, i: number): string[] | null => mapKeysAt(batch.column('vendor_data') as MapColumn, i);
  const valueOf = (batch: ColumnBatch, i: number): unknown => (batch.column('vendor_data') as MapColumn).valueAt(i);

  it('stores entries in the order the generic path stores them (keys that look like integers)', () => {
    // the generic path builds a JS object (integer-like keys first, ascending) and stages Object.keys order;
    // a producer other than avsc (e.g. Java's HashMap) may write the entries in any order
    const { a, b, fast } = both([bodyWith(new MapEntries([['b', 'x'], ['1', 'y'], ['a', 'z']]))]);
    expect(fast).toEqual([false]); // left to the generic path
    expect(keysOf(a, 0)).toEqual(keysOf(b, 0));
  });

  it('a "__proto__" key: stored alike on both paths', () => {
    const { a, b, fast } = both([bodyWith(JSON.parse('{"__proto__":"p","constructor":"c"}'))]);
    expect(fast).toEqual([false]); // left to the generic path
    expect(keysOf(a, 0)).toEqual(keysOf(b, 0));
  });

  it('an empty map and a map whose only key is the empty string, in either order, on both paths', () => {
    for (const maps of [
      [{}, { '': 'x' }],
      [{ '': 'x' }, {}],
    ]) {
      const { a, b } = both(maps.map((m, i) => bodyWith(m, i)));
      expect([valueOf(a, 0), valueOf(a, 1)], 'column path').toEqual(maps);
      expect([valueOf(b, 0), valueOf(b, 1)], 'generic path').toEqual(maps);
    }
  });

  it('consecutive maps whose keys are a prefix, an extension or a variation of the last map\'s keys keep their own keys', () => {
    // the decoder compares each map's keys with the last map's in place: every way they can part must be seen
    const maps: (Record<string, string> | null)[] = [
      { event_type: 'trade', event_time: '1', venue: 'X' },
      { event_type: 'trade', event_time: '2', venue: 'Y' }, // same keys
      { event_type: 'trade', event_time: '3' }, // a prefix
      { event_type: 'trade', event_time: '4', venue: 'Z', extra: 'e' }, // an extension
      { event_type: 'trade', event_tim: '5', venue: 'Z', extra: 'e' }, // a key one byte shorter
      { event_type: 'trade', event_timf: '6', venue: 'Z', extra: 'e' }, // a key of the same length, last byte differs
      { event_type: 'trade', event_time: '7', venue: 'X' }, // an earlier shape again
      {},
      { '': 'x' },
      null,
      { event_type: 'trade', event_time: '8', venue: 'X' },
      { event_type: 'trade', event_time: '9', venue: 'X' },
    ];
    const { a, b, fast } = both(maps.map((m, i) => bodyWith(m, i)));
    expect(fast.every((f) => f)).toBe(true);
    maps.forEach((m, i) => {
      expect(valueOf(a, i), `column path, row ${i}`).toEqual(m);
      expect(valueOf(b, i), `generic path, row ${i}`).toEqual(m);
    });
  });

  it('a map refused part-way (a non-ASCII key) does not change what the next map reads as', () => {
    // the refused map has overwritten the kept keys with ["a", "bd"] before its third key failed:
    // the next map, with exactly those keys, must not be taken for the last kept map (["a", "bc"])
    const maps = [{ a: '1', bc: '2' }, { a: '1', bd: '2', 'é': '3' }, { a: '1', bd: '2' }, { a: '1', 'vé': 'X' }, { a: '1', bc: '2' }];
    const { a, b, fast } = both(maps.map((m, i) => bodyWith(m, i)));
    expect(fast).toEqual([true, false, true, false, true]);
    maps.forEach((m, i) => {
      expect(valueOf(a, i), `column path, row ${i}`).toEqual(m);
      expect(valueOf(b, i), `generic path, row ${i}`).toEqual(m);
    });
  });

  it('keys holding U+0000 do not make two shapes one (["a\\u0000b"] vs ["a", "b"])', () => {
    const maps = [{ 'a\u0000b': 'v' }, { a: '1', b: '2' }];
    const { a, b } = both(maps.map((m, i) => bodyWith(m, i)));
    expect([valueOf(a, 0), valueOf(a, 1)], 'column path').toEqual(maps);
    expect([valueOf(b, 0), valueOf(b, 1)], 'generic path').toEqual(maps);
  });
});

describe('timestamps beyond +-2^52 us', () => {
  it('are read exactly as written (k2 never writes them; another producer may)', () => {
    const kind = 'trades';
    const dec = decoderFor(kind);
    for (const ts of [-(2n ** 52n) - 1n, -(2n ** 52n) - 3n, -(2n ** 53n) + 5n, 2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n]) {
      const body = rawBody(kind, { ...ordinaryRecord(kind, prng(3)), timestamp: ts });
      const a = new ColumnBatch(TRADES_TABLE);
      expect(dec.decode(a, body, 0, body.length), `written ${ts}`).toBe(true);
      expect(a.int64('timestamp').values[0], `written ${ts}`).toBe(ts);
    }
  });
});

describe('which schema ids the column decoder may read (RecordDecoder.readsDirectly)', () => {
  it('only a writer schema equal to v2 including logical types: a timestamp-millis writer is not read as micros', async () => {
    // readsDirectly gates the column decoder; the decoder reads every timestamp as micros.
    const v2 = JSON.parse(schemaText('trades')) as { fields: { name: string; type: unknown }[] };
    const millis = JSON.parse(schemaText('trades')) as { fields: { name: string; type: unknown }[] };
    for (const f of millis.fields) if (f.name === 'timestamp') f.type = { type: 'long', logicalType: 'timestamp-millis' };
    const schemas = new Map([
      [1, JSON.stringify(v2)],
      [2, JSON.stringify(millis)],
    ]);
    const registry = { getSchemaById: async (id: number) => schemas.get(id)! } as unknown as SchemaRegistryClient;
    const decoder = new RecordDecoder(registry);
    await decoder.prepare('trades', [1, 2]);
    expect(decoder.readsDirectly('trades', 1)).toBe(true);
    expect(decoder.readsDirectly('trades', 2)).toBe(false);
  });
});

describe('bodies whose array or map blocks announce more items than bytes are left', () => {
  it('are refused as malformed at once (never handed to avsc, which would allocate the items), and the batch is untouched', () => {
    const kind = 'trades';
    const dec = decoderFor(kind);
    const good = v2Type(kind).toBuffer({ ...ordinaryRecord(kind, prng(5)), trade_conditions: ['XT'], vendor_data: null });
    // trade_conditions ["XT"] is encoded as: count 1 (02), length 2 (04), "XT", end (00)
    const at = good.indexOf(Buffer.from([0x02, 0x04, 0x58, 0x54, 0x00]));
    expect(at).toBeGreaterThan(0);
    const huge = Buffer.concat([good.subarray(0, at), Buffer.from([0x80, 0xb4, 0x89, 0x13]), good.subarray(at + 1)]); // count 20,000,000
    const batch = new ColumnBatch(TRADES_TABLE);
    expect(dec.decode(batch, huge, 0, huge.length)).toBe(false);
    expect(dec.malformedReason).toMatch(/announces 20000000 items but only \d+ bytes are left/);
    expect(batch.length).toBe(0);
    // the reason is per body: an ordinary body decodes and clears it
    expect(dec.decode(batch, good, 0, good.length)).toBe(true);
    expect(dec.malformedReason).toBeNull();
    // a merely unusual body (non-ASCII id) is refused for the generic path, not as malformed
    const unusual = v2Type(kind).toBuffer({ ...ordinaryRecord(kind, prng(6)), trade_id: 'é-1' });
    expect(dec.decode(batch, unusual, 0, unusual.length)).toBe(false);
    expect(dec.malformedReason).toBeNull();
  });
});
