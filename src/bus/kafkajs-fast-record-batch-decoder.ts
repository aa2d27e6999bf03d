/**
 * Faster RecordBatch v2 decoding for kafkajs 2.2.4 fetch responses, producing
 * exactly the objects kafkajs's own decoder produces.
 *
 * kafkajs decodes every record through a fresh `Decoder` over a per-record
 * Buffer slice, reads the timestamp delta as a long.js varlong (a dozen Long
 * objects per record), and computes each record's offset and timestamp by parsing
 * the batch's decimal firstOffset/firstTimestamp strings again with long.js,
 * adding, and printing back to a string. Most of consumer CPU and garbage goes
 * there. Here one pass over the batch reads plain-number varints straight from
 * the response buffer, adds to the batch's numeric firstOffset/firstTimestamp
 * (exact: used only while every value stays within +-2^53), and reuses the
 * timestamp string when consecutive records share a delta.
 *
 * Output per record, as kafkajs: { magicByte, attributes, timestamp (string),
 * offset (string), key, value (Buffer slices of the response, or null), headers
 * (same reduction into an object), isControlRecord, batchContext } and per batch
 * { ...context, records }; offset, key and value are getters of a PackedRecord, made
 * when read. Partial trailing batches throw kafkajs's
 * KafkaJSPartialMessageError with the same message; compressed batches go
 * through kafkajs's own codecs. Anything unusual (magic other than 2, negative
 * counts or lengths, a record overrunning its bounds, varlongs beyond 7 bytes,
 * offsets or timestamps beyond 2^53, unknown codecs) rewinds and hands the whole
 * batch to kafkajs's original decoder, so the result is identical in every case.
 * kafkajs does not verify batch CRCs; neither does this.
 *
 * Applied like the other kafkajs patches: the export of
 * `protocol/recordBatch/v0/decoder` is replaced in Node's module cache before
 * kafkajs's fetch response module (loaded lazily) binds it. It must be imported
 * before 'kafkajs' is used (src/bus/kafka-client.ts imports it first).
 * See docs/decisions.md ("bus: single-pass RecordBatch decoding for kafkajs").
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The parts of kafkajs's Decoder this file relies on. */
export interface KafkaDecoder {
  buffer: Buffer;
  offset: number;
}
export type RecordBatchDecoderFn = (fetchDecoder: KafkaDecoder) => Promise<DecodedRecordBatch>;

export interface BatchContext {
  firstOffset: string;
  firstTimestamp: string;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  maxTimestamp: string;
  timestampType: number;
  magicByte: number;
}
export interface DecodedRecord {
  magicByte: number;
  attributes: number;
  timestamp: string;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, unknown>;
  isControlRecord: boolean;
  batchContext: BatchContext;
}
export type DecodedRecordBatch = Omit<BatchContext, 'magicByte'> & { records: DecodedRecord[] };

interface Codec {
  decompress(buffer: Buffer): Promise<Buffer>;
}
interface CompressionModule {
  lookupCodecByAttributes(attributes: number): Codec | null;
}
interface ErrorsModule {
  KafkaJSPartialMessageError: new (message: string) => Error;
}

const PATHS = {
  decoder: 'kafkajs/src/protocol/recordBatch/v0/decoder.js',
  compression: 'kafkajs/src/protocol/message/compression/index.js',
  errors: 'kafkajs/src/errors.js',
  decodeMessages: 'kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js',
} as const;

const Compression = require(PATHS.compression) as CompressionModule;
const { KafkaJSPartialMessageError } = require(PATHS.errors) as ErrorsModule;

const TIMESTAMP_TYPE_FLAG_MASK = 0x8;
const TRANSACTIONAL_FLAG_MASK = 0x10;
const CONTROL_FLAG_MASK = 0x20;
const LOG_APPEND_TIME = 1;
const CREATE_TIME = 0;
/** partitionLeaderEpoch(4) magic(1) crc(4) attributes(2) lastOffsetDelta(4) firstTimestamp(8) maxTimestamp(8) producerId(8) producerEpoch(2) firstSequence(4) */
const BATCH_HEADER_AFTER_LENGTH = 45;
const TWO_32 = 2 ** 32;

/** Thrown inside the fast path when the batch needs kafkajs's own decoder. */
class Unusual {}
const UNUSUAL = new Unusual();

/** int64 at `o` as a number, or NaN when it is not a safe integer. */
function readSafeInt64(buf: Buffer, o: number): number {
  const hi = buf.readInt32BE(o);
  const lo = buf.readUInt32BE(o + 4);
  const n = hi * TWO_32 + lo;
  return Number.isSafeInteger(n) ? n : NaN;
}

/** Cursor over one buffer; every read is bounds-checked against `end`. */
class Cursor {
  constructor(
    public buf: Buffer,
    public pos: number,
    public end: number,
  ) {}

  /** kafkajs's Decoder.readVarInt arithmetic (32-bit zig-zag), bounded. */
  varInt(): number {
    const buf = this.buf;
    let pos = this.pos;
    let b: number;
    let result = 0;
    let i = 0;
    do {
      if (pos >= this.end) throw UNUSUAL;
      b = buf[pos++]!;
      result += (b & 0x7f) << i;
      i += 7;
    } while (b >= 0x80);
    this.pos = pos;
    return (result >>> 1) ^ -(result & 1);
  }

  /** A zig-zag varlong of at most 7 bytes (49 bits), exact as a number. */
  varLong(): number {
    const buf = this.buf;
    let pos = this.pos;
    let b: number;
    let z = 0;
    let mul = 1;
    do {
      if (pos >= this.end || mul > 2 ** 42) throw UNUSUAL;
      b = buf[pos++]!;
      z += (b & 0x7f) * mul;
      mul *= 128;
    } while (b >= 0x80);
    this.pos = pos;
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  /** Skips varint-length-prefixed bytes: their start (their end is `pos`), or -1 for null (-1). */
  skipBytes(): number {
    const len = this.varInt();
    if (len === -1) return -1;
    if (len < 0 || this.pos + len > this.end) throw UNUSUAL;
    const start = this.pos;
    this.pos += len;
    return start;
  }

  /** Varint-length-prefixed bytes as a slice of the buffer (null for -1). */
  bytes(): Buffer | null {
    const len = this.varInt();
    if (len === -1) return null;
    if (len < 0 || this.pos + len > this.end) throw UNUSUAL;
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  string(): string | null {
    const len = this.varInt();
    if (len === -1) return null;
    if (len < 0 || this.pos + len > this.end) throw UNUSUAL;
    const out = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
}

type HeaderObject = Record<string, unknown>;

/** kafkajs's header reduction, verbatim in effect (including its handling of repeated keys). */
function reduceHeaders(pairs: Array<{ key: string | null; value: Buffer | null }>): HeaderObject {
  return pairs.reduce<HeaderObject>((obj, { key, value }) => {
    const k = String(key);
    const current = obj[k];
    return {
      ...obj,
      [k]: current === undefined ? value : Array.isArray(current) ? current.concat([value]) : [current, value],
    };
  }, {});
}

const EMPTY_HEADERS_DONE = 0;
/** One frozen empty header object shared by every record without headers (k2 never reads or changes headers). */
const NO_HEADERS: HeaderObject = Object.freeze({});

/**
 * A record as kafkajs's decoder gives it, with its key, value and offset made when read
 * (getters) instead of when decoded: a fetched batch lives until it is processed, often
 * across a young-generation GC, and three objects less per record are that much less to
 * copy and promote. Every field reads as kafkajs's own (same values, types and Buffer
 * contents); only the field order and their being own properties differ.
 */
export class PackedRecord implements DecodedRecord {
  constructor(
    readonly magicByte: number,
    readonly attributes: number,
    readonly timestamp: string,
    readonly headers: Record<string, unknown>,
    readonly isControlRecord: boolean,
    readonly batchContext: BatchContext,
    /** the buffer holding the key and value bytes (and those of the other records of its fetch) */
    readonly bytes: Buffer,
    /** where the key's bytes start, or -1 for a null key */
    private readonly keyStart: number,
    private readonly keyEnd: number,
    /** where the value's bytes start, or -1 for a null value: bytes[valueStart, valueEnd) */
    readonly valueStart: number,
    readonly valueEnd: number,
    /** the offset, a safe integer */
    readonly offsetNumber: number,
  ) {}

  get offset(): string {
    return String(this.offsetNumber);
  }

  get key(): Buffer | null {
    return this.keyStart < 0 ? null : this.bytes.subarray(this.keyStart, this.keyEnd);
  }

  get value(): Buffer | null {
    return this.valueStart < 0 ? null : this.bytes.subarray(this.valueStart, this.valueEnd);
  }
}

/**
 * Decodes `count` records from `c` (each: varint length then body). Offsets and
 * timestamps are computed from the batch's numeric first values.
 */
function decodeRecords(c: Cursor, count: number, ctx: BatchContext, firstOffset: number, firstTimestamp: number): DecodedRecord[] {
  const records = new Array<DecodedRecord>(count);
  const logAppend = ctx.timestampType === LOG_APPEND_TIME && ctx.maxTimestamp !== '';
  const magicByte = ctx.magicByte;
  const isControl = ctx.isControlBatch;
  let lastDelta = NaN;
  let lastTimestamp = '';
  for (let r = 0; r < count; r++) {
    const len = c.varInt();
    if (len < 0 || c.pos + len > c.end) throw UNUSUAL;
    const next = c.pos + len;
    const outerEnd = c.end;
    c.end = next;
    if (c.pos >= next) throw UNUSUAL;
    const attributes = c.buf.readInt8(c.pos++);
    const tsDelta = c.varLong();
    let timestamp: string;
    if (logAppend) timestamp = ctx.maxTimestamp;
    else if (tsDelta === lastDelta) timestamp = lastTimestamp;
    else {
      const ts = firstTimestamp + tsDelta;
      if (!Number.isSafeInteger(ts)) throw UNUSUAL;
      timestamp = String(ts);
      lastDelta = tsDelta;
      lastTimestamp = timestamp;
    }
    const offsetDelta = c.varInt();
    const off = firstOffset + offsetDelta;
    if (!Number.isSafeInteger(off)) throw UNUSUAL;
    const keyStart = c.skipBytes();
    const keyEnd = c.pos;
    const valueStart = c.skipBytes();
    const valueEnd = c.pos;
    const headerCount = c.varInt();
    let headers: HeaderObject;
    if (headerCount === -1 || headerCount === EMPTY_HEADERS_DONE) headers = NO_HEADERS;
    else if (headerCount < 0) throw UNUSUAL;
    else {
      const pairs = new Array<{ key: string | null; value: Buffer | null }>(headerCount);
      for (let h = 0; h < headerCount; h++) {
        const hk = c.string();
        pairs[h] = { key: hk, value: c.bytes() };
      }
      headers = reduceHeaders(pairs);
    }
    records[r] = new PackedRecord(magicByte, attributes, timestamp, headers, isControl, ctx, c.buf, keyStart, keyEnd, valueStart, valueEnd, off);
    c.pos = next;
    c.end = outerEnd;
  }
  return records;
}

/**
 * The fast decoder. Returns null (with fetchDecoder untouched) when the batch
 * must go to kafkajs's decoder; throws KafkaJSPartialMessageError like kafkajs.
 */
async function decodeFast(fetchDecoder: KafkaDecoder): Promise<DecodedRecordBatch | null> {
  const buf = fetchDecoder.buffer;
  const start = fetchDecoder.offset;
  if (start + 12 > buf.length) return null;
  const firstOffsetNum = readSafeInt64(buf, start);
  const length = buf.readInt32BE(start + 8);
  const bodyStart = start + 12;
  if (length < BATCH_HEADER_AFTER_LENGTH + 4) return null;
  const available = Math.max(0, buf.length - bodyStart);
  if (available < length) {
    fetchDecoder.offset = bodyStart + length;
    throw new KafkaJSPartialMessageError(`Tried to decode a partial record batch: remainingBytes(${available}) < recordBatchLength(${length})`);
  }
  const end = bodyStart + length;
  let o = bodyStart;
  const partitionLeaderEpoch = buf.readInt32BE(o);
  const magicByte = buf.readInt8(o + 4);
  if (magicByte !== 2) return null;
  const attributes = buf.readInt16BE(o + 9);
  const lastOffsetDelta = buf.readInt32BE(o + 11);
  const firstTimestampNum = readSafeInt64(buf, o + 15);
  const maxTimestampNum = readSafeInt64(buf, o + 23);
  const producerIdNum = readSafeInt64(buf, o + 31);
  if (Number.isNaN(firstOffsetNum) || Number.isNaN(firstTimestampNum) || Number.isNaN(maxTimestampNum) || Number.isNaN(producerIdNum)) return null;
  const producerEpoch = buf.readInt16BE(o + 39);
  const firstSequence = buf.readInt32BE(o + 41);
  o += BATCH_HEADER_AFTER_LENGTH;

  let codec: Codec | null;
  try {
    codec = Compression.lookupCodecByAttributes(attributes);
  } catch {
    return null;
  }
  const recordContext = {
    firstOffset: String(firstOffsetNum),
    firstTimestamp: String(firstTimestampNum),
    partitionLeaderEpoch,
    inTransaction: (attributes & TRANSACTIONAL_FLAG_MASK) > 0,
    isControlBatch: (attributes & CONTROL_FLAG_MASK) > 0,
    lastOffsetDelta,
    producerId: String(producerIdNum),
    producerEpoch,
    firstSequence,
    maxTimestamp: String(maxTimestampNum),
    timestampType: (attributes & TIMESTAMP_TYPE_FLAG_MASK) > 0 ? LOG_APPEND_TIME : CREATE_TIME,
  };
  const batchContext: BatchContext = { ...recordContext, magicByte };
  const count = buf.readInt32BE(o);
  o += 4;
  let records: DecodedRecord[];
  try {
    if (count < 0) return null;
    if (codec === null) records = decodeRecords(new Cursor(buf, o, end), count, batchContext, firstOffsetNum, firstTimestampNum);
    else if (count === 0) records = [];
    else {
      const plain = await codec.decompress(buf.subarray(o, end));
      records = decodeRecords(new Cursor(plain, 0, plain.length), count, batchContext, firstOffsetNum, firstTimestampNum);
    }
  } catch (e) {
    if (e === UNUSUAL) return null;
    throw e;
  }
  fetchDecoder.offset = end;
  return { ...recordContext, records };
}

export function createFastRecordBatchDecoder(original: RecordBatchDecoderFn): RecordBatchDecoderFn {
  return async function fastRecordBatchDecoder(fetchDecoder: KafkaDecoder): Promise<DecodedRecordBatch> {
    const start = fetchDecoder.offset;
    const fast = await decodeFast(fetchDecoder);
    if (fast !== null) return fast;
    fetchDecoder.offset = start;
    return original(fetchDecoder);
  };
}

// ---------------------------------------------------------------- patching

let original: RecordBatchDecoderFn | null = null;

/** kafkajs's own RecordBatch decoder (for comparison tests); null if the patch was not applied. */
export function originalRecordBatchDecoder(): RecordBatchDecoderFn | null {
  return original;
}

function apply(): boolean {
  try {
    if (require.cache[require.resolve(PATHS.decodeMessages)] !== undefined) return false; // too late: already bound
    const path = require.resolve(PATHS.decoder);
    const decoder = require(path) as unknown;
    if (typeof decoder !== 'function' || !String(decoder).includes('KafkaJSPartialMessageError')) return false;
    original = decoder as RecordBatchDecoderFn;
    require.cache[path]!.exports = createFastRecordBatchDecoder(original);
    return true;
  } catch {
    return false;
  }
}

export const fastRecordBatchDecoderApplied = apply();
