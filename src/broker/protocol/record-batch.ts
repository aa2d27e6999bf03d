/**
 * RecordBatch v2 header access and produce-time validation. The broker stores
 * batches byte for byte and only rewrites baseOffset (bytes 0..7), which lies
 * outside the CRC, so neither records nor compressed payloads are touched.
 */
import { crc32c } from './crc32c.js';
import { ErrorCode, type ErrorCodeValue } from './error-codes.js';

export const BATCH_HEADER_BYTES = 61;
/** Bytes before batchLength's coverage starts: baseOffset (8) + batchLength (4). */
export const BATCH_LOG_OVERHEAD = 12;

export interface BatchHeader {
  baseOffset: bigint;
  /** Total size in bytes, batchLength + 12. */
  size: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export function readBatchHeader(buf: Buffer, at = 0): BatchHeader {
  return {
    baseOffset: buf.readBigInt64BE(at),
    size: buf.readInt32BE(at + 8) + BATCH_LOG_OVERHEAD,
    magic: buf.readInt8(at + 16),
    crc: buf.readUInt32BE(at + 17),
    attributes: buf.readInt16BE(at + 21),
    lastOffsetDelta: buf.readInt32BE(at + 23),
    baseTimestamp: buf.readBigInt64BE(at + 27),
    maxTimestamp: buf.readBigInt64BE(at + 35),
    producerId: buf.readBigInt64BE(at + 43),
    producerEpoch: buf.readInt16BE(at + 51),
    baseSequence: buf.readInt32BE(at + 53),
    recordCount: buf.readInt32BE(at + 57),
  };
}

export function setBaseOffset(buf: Buffer, baseOffset: bigint): void {
  buf.writeBigInt64BE(baseOffset, 0);
  buf.writeInt32BE(0, 12); // partitionLeaderEpoch: single node, epoch 0 (outside the CRC)
}

export function batchCrcMatches(buf: Buffer, at: number, size: number): boolean {
  return crc32c(buf, at + 21, at + size) === buf.readUInt32BE(at + 17);
}

export type BatchValidation = { ok: true; header: BatchHeader } | { ok: false; error: ErrorCodeValue; reason: string };

/** Validates the single batch of one partition in a Produce request (Kafka's LogValidator checks). */
export function validateProducedBatch(records: Buffer | null, maxBatchBytes: number): BatchValidation {
  if (records === null || records.length < BATCH_HEADER_BYTES) {
    return { ok: false, error: ErrorCode.INVALID_RECORD, reason: 'records shorter than a batch header' };
  }
  const header = readBatchHeader(records);
  if (header.magic !== 2) return { ok: false, error: ErrorCode.INVALID_RECORD, reason: `unsupported magic ${header.magic}` };
  if (header.size !== records.length) {
    return { ok: false, error: ErrorCode.INVALID_RECORD, reason: `batch length ${header.size} != ${records.length} bytes received (exactly one batch expected)` };
  }
  if (records.length > maxBatchBytes) {
    return { ok: false, error: ErrorCode.MESSAGE_TOO_LARGE, reason: `batch of ${records.length} bytes exceeds ${maxBatchBytes}` };
  }
  if (!batchCrcMatches(records, 0, header.size)) return { ok: false, error: ErrorCode.CORRUPT_MESSAGE, reason: 'CRC-32C mismatch' };
  if (header.recordCount <= 0 || header.lastOffsetDelta + 1 !== header.recordCount) {
    return { ok: false, error: ErrorCode.INVALID_RECORD, reason: 'record count does not match lastOffsetDelta' };
  }
  if ((header.attributes & 0x20) !== 0) return { ok: false, error: ErrorCode.INVALID_RECORD, reason: 'control batches are not accepted' };
  if (header.producerId >= 0n && header.baseSequence < 0) {
    return { ok: false, error: ErrorCode.INVALID_RECORD, reason: 'idempotent batch without a base sequence' };
  }
  return { ok: true, header };
}
