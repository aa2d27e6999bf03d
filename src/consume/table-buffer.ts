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
  /** ids in this buffer per exchange and symbol, for in-batch dedupe */
  private readonly ids = new Map<string, Map<string, Set<string>>>();
  private lastExchange = '';
  private lastSymbol = '';
  private lastIds: Set<string> | null = null;
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

  /** The id set of one (exchange, symbol); consecutive rows of one symbol hit the cached one. */
  private idsOf(exchange: string, symbol: string): Set<string> {
    if (this.lastIds !== null && exchange === this.lastExchange && symbol === this.lastSymbol) return this.lastIds;
    let bySymbol = this.ids.get(exchange);
    if (bySymbol === undefined) this.ids.set(exchange, (bySymbol = new Map()));
    let ids = bySymbol.get(symbol);
    if (ids === undefined) bySymbol.set(symbol, (ids = new Set()));
    this.lastExchange = exchange;
    this.lastSymbol = symbol;
    this.lastIds = ids;
    return ids;
  }

  /** Adds a row unless a row with the same (exchange, symbol, id) is already buffered; returns false for a duplicate. */
  add(exchange: string, symbol: string, id: string, row: R): boolean {
    const ids = this.idsOf(exchange, symbol);
    if (ids.has(id)) {
      this.droppedDuplicates++;
      return false;
    }
    ids.add(id);
    this.rows.push(row);
    return true;
  }

  get isEmpty(): boolean {
    return this.rows.length === 0 && this.pending.size === 0;
  }
}
