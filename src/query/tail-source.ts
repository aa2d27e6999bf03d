/**
 * Fresh rows: records the bus has accepted but no Iceberg snapshot holds yet.
 * Given the offsets a snapshot covers, a TailSource returns the decoded records
 * from those offsets up to the high watermark (for topics the snapshot does not
 * mention, from the start of the topic).
 */
import type { QuoteV2 } from '../model/quote.js';
import type { TradeV2 } from '../model/trade.js';
import type { CommittedOffsets } from './committed-offsets.js';
import type { QueryTable } from './table-schema.js';

export type TailRecords =
  | { table: 'trades_v2'; records: TradeV2[] }
  | { table: 'quotes_v2'; records: QuoteV2[] };

export interface TailSource {
  readTail(table: QueryTable, committed: CommittedOffsets): Promise<TailRecords>;
  close(): Promise<void>;
}
