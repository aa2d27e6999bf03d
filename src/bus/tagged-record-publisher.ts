/**
 * Publishes a mixed batch of tagged v2 records (trades and quotes, as a stream
 * client produces them) to their topics through one RecordProducer: the batch is
 * split by kind and both sends run concurrently.
 *
 * A stream can also seal records as they arrive (`sealTagged`: encoded at once, so the
 * record objects die young and only wire messages wait) and publish several sealed
 * batches later as one (`publishSealed`), in order; `unsealTagged` gives a sealed batch's
 * records back when it will not be sent after all.
 */
import type { QuoteV2 } from '../model/quote.js';
import type { TaggedRecord } from '../model/record-kind.js';
import type { TradeV2 } from '../model/trade.js';
import type { AvroBodyWriter } from '../schema/packed-wire-builder.js';
import type { BodySealer, RecordProducer, SealedRecords } from './record-producer.js';

export interface TradeQuoteTopics {
  trades: string;
  quotes: string;
}

/** A batch's trades and quotes, sealed by the producer (see RecordProducer.seal). */
export interface SealedTagged {
  trades: SealedRecords<'trades'>;
  quotes: SealedRecords<'quotes'>;
}

function splitByKind(batch: readonly TaggedRecord[]): { trades: TradeV2[]; quotes: QuoteV2[] } {
  const trades: TradeV2[] = [];
  const quotes: QuoteV2[] = [];
  for (const r of batch) {
    if (r.kind === 'trades') trades.push(r.record);
    else if (r.kind === 'quotes') quotes.push(r.record);
  }
  return { trades, quotes };
}

/** Sends the trades and quotes of `batch` to their topics; returns how many records were sent. */
export async function publishTagged(producer: RecordProducer, topics: TradeQuoteTopics, batch: readonly TaggedRecord[]): Promise<number> {
  const { trades, quotes } = splitByKind(batch);
  await Promise.all([
    trades.length > 0 ? producer.send(topics.trades, 'trades', trades) : null,
    quotes.length > 0 ? producer.send(topics.quotes, 'quotes', quotes) : null,
  ]);
  return trades.length + quotes.length;
}

/** Encodes `batch` now, synchronously (each kind stays as records if its schema id is not known yet). */
export function sealTagged(producer: RecordProducer, topics: TradeQuoteTopics, batch: readonly TaggedRecord[]): SealedTagged {
  const { trades, quotes } = splitByKind(batch);
  return { trades: producer.seal(topics.trades, 'trades', trades), quotes: producer.seal(topics.quotes, 'quotes', quotes) };
}

/** No quotes: what a batch of trades sealed by a TradeSealer carries for the quotes topic. */
const NO_QUOTES: SealedRecords<'quotes'> = { records: [] };

/**
 * Seals trades whose trade_v2 bodies an encoder writes itself (RecordProducer.sealer) into
 * batches of the same form as sealTagged's, with no quotes. Reusable: finish() starts the next.
 */
export class TradeSealer {
  constructor(private readonly sealer: BodySealer<'trades'>) {}

  get count(): number {
    return this.sealer.count;
  }

  append(symbol: string, body: AvroBodyWriter): void {
    this.sealer.append(symbol, body);
  }

  finish(): SealedTagged {
    return { trades: this.sealer.finish(), quotes: NO_QUOTES };
  }
}

/** A TradeSealer for the trades topic, or null while its schema id is not known yet. */
export function tradeSealer(producer: RecordProducer, topics: TradeQuoteTopics): TradeSealer | null {
  const sealer = producer.sealer(topics.trades, 'trades');
  return sealer === null ? null : new TradeSealer(sealer);
}

/** The records of a sealed batch again (trades, then quotes): for sends given up on, e.g. at a shutdown deadline. */
export function unsealTagged(producer: RecordProducer, sealed: SealedTagged): TaggedRecord[] {
  const out: TaggedRecord[] = [];
  for (const record of producer.unseal('trades', sealed.trades)) out.push({ kind: 'trades', record });
  for (const record of producer.unseal('quotes', sealed.quotes)) out.push({ kind: 'quotes', record });
  return out;
}

/** Publishes sealed batches as one send per topic, in their order; returns how many records were sent. */
export async function publishSealed(producer: RecordProducer, topics: TradeQuoteTopics, sealed: readonly SealedTagged[]): Promise<number> {
  const [trades, quotes] = await Promise.all([
    producer.sendSealed(topics.trades, 'trades', sealed.map((s) => s.trades)),
    producer.sendSealed(topics.quotes, 'quotes', sealed.map((s) => s.quotes)),
  ]);
  return trades.records + quotes.records;
}
