/**
 * Rows waiting to be committed to one Iceberg table, column by column, with the
 * Kafka offsets they cover. A buffer is swapped out whole when it is flushed, so the
 * rows and the offsets of one commit always belong together.
 *
 * A row is staged in the batch (by the column decoder or from a record object) and
 * kept with `acceptStaged()` unless a row with the same (exchange, symbol, id) is
 * already buffered.
 */
import { ColumnBatch, type CodeColumn, type TextColumn } from '../iceberg/column-batch.js';
import type { TableDefinition } from '../iceberg/table-definitions.js';
import { CompactIdSet } from './compact-id-set.js';
import type { OffsetMap } from './offsets.js';
import { setOffset } from './offsets.js';
import { RowIdReader } from './row-id-reader.js';

export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** The id column of a table: its second column (trade_id, quote_id). */
export function idColumnName(def: TableDefinition<object>): string {
  return def.columns[1]!.name;
}

export class TableBuffer {
  readonly batch: ColumnBatch;
  private readonly exchange: CodeColumn;
  private readonly symbol: CodeColumn;
  private readonly id: TextColumn;
  private readonly idReader = new RowIdReader();
  /** per accepted row: the prefix and number of its id (prefix null: not numbered, read the text) */
  private readonly idPrefixes: (string | null)[] = [];
  private readonly idNumbers: number[] = [];
  /** ids in this buffer per exchange code, then symbol code (codes of this buffer's batch) */
  private readonly ids = new Map<number, Map<number, CompactIdSet>>();
  private lastExchange = 0;
  private lastSymbol = 0;
  private lastIds: CompactIdSet | null = null;
  /** next offset per partition after the last message buffered */
  readonly pending: OffsetMap = new Map();
  /** first offset buffered per partition since the last commit: the commit's expected base */
  readonly firstOffsets = new Map<string, { topic: string; partition: number; offset: bigint }>();
  /** when the first message entered this buffer (ms, monotonic) */
  firstAt: number | null = null;
  droppedDuplicates = 0;

  constructor(def: TableDefinition<object>, capacity = 4096) {
    this.batch = new ColumnBatch(def, capacity);
    this.exchange = this.batch.codes('exchange');
    this.symbol = this.batch.codes('symbol');
    this.id = this.batch.text(idColumnName(def));
  }

  noteMessages(topic: string, partition: number, firstOffset: bigint, nextOffset: bigint, now: number): void {
    const k = tpKey(topic, partition);
    if (!this.firstOffsets.has(k)) this.firstOffsets.set(k, { topic, partition, offset: firstOffset });
    setOffset(this.pending, topic, partition, nextOffset);
    if (this.firstAt === null) this.firstAt = now;
  }

  /** The id set of one (exchange, symbol); consecutive rows of one symbol hit the cached one. */
  private idsOf(exchange: number, symbol: number): CompactIdSet {
    if (this.lastIds !== null && exchange === this.lastExchange && symbol === this.lastSymbol) return this.lastIds;
    let bySymbol = this.ids.get(exchange);
    if (bySymbol === undefined) this.ids.set(exchange, (bySymbol = new Map()));
    let ids = bySymbol.get(symbol);
    if (ids === undefined) bySymbol.set(symbol, (ids = new CompactIdSet()));
    this.lastExchange = exchange;
    this.lastSymbol = symbol;
    this.lastIds = ids;
    return ids;
  }

  /**
   * Keeps the row staged in the batch unless a row with the same (exchange, symbol, id)
   * is already buffered; returns false for a duplicate (the staged row is then dropped).
   */
  acceptStaged(): boolean {
    const i = this.batch.length;
    // the same exchange or symbol string may hold two codes (decoded and appended rows): compare values
    const ex = this.canonical(this.exchange, i);
    const sym = this.canonical(this.symbol, i);
    if (!this.idReader.addTo(this.idsOf(ex, sym), this.id, i)) {
      this.droppedDuplicates++;
      return false;
    }
    this.idPrefixes.push(this.idReader.prefix);
    this.idNumbers.push(this.idReader.n);
    this.batch.commitRow();
    return true;
  }

  /** Whether row i's id is in a set (the id as parsed when the row was accepted). */
  idIn(ids: CompactIdSet, i: number): boolean {
    const prefix = this.idPrefixes[i]!;
    return prefix !== null ? ids.hasNumbered(prefix, this.idNumbers[i]!) : ids.has(this.id.textAt(i));
  }

  /** Adds row i's id to a set. */
  addIdTo(ids: CompactIdSet, i: number): void {
    const prefix = this.idPrefixes[i]!;
    if (prefix !== null) ids.addNumbered(prefix, this.idNumbers[i]!);
    else ids.tryAdd(this.id.textAt(i));
  }

  /** Clears keep[i] for the rows among `rows` whose id is in `ids`; returns how many it cleared. */
  markKnown(ids: CompactIdSet, rows: readonly number[], keep: Uint8Array): number {
    let known = 0;
    for (const i of rows) {
      if (this.idIn(ids, i)) {
        keep[i] = 0;
        known++;
      }
    }
    return known;
  }

  /** Adds to `ids` the ids of the rows among `rows` that keep still holds. */
  addKeptIds(ids: CompactIdSet, rows: readonly number[], keep: Uint8Array): void {
    for (const i of rows) if (keep[i] === 1) this.addIdTo(ids, i);
  }

  /** The first code of row i's value (codes are per value within a batch, but a value may have been coded twice). */
  private canonical(col: CodeColumn, i: number): number {
    return col.canonicalCode(col.codes[i]!);
  }

  get length(): number {
    return this.batch.length;
  }

  get isEmpty(): boolean {
    return this.batch.length === 0 && this.pending.size === 0;
  }
}
