/**
 * Which record ids are already in a table, per (exchange, symbol, UTC day).
 *
 * This is the consumer's anti-join: before a batch is committed, records whose id
 * is already in the table (a CSV loaded twice, a replayed topic, a backfill that
 * overlaps the live feed) are dropped. The ids of a (exchange, symbol, day) slice
 * are loaded from the table once, lazily, and then kept current as batches commit;
 * the least recently used slices are evicted to bound memory. Numbered ids are kept
 * as runs of numbers (CompactIdSet), so a slice of a day of consecutive trade ids
 * costs a few numbers, not a string per trade.
 */
import { MICROS_PER_DAY } from '../model/time.js';
import { CompactIdSet } from './compact-id-set.js';

export interface IdSlice {
  exchange: string;
  symbol: string;
  /** Days since the Unix epoch, UTC (the Iceberg day() partition value). */
  day: number;
}

/** Loads the ids already committed for some slices (e.g. by scanning their data files), one result per slice. */
export type CommittedIdLoader = (slices: readonly IdSlice[]) => Promise<Iterable<string>[]>;

export function dayOf(micros: bigint): number {
  const d = micros / MICROS_PER_DAY;
  return Number(micros < 0n && micros % MICROS_PER_DAY !== 0n ? d - 1n : d);
}

export function sliceKey(s: IdSlice): string {
  return `${s.exchange}\u0000${s.symbol}\u0000${s.day}`;
}

export class CommittedIdIndex {
  private readonly slices = new Map<string, CompactIdSet>();

  constructor(
    private readonly loader: CommittedIdLoader,
    private readonly maxSlices = 256,
  ) {}

  /** Ensures the slices are loaded; call before `has` for a batch. */
  async prepare(slices: Iterable<IdSlice>): Promise<void> {
    const missing: IdSlice[] = [];
    let batchSlices = 0;
    for (const s of slices) {
      batchSlices++;
      const key = sliceKey(s);
      const existing = this.slices.get(key);
      if (existing !== undefined) {
        // refresh LRU position
        this.slices.delete(key);
        this.slices.set(key, existing);
      } else missing.push(s);
    }
    if (missing.length === 0) return;
    const loaded = await this.loader(missing);
    missing.forEach((s, i) => this.slices.set(sliceKey(s), CompactIdSet.from(loaded[i] ?? [])));
    // The batch's own slices are the most recent entries: evict only older ones, even when
    // a batch spans more slices than the bound (a multi-year file has a slice per day).
    while (this.slices.size > Math.max(this.maxSlices, batchSlices)) {
      const oldest = this.slices.keys().next().value as string;
      this.slices.delete(oldest);
    }
  }

  /** The committed ids of a prepared slice (live: `add` updates it), or undefined if not loaded. */
  idsOf(slice: IdSlice): CompactIdSet | undefined {
    return this.slices.get(sliceKey(slice));
  }

  has(slice: IdSlice, id: string): boolean {
    return this.slices.get(sliceKey(slice))?.has(id) ?? false;
  }

  /** Records ids that were just committed. Slices not loaded are skipped (they load fresh later). */
  add(slice: IdSlice, id: string): void {
    this.slices.get(sliceKey(slice))?.add(id);
  }

  /** Forgets everything, e.g. after another writer may have committed. */
  clear(): void {
    this.slices.clear();
  }
}
