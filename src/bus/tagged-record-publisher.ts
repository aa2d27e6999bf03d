/**
 * Publishes a mixed batch of tagged v2 records (trades and quotes, as a stream
 * client produces them) to their topics through one RecordProducer: the batch is
 * split by kind and both sends run concurrently.
 */
import type { QuoteV2 } from '../model/quote.js';
import type { TaggedRecord } from '../model/record-kind.js';
import type { TradeV2 } from '../model/trade.js';
import type { RecordProducer } from './record-producer.js';

export interface TradeQuoteTopics {
  trades: string;
  quotes: string;
}

/** Sends the trades and quotes of `batch` to their topics; returns how many records were sent. */
export async function publishTagged(producer: RecordProducer, topics: TradeQuoteTopics, batch: readonly TaggedRecord[]): Promise<number> {
  const trades: TradeV2[] = [];
  const quotes: QuoteV2[] = [];
  for (const r of batch) {
    if (r.kind === 'trades') trades.push(r.record);
    else if (r.kind === 'quotes') quotes.push(r.record);
  }
  await Promise.all([
    trades.length > 0 ? producer.send(topics.trades, 'trades', trades) : null,
    quotes.length > 0 ? producer.send(topics.quotes, 'quotes', quotes) : null,
  ]);
  return trades.length + quotes.length;
}
