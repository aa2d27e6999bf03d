/**
 * Rows waiting to be committed to one Iceberg table, with the Kafka offsets they
 * cover. A buffer is swapped out whole when it is flushed, so the rows and the
 * offsets of one commit always belong together.
 */
import type { OffsetMap } from './offsets.js';
import { setOffset } from './offsets.js';

export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class TableBuffer<R> {
  readonly rows: R[] = [];
  /** keys (exchange|symbol|id) in this buffer, for in-batch dedupe */
  readonly keys = new Set<string>();
  /** next offset per partition after the last message buffered */
  readonly pending: OffsetMap = new Map();
  /** first offset buffered per partition since the last commit: the commit's expected base */
  readonly firstOffsets = new Map<string, { topic: string; partition: number; offset: bigint }>();
  /** when the first message entered this buffer (ms, monotonic) */
  firstAt: number | null = null;
  droppedDuplicates = 0;

  noteMessages(topic: string, partition: number, firstOffset: bigint, nextOffset: bigint, now: number): void {
    const k = tpKey(topic, partition);
    if (!this.firstOffsets.has(k)) this.firstOffsets.set(k, { topic, partition, offset: firstOffset });
    setOffset(this.pending, topic, partition, nextOffset);
    if (this.firstAt === null) this.firstAt = now;
  }

  /** Adds a row unless its key is already buffered; returns false for a duplicate. */
  add(key: string, row: R): boolean {
    if (this.keys.has(key)) {
      this.droppedDuplicates++;
      return false;
    }
    this.keys.add(key);
    this.rows.push(row);
    return true;
  }

  get isEmpty(): boolean {
    return this.rows.length === 0 && this.pending.size === 0;
  }
}
