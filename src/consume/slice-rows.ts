/**
 * A batch's rows grouped by committed-id slice (exchange, symbol, UTC day), in order of
 * first appearance: each group is checked against its slice's committed ids before a commit.
 *
 * A plain synchronous function: the per-row loop used to sit inside the consumer's async
 * doFlush, and V8 then optimized (and re-optimized after each deopt) that whole async
 * function for the sake of this loop (decisions.md).
 */
import type { ColumnBatch } from '../iceberg/column-batch.js';
import { DAY_US, dayOf } from '../iceberg/partitioning.js';
import { sliceKey, type IdSlice } from './committed-id-index.js';

export interface SliceRows {
  slice: IdSlice;
  /** the slice's rows, ascending */
  rows: number[];
}

export function groupRowsBySlice(batch: ColumnBatch): Map<string, SliceRows> {
  const n = batch.length;
  const exchanges = batch.codes('exchange');
  const symbols = batch.codes('symbol');
  const ts = batch.int64('timestamp');
  const groups = new Map<string, SliceRows>();
  // consecutive rows nearly always share a slice: reuse the last group while the
  // exchange and symbol codes match and the timestamp falls in its day
  let last: SliceRows | undefined;
  let lastEx = -1;
  let lastSym = -1;
  let dayStart = 0;
  let dayEnd = 0;
  for (let i = 0; i < n; i++) {
    const ex = exchanges.codes[i]!;
    const sym = symbols.codes[i]!;
    const safe = ts.isSafe(i);
    const micros = safe ? ts.numberAt(i) : 0;
    if (last !== undefined && safe && ex === lastEx && sym === lastSym && micros >= dayStart && micros < dayEnd) {
      last.rows.push(i);
      continue;
    }
    const day = safe ? Math.floor(micros / DAY_US) : dayOf(ts.values[i]!);
    const slice: IdSlice = { exchange: exchanges.values[ex - 1] as string, symbol: symbols.values[sym - 1] as string, day };
    const key = sliceKey(slice);
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { slice, rows: [] }));
    g.rows.push(i);
    last = g;
    lastEx = ex;
    lastSym = sym;
    dayStart = day * DAY_US;
    dayEnd = dayStart + DAY_US;
  }
  return groups;
}
