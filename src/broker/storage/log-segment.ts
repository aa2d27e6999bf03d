/**
 * One append-only segment file `<baseOffset>.log` holding record batches exactly
 * as received (baseOffset rewritten), plus its sparse OffsetIndex. Appends are
 * positional `writeSync`s, so an acknowledged batch is in the OS page cache and
 * survives `kill -9` of the process; `sync()` fdatasyncs it for power loss.
 */
import { closeSync, fdatasync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD, batchCrcMatches, readBatchHeader, type BatchHeader } from '../protocol/record-batch.js';
import { OffsetIndex } from './offset-index.js';

export const INDEX_INTERVAL_BYTES = 4096;

export function segmentFileName(baseOffset: bigint, ext: 'log' | 'index'): string {
  return `${baseOffset.toString().padStart(20, '0')}.${ext}`;
}

/** The result of scanning a segment at startup. */
export interface SegmentRecovery {
  /** Offset after the last whole batch, or null when the segment holds no batch. */
  nextOffset: bigint | null;
  /** Bytes cut off the end (a torn or corrupt tail). */
  truncatedBytes: number;
  /** Headers of every whole batch, in order (for producer-state rebuild). */
  headers: BatchHeader[];
}

export class LogSegment {
  size: number;
  private readonly fd: number;
  private bytesSinceIndex = 0;
  private readonly index: OffsetIndex;

  private constructor(readonly dir: string, readonly baseOffset: bigint, fd: number, index: OffsetIndex) {
    this.fd = fd;
    this.index = index;
    this.size = fstatSync(fd).size;
  }

  static open(dir: string, baseOffset: bigint): LogSegment {
    const fd = openSync(join(dir, segmentFileName(baseOffset, 'log')), 'a+');
    closeSync(fd);
    return new LogSegment(
      dir,
      baseOffset,
      openSync(join(dir, segmentFileName(baseOffset, 'log')), 'r+'),
      OffsetIndex.open(join(dir, segmentFileName(baseOffset, 'index'))),
    );
  }

  get path(): string {
    return join(this.dir, segmentFileName(this.baseOffset, 'log'));
  }

  /**
   * Scans every batch, verifying length and CRC-32C, rebuilds the sparse index and
   * truncates a torn or corrupt tail to the last whole batch.
   */
  recover(): SegmentRecovery {
    this.index.reset();
    this.bytesSinceIndex = 0;
    const headers: BatchHeader[] = [];
    let pos = 0;
    let nextOffset: bigint | null = null;
    const head = Buffer.allocUnsafe(BATCH_HEADER_BYTES);
    while (pos + BATCH_HEADER_BYTES <= this.size) {
      readSync(this.fd, head, 0, BATCH_HEADER_BYTES, pos);
      const h = readBatchHeader(head);
      if (h.magic !== 2 || h.size < BATCH_HEADER_BYTES || pos + h.size > this.size) break;
      const whole = this.read(pos, h.size);
      if (!batchCrcMatches(whole, 0, h.size)) break;
      if (nextOffset !== null && h.baseOffset !== nextOffset) break;
      this.maybeIndex(h.baseOffset, pos, h.size);
      headers.push(h);
      nextOffset = h.baseOffset + BigInt(h.lastOffsetDelta) + 1n;
      pos += h.size;
    }
    const truncatedBytes = this.size - pos;
    if (truncatedBytes > 0) {
      ftruncateSync(this.fd, pos);
      this.size = pos;
    }
    return { nextOffset, truncatedBytes, headers };
  }

  /** For a closed segment: true when its index file is usable as is (no scan needed). */
  hasUsableIndex(): boolean {
    return this.size === 0 || (this.index.entries > 0 && this.index.isConsistent(this.size));
  }

  private maybeIndex(baseOffset: bigint, position: number, size: number): void {
    if (this.index.entries === 0 || this.bytesSinceIndex >= INDEX_INTERVAL_BYTES) {
      this.index.append(Number(baseOffset - this.baseOffset), position);
      this.bytesSinceIndex = 0;
    }
    this.bytesSinceIndex += size;
  }

  /** Appends one batch whose baseOffset is already set. */
  append(batch: Buffer, baseOffset: bigint): void {
    const position = this.size;
    let written = 0;
    while (written < batch.length) written += writeSync(this.fd, batch, written, batch.length - written, position + written);
    this.size += batch.length;
    this.maybeIndex(baseOffset, position, batch.length);
  }

  read(position: number, length: number): Buffer {
    const len = Math.max(0, Math.min(length, this.size - position));
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const n = readSync(this.fd, buf, got, len - got, position + got);
      if (n === 0) break;
      got += n;
    }
    return got === len ? buf : buf.subarray(0, got);
  }

  /** Position of the last indexed batch at or before `offset`. */
  positionFor(offset: bigint): number {
    return offset <= this.baseOffset ? 0 : this.index.lookup(Number(offset - this.baseOffset));
  }

  /** baseOffset, total size and last offset of the batch at `position`. */
  batchAt(position: number): { baseOffset: bigint; size: number; lastOffset: bigint; maxTimestamp: bigint } {
    const h = this.read(position, 43);
    const baseOffset = h.readBigInt64BE(0);
    return {
      baseOffset,
      size: h.readInt32BE(8) + BATCH_LOG_OVERHEAD,
      lastOffset: baseOffset + BigInt(h.readInt32BE(23)),
      maxTimestamp: h.readBigInt64BE(35),
    };
  }

  sync(): Promise<void> {
    return new Promise((resolve, reject) => fdatasync(this.fd, (err) => (err ? reject(err) : resolve())));
  }

  close(): void {
    closeSync(this.fd);
    this.index.close();
  }
}
