/**
 * Faster, byte-identical RecordBatch v2 encoding for kafkajs 2.2.4 produce requests.
 *
 * kafkajs builds every record with its growable `Encoder` (a buffer per record and
 * one per header, `Buffer.from([...])` per varint, long.js for the timestamp
 * varlong), copies the records again into the batch body, the body into the batch
 * and the batch into the result, and checksums with a byte-at-a-time CRC-32C.
 * Here `Record` only measures (size first) and `RecordBatch` writes the whole
 * batch into one exactly sized buffer, with plain-number zig-zag varints (long.js
 * only when a timestamp delta is beyond +-2^52) and a slicing-by-8 CRC-32C.
 * Anything unusual (key/value/header types kafkajs itself mishandles, foreign
 * record encoders) goes through kafkajs's own code, so behaviour stays identical.
 *
 * Applied like the other kafkajs patches: by replacing the exports of
 * `protocol/recordBatch/record/v0` and `protocol/recordBatch/v0` in Node's module
 * cache before kafkajs's produce request module (loaded lazily) binds them. It must
 * be imported before 'kafkajs' is used (src/bus/kafka-client.ts imports it first).
 * See docs/decisions.md ("bus: single-buffer RecordBatch encoding for kafkajs").
 */
import { createRequire } from 'node:module';
import { crc32c } from '../broker/protocol/crc32c.js';

const require = createRequire(import.meta.url);

/** The parts of kafkajs's Encoder this file relies on. */
interface KafkaEncoder {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
  size(): number;
  writeVarLong(value: unknown): KafkaEncoder;
}
type EncoderClass = new (initialSize?: number) => KafkaEncoder;
interface LongLike {
  getHighBits(): number;
  getLowBits(): number;
}
interface LongModule {
  fromValue(value: unknown): LongLike;
  fromInt(value: number): LongLike;
}
interface Codec {
  compress(encoder: KafkaEncoder): Promise<Buffer>;
}
interface CompressionModule {
  Types: { None: number };
  lookupCodec(type: number): Codec | null;
  COMPRESSION_CODEC_MASK: number;
}

export type HeaderValue = Buffer | string;
export interface RecordArgs {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  headers?: Record<string, HeaderValue | HeaderValue[]>;
}
export interface RecordBatchArgs {
  compression?: number;
  firstOffset?: unknown;
  firstTimestamp?: unknown;
  maxTimestamp?: unknown;
  partitionLeaderEpoch?: number;
  lastOffsetDelta?: number;
  transactional?: boolean;
  producerId?: unknown;
  producerEpoch?: number;
  firstSequence?: number;
  records?: unknown[];
}
export type RecordFn = (args: RecordArgs) => unknown;
export type RecordBatchFn = (args: RecordBatchArgs) => Promise<KafkaEncoder>;

const PATHS = {
  encoder: 'kafkajs/src/protocol/encoder.js',
  long: 'kafkajs/src/utils/long.js',
  compression: 'kafkajs/src/protocol/message/compression/index.js',
  record: 'kafkajs/src/protocol/recordBatch/record/v0/index.js',
  recordBatch: 'kafkajs/src/protocol/recordBatch/v0/index.js',
  produceRequest: 'kafkajs/src/protocol/requests/produce/v3/request.js',
} as const;

const Encoder = require(PATHS.encoder) as EncoderClass;
const Long = require(PATHS.long) as LongModule;
const Compression = require(PATHS.compression) as CompressionModule;

// CRC-32C (Castagnoli), slicing-by-8: the broker's implementation (one copy for both sides of the protocol).
export { crc32c };

// ---------------------------------------------------------------- varints (kafkajs semantics)

/** Bytes of kafkajs's 32-bit zig-zag varint (same int32 coercion as Encoder.writeVarInt). */
function sizeOfVarInt(value: number): number {
  let z = (value << 1) ^ (value >> 31);
  let bytes = 1;
  while ((z & 0xffffff80) !== 0) {
    bytes++;
    z >>>= 7;
  }
  return bytes;
}

function writeVarInt(buf: Buffer, offset: number, value: number): number {
  let z = (value << 1) ^ (value >> 31);
  while ((z & 0xffffff80) !== 0) {
    buf[offset++] = (z & 0x7f) | 0x80;
    z >>>= 7;
  }
  buf[offset++] = z & 0x7f;
  return offset;
}

const SAFE_VARLONG = 2 ** 52;

/** Zig-zag of a plain-number varlong, or -1 when the value needs long.js (kafkajs's path). */
function zigZag64(value: number): number {
  if (!Number.isSafeInteger(value) || value >= SAFE_VARLONG || value < -SAFE_VARLONG) return -1;
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

function sizeOfUnsignedVarLong(z: number): number {
  let bytes = 1;
  while (z >= 128) {
    bytes++;
    z = Math.floor(z / 128);
  }
  return bytes;
}

function writeUnsignedVarLong(buf: Buffer, offset: number, z: number): number {
  while (z >= 128) {
    buf[offset++] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  buf[offset++] = z;
  return offset;
}

// ---------------------------------------------------------------- records

/**
 * One record, measured but not yet written. Also behaves as a kafkajs Encoder
 * (`buf`, `buffer`, `size()`) so that kafkajs code handed one still works.
 */
export class MeasuredRecord {
  /** Encoded length including the leading length varint. */
  readonly size_: number;
  private encoded: Buffer | null = null;

  constructor(
    private readonly bodySize: number,
    private readonly offsetDelta: number,
    /** Zig-zagged timestampDelta, or the bytes of kafkajs's long.js varlong. */
    private readonly timestampZigZag: number | Buffer,
    private readonly key: Buffer | string | null | undefined,
    private readonly keySize: number,
    private readonly value: Buffer | string | null | undefined,
    private readonly valueSize: number,
    private readonly headers: ReadonlyArray<readonly [string, HeaderValue]>,
  ) {
    this.size_ = sizeOfVarInt(bodySize) + bodySize;
  }

  writeTo(buf: Buffer, offset: number): number {
    let o = writeVarInt(buf, offset, this.bodySize);
    buf[o++] = 0; // attributes
    const ts = this.timestampZigZag;
    if (typeof ts === 'number') o = writeUnsignedVarLong(buf, o, ts);
    else o += ts.copy(buf, o);
    o = writeVarInt(buf, o, this.offsetDelta);
    o = writeBytesField(buf, o, this.key, this.keySize);
    o = writeBytesField(buf, o, this.value, this.valueSize);
    o = writeVarInt(buf, o, this.headers.length);
    for (const [hk, hv] of this.headers) {
      const kl = Buffer.byteLength(hk, 'utf8');
      o = writeVarInt(buf, o, kl);
      o += buf.write(hk, o, kl, 'utf8');
      o = writeBytesField(buf, o, hv, typeof hv === 'string' ? Buffer.byteLength(hv, 'utf8') : hv.length);
    }
    return o;
  }

  get buf(): Buffer {
    if (this.encoded === null) {
      const b = Buffer.alloc(this.size_);
      this.writeTo(b, 0);
      this.encoded = b;
    }
    return this.encoded;
  }

  get buffer(): Buffer {
    return this.buf;
  }

  size(): number {
    return this.size_;
  }
}

/** A record kafkajs's own Record encoded (unusual inputs); kept as its bytes. */
class RawRecord {
  constructor(readonly buf: Buffer) {}
  get buffer(): Buffer {
    return this.buf;
  }
  size(): number {
    return this.buf.length;
  }
}

function writeBytesField(buf: Buffer, offset: number, value: Buffer | string | null | undefined, size: number): number {
  if (value == null) return writeVarInt(buf, offset, -1);
  const o = writeVarInt(buf, offset, size);
  if (typeof value === 'string') return o + buf.write(value, o, size, 'utf8');
  // the record was measured with this value: it fits (TypedArray#set skips Buffer#copy's argument handling)
  buf.set(value, o);
  return o + size;
}

function sizeOfBytesField(value: Buffer | string | null | undefined): number {
  if (value == null) return -1;
  return typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.length;
}

function isBytesLike(value: unknown): value is Buffer | string | null | undefined {
  return value == null || typeof value === 'string' || Buffer.isBuffer(value);
}

function isHeaderValue(value: unknown): value is HeaderValue {
  return typeof value === 'string' || Buffer.isBuffer(value);
}

/** No headers (shared: records without headers allocate nothing for them). */
const NO_HEADERS: ReadonlyArray<readonly [string, HeaderValue]> = Object.freeze([]);

/** Flattened headers in kafkajs's order (undefined is kafkajs's default `{}`), or null when kafkajs's own path must handle them. */
function flattenHeaders(headers: unknown): ReadonlyArray<readonly [string, HeaderValue]> | null {
  if (headers === undefined) return NO_HEADERS;
  if (headers === null || typeof headers !== 'object') return null;
  let out: Array<[string, HeaderValue]> | null = null;
  const h = headers as Record<string, unknown>;
  for (const k of Object.keys(h)) {
    const v = h[k];
    out ??= [];
    if (Array.isArray(v)) {
      for (const e of v as unknown[]) {
        if (!isHeaderValue(e)) return null;
        out.push([k, e]);
      }
    } else if (isHeaderValue(v)) out.push([k, v]);
    else return null;
  }
  return out ?? NO_HEADERS;
}

export function createFastRecord(originalRecord: RecordFn): RecordFn {
  return function fastRecord(args: RecordArgs): unknown {
    const { offsetDelta = 0, timestampDelta = 0, key, value, headers } = args;
    const flat = typeof offsetDelta === 'number' && typeof timestampDelta === 'number' && isBytesLike(key) && isBytesLike(value) ? flattenHeaders(headers) : null;
    if (flat === null) return new RawRecord((originalRecord(args) as KafkaEncoder).buffer);

    let ts: number | Buffer = zigZag64(timestampDelta);
    let tsSize: number;
    if (ts >= 0) tsSize = sizeOfUnsignedVarLong(ts);
    else {
      ts = new Encoder(16).writeVarLong(timestampDelta).buffer;
      tsSize = ts.length;
    }
    const keySize = sizeOfBytesField(key);
    const valueSize = sizeOfBytesField(value);
    let size = 1 + tsSize + sizeOfVarInt(offsetDelta) + sizeOfVarInt(keySize) + Math.max(keySize, 0) + sizeOfVarInt(valueSize) + Math.max(valueSize, 0);
    size += sizeOfVarInt(flat.length);
    for (const [hk, hv] of flat) {
      const kl = Buffer.byteLength(hk, 'utf8');
      const vl = typeof hv === 'string' ? Buffer.byteLength(hv, 'utf8') : hv.length;
      size += sizeOfVarInt(kl) + kl + sizeOfVarInt(vl) + vl;
    }
    return new MeasuredRecord(size, offsetDelta, ts, key, keySize, value, valueSize, flat);
  };
}

// ---------------------------------------------------------------- record batch

const MAGIC_BYTE = 2;
const TRANSACTIONAL_MASK = 16;
/** attributes(2) lastOffsetDelta(4) firstTimestamp(8) maxTimestamp(8) producerId(8) producerEpoch(2) firstSequence(4) count(4) */
const BODY_HEADER = 40;
/** firstOffset(8) length(4) partitionLeaderEpoch(4) magic(1) crc(4) */
const BATCH_PREFIX = 21;

function writeInt64(buf: Buffer, offset: number, value: unknown): void {
  const l = Long.fromValue(value);
  buf.writeInt32BE(l.getHighBits(), offset);
  buf.writeInt32BE(l.getLowBits(), offset + 4);
}

type Sized = { size(): number; buf: Buffer };

function writeRecords(records: readonly Sized[], buf: Buffer, offset: number): number {
  let o = offset;
  for (const r of records) {
    if (r instanceof MeasuredRecord) o = r.writeTo(buf, o);
    else o += r.buf.copy(buf, o, 0, r.size());
  }
  return o;
}

function isEncoderLike(r: unknown): r is Sized {
  return r instanceof MeasuredRecord || r instanceof RawRecord;
}

/** A batch's records, however they are held: how many, their encoded size, and how to write them. */
interface RecordsSection {
  count: number;
  size: number;
  write(buf: Buffer, offset: number): number;
}

/** The RecordBatch of `records` with kafkajs's header fields (args.records is not read). */
async function encodeBatch(args: RecordBatchArgs, records: RecordsSection): Promise<KafkaEncoder> {
  const {
    compression = Compression.Types.None,
    firstOffset = Long.fromInt(0),
    firstTimestamp = Date.now(),
    maxTimestamp = Date.now(),
    partitionLeaderEpoch = 0,
    lastOffsetDelta = 0,
    transactional = false,
    producerId = Long.fromValue(-1),
    producerEpoch = 0,
    firstSequence = 0,
  } = args;
  const attributes = (compression & Compression.COMPRESSION_CODEC_MASK) | (transactional ? TRANSACTIONAL_MASK : 0);

  const recordsSize = records.size;
  let compressed: Buffer | null = null;
  if (compression !== Compression.Types.None) {
    const codec = Compression.lookupCodec(compression);
    const plain = Buffer.allocUnsafe(recordsSize);
    records.write(plain, 0);
    const enc = new Encoder(0);
    enc.buf = plain;
    enc.offset = plain.length;
    compressed = await codec!.compress(enc);
    if (!Buffer.isBuffer(compressed)) throw new Error('value should be an instance of Buffer');
  }
  const payloadSize = compressed === null ? recordsSize : compressed.length;
  const total = BATCH_PREFIX + BODY_HEADER + payloadSize;
  const buf = Buffer.allocUnsafe(total);

  writeInt64(buf, 0, firstOffset);
  buf.writeInt32BE(total - 12, 8);
  buf.writeInt32BE(partitionLeaderEpoch, 12);
  buf.writeInt8(MAGIC_BYTE, 16);
  const body = BATCH_PREFIX;
  buf.writeInt16BE(attributes, body);
  buf.writeInt32BE(lastOffsetDelta, body + 2);
  writeInt64(buf, body + 6, firstTimestamp);
  writeInt64(buf, body + 14, maxTimestamp);
  writeInt64(buf, body + 22, producerId);
  buf.writeInt16BE(producerEpoch, body + 30);
  buf.writeInt32BE(firstSequence, body + 32);
  buf.writeInt32BE(records.count, body + 36);
  let end: number;
  if (compressed === null) end = records.write(buf, body + BODY_HEADER);
  else end = body + BODY_HEADER + compressed.copy(buf, body + BODY_HEADER);
  if (end !== total) throw new Error(`fast RecordBatch size mismatch: wrote ${end} of ${total} bytes`);
  buf.writeUInt32BE(crc32c(buf, body, total), 17);

  const out = new Encoder(0);
  out.buf = buf;
  out.offset = total;
  return out;
}

/** The fast RecordBatch functions made here: a caller holding one may use plainRecordBatch instead. */
const fastRecordBatches = new WeakSet<RecordBatchFn>();

export function createFastRecordBatch(originalRecordBatch: RecordBatchFn): RecordBatchFn {
  const fastRecordBatch = async (args: RecordBatchArgs): Promise<KafkaEncoder> => {
    const records = args.records ?? [];
    if (!records.every(isEncoderLike)) return originalRecordBatch(args);
    let size = 0;
    for (const r of records) size += r.size();
    return encodeBatch(args, { count: records.length, size, write: (buf, offset) => writeRecords(records, buf, offset) });
  };
  fastRecordBatches.add(fastRecordBatch);
  return fastRecordBatch;
}

/** Whether `RecordBatch` is one of this file's fast functions (so plainRecordBatch writes what it would). */
export function isFastRecordBatch(RecordBatch: unknown): boolean {
  return fastRecordBatches.has(RecordBatch as RecordBatchFn);
}

/** Batches plainRecordBatch has written (tests check that the sealed path takes it). */
export let plainBatches = 0;

/** A produce message with a Buffer key and value, no headers and no timestamp of its own. */
export interface PlainMessage {
  key: Buffer;
  value: Buffer;
}

/** Varint size and body size of plain record i: attributes, timestamp delta 0, offset delta i, key, value, no headers. */
function plainBodySize(i: number, keySize: number, valueSize: number): number {
  return 3 + sizeOfVarInt(i) + sizeOfVarInt(keySize) + keySize + sizeOfVarInt(valueSize) + valueSize;
}

/**
 * The RecordBatch kafkajs writes for plain messages, all stamped `args.firstTimestamp` (their
 * timestamp deltas are 0): the bytes Record + RecordBatch give, with no object per record.
 * For the sealed chunks of `k2 stream binance` and `k2 load asx`, where a MeasuredRecord, its
 * arguments and their iterators were most of the producer's garbage.
 */
export function plainRecordBatch(args: RecordBatchArgs, messages: readonly PlainMessage[]): Promise<KafkaEncoder> {
  plainBatches++;
  let size = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const body = plainBodySize(i, m.key.length, m.value.length);
    size += sizeOfVarInt(body) + body;
  }
  return encodeBatch(args, { count: messages.length, size, write: (buf, offset) => writePlainRecords(messages, buf, offset) });
}

function writePlainRecords(messages: readonly PlainMessage[], buf: Buffer, offset: number): number {
  let o = offset;
  for (let i = 0; i < messages.length; i++) {
    const { key, value } = messages[i]!;
    const k = key.length;
    const v = value.length;
    o = writeVarInt(buf, o, plainBodySize(i, k, v));
    buf[o++] = 0; // attributes
    buf[o++] = 0; // timestamp delta
    o = writeVarInt(buf, o, i);
    o = writeVarInt(buf, o, k);
    if (k > 16) buf.set(key, o);
    else for (let j = 0; j < k; j++) buf[o + j] = key[j]!;
    o = writeVarInt(buf, o + k, v);
    buf.set(value, o);
    o += v;
    buf[o++] = 0; // no headers
  }
  return o;
}

// ---------------------------------------------------------------- patching

export interface KafkajsRecordEncoding {
  Record: RecordFn;
  RecordBatch: RecordBatchFn;
}

let originals: KafkajsRecordEncoding | null = null;

/** kafkajs's own Record and RecordBatch (for comparison tests); null if the patch was not applied. */
export function originalRecordEncoding(): KafkajsRecordEncoding | null {
  return originals;
}

function apply(): boolean {
  try {
    if (require.cache[require.resolve(PATHS.produceRequest)] !== undefined) return false; // too late: already bound
    const recordPath = require.resolve(PATHS.record);
    const batchPath = require.resolve(PATHS.recordBatch);
    const Record = require(recordPath) as unknown;
    const batchModule = require(batchPath) as { RecordBatch?: unknown; MAGIC_BYTE?: unknown };
    const RecordBatch = batchModule.RecordBatch;
    if (typeof Record !== 'function' || !String(Record).includes('sizeOfHeaders')) return false;
    if (typeof RecordBatch !== 'function' || !String(RecordBatch).includes('crc32C') || batchModule.MAGIC_BYTE !== MAGIC_BYTE) return false;
    originals = { Record: Record as RecordFn, RecordBatch: RecordBatch as RecordBatchFn };
    require.cache[recordPath]!.exports = createFastRecord(originals.Record);
    batchModule.RecordBatch = createFastRecordBatch(originals.RecordBatch);
    return true;
  } catch {
    return false;
  }
}

export const fastRecordBatchApplied = apply();
