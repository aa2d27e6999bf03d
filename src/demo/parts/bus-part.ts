/**
 * The bus part: the embedded broker and schema registry in-process (or --brokers),
 * with a producer publishing trades and quotes to their v2 topics.
 */
import { publishTagged, RecordProducer, startBus, type BusEndpoints, type BusSession } from '../../bus/index.js';
import type { GlobalOptions } from '../../config/global-options.js';
import type { Logger } from '../../log/logger.js';
import type { TaggedRecord } from '../../model/record-kind.js';
import { topicName } from '../../model/topics.js';
import { BINANCE_EXCHANGE } from '../../sources/binance/mapper.js';
import type { RecordSink } from '../../sources/binance/record-sink.js';
import type { BusPart } from '../parts.js';

export interface StartedBusPart extends BusPart {
  readonly endpoints: BusEndpoints;
  readonly embedded: boolean;
}

export async function startBusPart(globals: GlobalOptions, registryUrl: string | undefined, logger: Logger): Promise<StartedBusPart> {
  const bus: BusSession = await startBus({ globals, logger, registryUrl, owner: 'k2 demo' });
  let producer: RecordProducer;
  try {
    producer = await RecordProducer.connect(bus.endpoints, { logger, embedded: bus.embedded, clientId: 'k2-demo' });
  } catch (err) {
    await bus.close();
    throw err;
  }
  const tradesTopic = topicName('crypto', 'trades', BINANCE_EXCHANGE);
  const quotesTopic = topicName('crypto', 'quotes', BINANCE_EXCHANGE);
  let published = 0;
  const sink: RecordSink = {
    async publish(batch: TaggedRecord[]): Promise<void> {
      published += await publishTagged(producer, { trades: tradesTopic, quotes: quotesTopic }, batch);
    },
    flush: () => producer.flush(),
  };
  return {
    name: bus.embedded ? 'embedded broker' : `Kafka ${bus.endpoints.brokers.join(',')}`,
    endpoints: bus.endpoints,
    embedded: bus.embedded,
    sink,
    published: () => published,
    stop: async () => {
      await producer.close();
      await bus.close();
    },
  };
}
