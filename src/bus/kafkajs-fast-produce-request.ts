/**
 * kafkajs 2.2.4's Produce request (v3, which v4-v7 reuse) builds every record
 * from `{ ...message, offsetDelta, timestampDelta }`. An object spread followed by
 * more properties takes V8's slow path: 1-3 us per message, the largest single
 * producer cost once records are encoded fast (kafkajs-fast-record-batch.ts). It
 * then copies each batch into a per-partition Encoder, those into a per-topic one
 * and those into the request.
 *
 * Here each record's arguments are built directly as { key, value, headers,
 * offsetDelta, timestampDelta } - the only fields kafkajs's Record reads - for
 * messages that are plain objects (spread copies own properties only, so other
 * messages keep the spread), and the request body is written once into an exactly
 * sized buffer. Everything else is kafkajs's: the same Record and RecordBatch
 * functions (as bound in Node's module cache), the same timestamp choice
 * (including its lexicographic sort), the same sequential per-partition encoding
 * and the same request fields. Tested byte for byte against kafkajs's request.
 *
 * Applied like the other kafkajs patches: the export of
 * `protocol/requests/produce/v3/request` is replaced in Node's module cache before
 * the later versions (loaded lazily on the first produce) bind it. Must be
 * imported after kafkajs-fast-record-batch.ts and before 'kafkajs'
 * (src/bus/kafka-client.ts does). See docs/decisions.md ("bus: single-buffer
 * Produce request for kafkajs").
 */
import { createRequire } from 'node:module';
// Record and RecordBatch must be patched before the Produce v3 module binds them.
import { isFastRecordBatch, plainRecordBatch, type PlainMessage, type RecordBatchArgs } from './kafkajs-fast-record-batch.js';

const require = createRequire(import.meta.url);

interface KafkaEncoder {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
  size(): number;
}
type EncoderClass = new (initialSize?: number) => KafkaEncoder;
interface LongModule {
  fromInt(value: number): unknown;
}
export interface ProduceMessage {
  key?: unknown;
  value?: unknown;
  headers?: unknown;
  timestamp?: unknown;
  partition?: unknown;
}
export interface ProduceRequestArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  compression?: number;
  topicData: Array<{ topic: string; partitions: Array<{ partition: number; firstSequence?: number; messages: ProduceMessage[] }> }>;
}
export interface ProduceRequest {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  expectResponse: () => boolean;
  encode: () => Promise<KafkaEncoder>;
}
export type ProduceRequestFn = (args: ProduceRequestArgs) => ProduceRequest;
type RecordFn = (args: Record<string, unknown>) => unknown;
type RecordBatchFn = (args: Record<string, unknown>) => Promise<KafkaEncoder>;

const PATHS = {
  encoder: 'kafkajs/src/protocol/encoder.js',
  long: 'kafkajs/src/utils/long.js',
  compression: 'kafkajs/src/protocol/message/compression/index.js',
  record: 'kafkajs/src/protocol/recordBatch/record/v0/index.js',
  recordBatch: 'kafkajs/src/protocol/recordBatch/v0/index.js',
  v3: 'kafkajs/src/protocol/requests/produce/v3/request.js',
  later: ['v4', 'v5', 'v6', 'v7'].map((v) => `kafkajs/src/protocol/requests/produce/${v}/request.js`),
  request: 'kafkajs/src/protocol/request.js',
  connection: 'kafkajs/src/network/connection.js',
} as const;

const Encoder = require(PATHS.encoder) as EncoderClass;
const Long = require(PATHS.long) as LongModule;
const { Types } = require(PATHS.compression) as { Types: { None: number } };

/** The arguments kafkajs's Record receives for message i: what `{ ...message, offsetDelta, timestampDelta }` gives it. */
function recordArgs(message: ProduceMessage, offsetDelta: number, timestampDelta: number): Record<string, unknown> {
  if (Object.getPrototypeOf(message) === Object.prototype) return { key: message.key, value: message.value, headers: message.headers, offsetDelta, timestampDelta };
  return { ...message, offsetDelta, timestampDelta };
}

/**
 * Whether every message is a plain object whose only fields kafkajs reads are a Buffer key and
 * value (no headers, no timestamp): what Record would encode as plainRecordBatch does.
 */
function allPlain(messages: readonly ProduceMessage[]): messages is PlainMessage[] {
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (Object.getPrototypeOf(m) !== Object.prototype || m.headers !== undefined || m.timestamp != null || !Buffer.isBuffer(m.key) || !Buffer.isBuffer(m.value)) return false;
  }
  return true;
}

async function encodePartition(
  Record: RecordFn,
  RecordBatch: RecordBatchFn,
  compression: number,
  p: { messages: ProduceMessage[]; firstSequence?: number },
  transactionalId: string | null | undefined,
  producerId: unknown,
  producerEpoch: number,
): Promise<KafkaEncoder> {
  const dateNow = Date.now();
  const messages = p.messages;
  if (isFastRecordBatch(RecordBatch) && allPlain(messages)) {
    // no timestamps: kafkajs stamps them all Date.now(), deltas 0
    const args: RecordBatchArgs = { compression, firstTimestamp: dateNow, maxTimestamp: dateNow, producerId, producerEpoch, firstSequence: p.firstSequence, transactional: !!transactionalId, lastOffsetDelta: messages.length - 1 };
    return plainRecordBatch(args, messages);
  }
  const stamps = messages
    .map((m) => m.timestamp)
    .filter((t) => t != null)
    .sort();
  const timestamps = stamps.length === 0 ? [dateNow] : stamps;
  const firstTimestamp = timestamps[0] as number;
  const maxTimestamp = timestamps[timestamps.length - 1];
  const records = new Array<unknown>(messages.length);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    records[i] = Record(recordArgs(m, i, (((m.timestamp as number) || dateNow) as number) - firstTimestamp));
  }
  return RecordBatch({
    compression,
    records,
    firstTimestamp,
    maxTimestamp,
    producerId,
    producerEpoch,
    firstSequence: p.firstSequence,
    transactional: !!transactionalId,
    lastOffsetDelta: records.length - 1,
  });
}

function isPlainRequest(args: ProduceRequestArgs): boolean {
  const tid = args.transactionalId;
  if (tid != null && typeof tid !== 'string') return false;
  if (!Array.isArray(args.topicData)) return false;
  for (const t of args.topicData) {
    if (typeof t?.topic !== 'string' || !Array.isArray(t.partitions)) return false;
    for (const p of t.partitions) if (!Array.isArray(p?.messages)) return false;
  }
  return true;
}

export function createFastProduceRequest(original: ProduceRequestFn, Record: RecordFn, RecordBatch: RecordBatchFn): ProduceRequestFn {
  return function fastProduceRequest(args: ProduceRequestArgs): ProduceRequest {
    const request = original(args);
    if (!isPlainRequest(args)) return request;
    const { acks, timeout, transactionalId = null, producerId = Long.fromInt(-1), producerEpoch = 0, compression = Types.None, topicData } = args;
    request.encode = async () => {
      // kafkajs encodes partitions one after another (compression is async); so does this.
      const encoded: Array<Array<{ partition: number; batch: KafkaEncoder }>> = [];
      let size = 2 + (transactionalId == null ? 0 : Buffer.byteLength(transactionalId, 'utf8')) + 2 + 4 + 4;
      for (const t of topicData) {
        const parts: Array<{ partition: number; batch: KafkaEncoder }> = [];
        size += 2 + Buffer.byteLength(t.topic, 'utf8') + 4;
        for (const p of t.partitions) {
          const batch = await encodePartition(Record, RecordBatch, compression, p, transactionalId, producerId, producerEpoch);
          parts.push({ partition: p.partition, batch });
          size += 8 + batch.size();
        }
        encoded.push(parts);
      }
      // room in front for the request header (see fastCreateRequest: no copy of the body to frame it)
      const whole = Buffer.allocUnsafe(FRAME_HEADROOM + size);
      const buf = whole.subarray(FRAME_HEADROOM);
      let o = 0;
      if (transactionalId == null) o = buf.writeInt16BE(-1, o);
      else {
        const n = Buffer.byteLength(transactionalId, 'utf8');
        o = buf.writeInt16BE(n, o);
        o += buf.write(transactionalId, o, n, 'utf8');
      }
      o = buf.writeInt16BE(acks, o);
      o = buf.writeInt32BE(timeout, o);
      o = buf.writeInt32BE(topicData.length, o);
      topicData.forEach((t, ti) => {
        const n = Buffer.byteLength(t.topic, 'utf8');
        o = buf.writeInt16BE(n, o);
        o += buf.write(t.topic, o, n, 'utf8');
        const parts = encoded[ti]!;
        o = buf.writeInt32BE(parts.length, o);
        for (const { partition, batch } of parts) {
          const bytes = batch.size();
          o = buf.writeInt32BE(partition, o);
          o = buf.writeInt32BE(bytes, o);
          o += batch.buf.copy(buf, o, 0, bytes);
        }
      });
      if (o !== size) throw new Error(`fast Produce request size mismatch: wrote ${o} of ${size} bytes`);
      const out = new Encoder(0);
      out.buf = buf;
      out.offset = size;
      headroom.set(out, whole);
      return out;
    };
    return request;
  };
}

// ---------------------------------------------------------------- request framing

/** Bytes reserved before a fast Produce body for the frame header (size, api key/version, correlation id, client id). */
const FRAME_HEADROOM = 256;
/** Fast Produce bodies and the buffer they are a view of (starting FRAME_HEADROOM bytes earlier). */
const headroom = new WeakMap<KafkaEncoder, Buffer>();

export interface CreateRequestArgs {
  correlationId: number;
  clientId?: string | null;
  request: { apiKey: number; apiVersion: number; encode: () => Promise<KafkaEncoder> };
}
export type CreateRequestFn = (args: CreateRequestArgs) => Promise<KafkaEncoder>;

/**
 * kafkajs's protocol/request.js frames a request as int32 size, int16 apiKey, int16
 * apiVersion, int32 correlationId, string clientId, body - by copying the body into a
 * growing Encoder and that into another (two copies of every produced byte, plus the
 * growth). Here the same bytes are written once: in front of a fast Produce body in the
 * room reserved for it (no copy at all), else into one exactly sized buffer.
 */
export function createFastRequest(original: CreateRequestFn): CreateRequestFn {
  return async function fastCreateRequest(args: CreateRequestArgs): Promise<KafkaEncoder> {
    const { correlationId, clientId, request } = args;
    if (clientId != null && typeof clientId !== 'string') return original(args);
    const payload = await request.encode();
    if (payload == null || !Buffer.isBuffer(payload.buf)) return original({ ...args, request: { ...request, encode: async () => payload } });
    const idBytes = clientId == null ? 0 : Buffer.byteLength(clientId, 'utf8');
    const header = 4 + 2 + 2 + 4 + 2 + idBytes;
    const bodyBytes = payload.offset;
    const whole = headroom.get(payload);
    let buf: Buffer;
    let body: number;
    if (whole !== undefined && header <= FRAME_HEADROOM && payload.buf.byteOffset === whole.byteOffset + FRAME_HEADROOM) {
      buf = whole.subarray(FRAME_HEADROOM - header, FRAME_HEADROOM + bodyBytes);
      body = -1;
    } else {
      buf = Buffer.allocUnsafe(header + bodyBytes);
      body = header;
    }
    buf.writeInt32BE(header - 4 + bodyBytes, 0);
    buf.writeInt16BE(request.apiKey, 4);
    buf.writeInt16BE(request.apiVersion, 6);
    buf.writeInt32BE(correlationId, 8);
    if (clientId == null) buf.writeInt16BE(-1, 12);
    else {
      buf.writeInt16BE(idBytes, 12);
      buf.write(clientId, 14, idBytes, 'utf8');
    }
    if (body >= 0) buf.set(payload.buf.subarray(0, bodyBytes), body);
    const out = new Encoder(0);
    out.buf = buf;
    out.offset = buf.length;
    return out;
  };
}

// ---------------------------------------------------------------- patching

let original: ProduceRequestFn | null = null;
let originalRequest: CreateRequestFn | null = null;

/** kafkajs's own protocol/request.js (for comparison tests); null if the patch was not applied. */
export function originalCreateRequest(): CreateRequestFn | null {
  return originalRequest;
}

/** kafkajs's own Produce v3 request (for comparison tests); null if the patch was not applied. */
export function originalProduceRequest(): ProduceRequestFn | null {
  return original;
}

function apply(): boolean {
  try {
    if (PATHS.later.some((p) => require.cache[require.resolve(p)] !== undefined)) return false; // too late: already bound
    const path = require.resolve(PATHS.v3);
    const request = require(path) as unknown;
    if (typeof request !== 'function' || !String(request).includes('topicEncoder')) return false;
    const Record = require(PATHS.record) as RecordFn;
    const { RecordBatch } = require(PATHS.recordBatch) as { RecordBatch: RecordBatchFn };
    original = request as ProduceRequestFn;
    require.cache[path]!.exports = createFastProduceRequest(original, Record, RecordBatch);
    return true;
  } catch {
    return false;
  }
}

export const fastProduceRequestApplied = apply();

function applyFraming(): boolean {
  try {
    if (require.cache[require.resolve(PATHS.connection)] !== undefined) return false; // too late: already bound
    const path = require.resolve(PATHS.request);
    const fn = require(path) as unknown;
    if (typeof fn !== 'function' || !String(fn).includes('requestPayload.size()')) return false;
    originalRequest = fn as CreateRequestFn;
    require.cache[path]!.exports = createFastRequest(originalRequest);
    return true;
  } catch {
    return false;
  }
}

export const fastRequestFramingApplied = applyFraming();
