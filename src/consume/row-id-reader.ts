/**
 * Reads the record id (trade_id / quote_id) of rows of a ColumnBatch for the
 * consumer's dedupe: a numbered id as (prefix, number) without building a string
 * per row (the prefix string is reused while consecutive ids share it), any other
 * id as its string.
 */
import type { TextColumn } from '../iceberg/column-batch.js';
import { numberedId, splitNumberedId, type CompactIdSet } from './compact-id-set.js';

export class RowIdReader {
  /** the prefix of the last numbered id read, null when it was not numbered */
  prefix: string | null = null;
  n = 0;
  private lastPrefixBytes = Buffer.alloc(0);

  /** Reads row i's id: sets prefix and n for a numbered id, else prefix = null. */
  read(col: TextColumn, i: number): void {
    const bytes = col.bytes;
    const s = col.startOf(i);
    const e = col.ends[i]!;
    if (!splitNumberedId(bytes, s, e)) {
      this.prefix = null;
      return;
    }
    const pe = numberedId.prefixEnd;
    const last = this.lastPrefixBytes;
    const len = pe - s;
    let same = this.prefix !== null && last.length === len;
    for (let k = 0; same && k < len; k++) same = last[k] === bytes[s + k];
    if (!same) {
      this.lastPrefixBytes = Buffer.from(bytes.subarray(s, pe));
      this.prefix = bytes.toString('latin1', s, pe); // printable ASCII (splitNumberedId checked)
    }
    this.n = numberedId.n;
  }

  /** Adds row i's id to the set; false if it was there. */
  addTo(ids: CompactIdSet, col: TextColumn, i: number): boolean {
    this.read(col, i);
    return this.prefix !== null ? ids.addNumbered(this.prefix, this.n) : ids.tryAdd(col.textAt(i));
  }
}
