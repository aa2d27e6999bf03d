/**
 * The partitions of a ColumnBatch: its rows grouped by (exchange, day(timestamp)) without
 * an object per row, and whether each group's rows already arrive in the tables' sort order.
 *
 * A plain synchronous function on purpose: the per-row loop used to sit inside the writer's
 * async writeBatch, and V8 then optimized (and, on each new path after the loop, threw away
 * and optimized again) the whole async function to speed up this loop (decisions.md).
 */
import type { PartitionValues } from './data-file.js';
import type { ColumnBatch } from './column-batch.js';
import { DAY_US, dayOf } from './partitioning.js';
import { SortOrderCheck } from './sort-order-check.js';

export interface BatchPartitions {
  /** the partition values of each group, in order of first appearance */
  groups: PartitionValues[];
  /** parts[row]: the row's group */
  parts: Int32Array<ArrayBuffer>;
  /** per group: whether its rows came in sort order (symbol, timestamp) */
  order: SortOrderCheck;
}

export function partitionBatch(batch: ColumnBatch): BatchPartitions {
  const rows = batch.length;
  const exchanges = batch.codes('exchange');
  const symbols = batch.codes('symbol');
  const ts = batch.int64('timestamp');
  const byExchange = new Map<number, Map<number, number>>();
  const groups: PartitionValues[] = [];
  const parts = new Int32Array(rows);
  const order = new SortOrderCheck();
  let lastExchange = -1;
  let lastDays: Map<number, number> | undefined;
  for (let i = 0; i < rows; i++) {
    const ex = exchanges.canonicalCode(exchanges.codes[i]!);
    const day = ts.isSafe(i) ? Math.floor(ts.numberAt(i) / DAY_US) : dayOf(ts.values[i]!);
    let days = lastDays;
    if (ex !== lastExchange) {
      days = byExchange.get(ex);
      if (days === undefined) byExchange.set(ex, (days = new Map()));
      lastExchange = ex;
      lastDays = days;
    }
    let g = days!.get(day);
    if (g === undefined) {
      g = groups.length;
      groups.push({ timestamp_day: day, exchange: exchanges.values[ex - 1] as string });
      days!.set(day, g);
    }
    parts[i] = g;
    order.observeWords(g, symbols.values[symbols.codes[i]! - 1] as string, ts.words[2 * i + 1]!, ts.words[2 * i]!);
  }
  return { groups, parts, order };
}
