/**
 * The log of one topic-partition: an ordered list of LogSegments under
 * `<data-dir>/broker/topics/<topic>/<partition>/`, the log end offset (high
 * watermark; there is one replica, so every appended batch is committed), group
 * commit of fdatasync for acks=-1, and append notifications for long-polling Fetch.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../log/logger.js';
import { setBaseOffset, type BatchHeader } from '../protocol/record-batch.js';
import { LogSegment } from './log-segment.js';

/** fsync of a directory, so newly created files in it survive a power loss. */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export interface PartitionLogOptions {
  segmentBytes: number;
}

export class PartitionLog {
  private segments: LogSegment[] = [];
  logStartOffset = 0n;
  logEndOffset = 0n;
  private readonly listeners = new Set<() => void>();
  private flushing: Promise<void> | null = null;
  private flushQueued: Promise<void> | null = null;
  /** Segments written since their last fdatasync. */
  private readonly dirty = new Set<LogSegment>();

  private constructor(readonly topic: string, readonly partition: number, readonly dir: string, private readonly opts: PartitionLogOptions) {}

  /**
   * Opens a partition directory. Closed segments trust their index file; the
   * active (last) segment is scanned, CRC-checked and truncated after its last
   * whole batch. Returns the headers scanned so producer state can be rebuilt.
   */
  static open(topic: string, partition: number, dir: string, opts: PartitionLogOptions, logger: Logger): { log: PartitionLog; recovered: BatchHeader[] } {
    mkdirSync(dir, { recursive: true });
    const log = new PartitionLog(topic, partition, dir, opts);
    const fresh = readdirSync(dir).length === 0;
    const bases = readdirSync(dir)
      .filter((f) => /^\d{20}\.log$/.test(f))
      .map((f) => BigInt(f.slice(0, 20)))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (bases.length === 0) bases.push(0n);
    let recovered: BatchHeader[] = [];
    bases.forEach((base, i) => {
      const seg = LogSegment.open(dir, base);
      const last = i === bases.length - 1;
      if (last || !seg.hasUsableIndex()) {
        const r = seg.recover();
        if (r.truncatedBytes > 0) {
          logger.warn('broker: truncated torn tail of log segment', { topic, partition, segment: seg.path, bytes: r.truncatedBytes });
        }
        if (last) {
          recovered = r.headers;
          log.logEndOffset = r.nextOffset ?? base;
        }
      }
      log.segments.push(seg);
    });
    log.logStartOffset = log.segments[0]!.baseOffset;
    if (fresh) {
      syncDirectory(dir);
      syncDirectory(join(dir, '..'));
      syncDirectory(join(dir, '..', '..'));
    }
    return { log, recovered };
  }

  get highWatermark(): bigint {
    return this.logEndOffset;
  }

  /** Assigns offsets to a validated batch, appends it, and returns its base offset. */
  append(batch: Buffer, header: BatchHeader): bigint {
    const base = this.logEndOffset;
    setBaseOffset(batch, base);
    let active = this.segments[this.segments.length - 1]!;
    if (active.size > 0 && active.size + batch.length > this.opts.segmentBytes) {
      active = LogSegment.open(this.dir, base);
      this.segments.push(active);
      syncDirectory(this.dir); // the new file's directory entry must be durable too
    }
    active.append(batch, base);
    this.logEndOffset = base + BigInt(header.lastOffsetDelta) + 1n;
    this.dirty.add(active);
    for (const l of [...this.listeners]) l();
    return base;
  }

  /** fdatasync of everything appended so far; concurrent callers share one fsync (group commit). */
  flush(): Promise<void> {
    if (this.flushing === null) {
      const segs = [...this.dirty];
      this.dirty.clear();
      this.flushing = Promise.all(segs.map((s) => s.sync()))
        .then(() => undefined)
        .finally(() => {
          this.flushing = null;
        });
      return this.flushing;
    }
    if (this.flushQueued === null) {
      this.flushQueued = this.flushing.then(() => {
        this.flushQueued = null;
        return this.dirty.size > 0 ? this.flush() : undefined;
      });
    }
    return this.flushQueued;
  }

  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private segmentFor(offset: bigint): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /**
   * Whole batches starting with the one that contains `fetchOffset`, up to
   * `maxBytes` (always at least one batch, KIP-74). Empty at the log end.
   */
  read(fetchOffset: bigint, maxBytes: number): Buffer[] {
    const out: Buffer[] = [];
    if (fetchOffset >= this.logEndOffset || fetchOffset < this.logStartOffset) return out;
    let segIdx = this.segmentFor(fetchOffset);
    let seg = this.segments[segIdx]!;
    let pos = seg.positionFor(fetchOffset);
    // Skip batches that end before the fetch offset.
    for (;;) {
      if (pos >= seg.size) {
        segIdx++;
        if (segIdx >= this.segments.length) return out;
        seg = this.segments[segIdx]!;
        pos = 0;
        continue;
      }
      const b = seg.batchAt(pos);
      if (b.lastOffset >= fetchOffset) break;
      pos += b.size;
    }
    let budget = maxBytes;
    while (segIdx < this.segments.length) {
      if (pos < seg.size) {
        const first = out.length === 0 ? seg.batchAt(pos).size : 0;
        const chunk = seg.read(pos, Math.max(first, Math.min(budget, seg.size - pos)));
        let at = 0;
        while (at + 12 <= chunk.length) {
          const size = chunk.readInt32BE(at + 8) + 12;
          if (at + size > chunk.length) break;
          if (out.length > 0 && size > budget) return out;
          out.push(chunk.subarray(at, at + size));
          budget -= size;
          at += size;
        }
        if (budget <= 0 || at < chunk.length) return out;
        pos += at;
        if (pos < seg.size) continue;
      }
      segIdx++;
      seg = this.segments[segIdx]!;
      pos = 0;
    }
    return out;
  }

  /** Base offset of the first batch whose max timestamp is >= ts, or null. */
  offsetForTimestamp(ts: bigint): bigint | null {
    for (const seg of this.segments) {
      let pos = 0;
      while (pos < seg.size) {
        const b = seg.batchAt(pos);
        if (b.maxTimestamp >= ts) return b.baseOffset;
        pos += b.size;
      }
    }
    return null;
  }

  close(): void {
    for (const s of this.segments) s.close();
    this.segments = [];
    for (const l of [...this.listeners]) l();
    this.listeners.clear();
  }
}
