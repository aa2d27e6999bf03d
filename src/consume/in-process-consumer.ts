/**
 * Running the Iceberg consumer inside another command (`k2 load asx`, `k2 stream
 * binance`, `k2 demo`) in embedded mode, so that rows land in the tables without a
 * second process.
 */
import type { Registry } from 'prom-client';
import type { BusEndpoints } from '../bus/index.js';
import type { Catalog } from '../iceberg/catalog/catalog.js';
import type { Logger } from '../log/logger.js';
import { IcebergConsumer, type CommitEvent } from './iceberg-consumer.js';

export interface InProcessConsumerOptions {
  endpoints: BusEndpoints;
  catalog: Catalog;
  dataDir: string;
  logger: Logger;
  metricsRegistry?: Registry;
  maxRows?: number;
  maxDelayMs?: number;
  /** how often to look for new topics (default 5 s) */
  topicRefreshMs?: number;
  onCommit?: (event: CommitEvent) => void;
}

export async function startInProcessConsumer(opts: InProcessConsumerOptions): Promise<IcebergConsumer> {
  const consumer = await IcebergConsumer.start({ ...opts, groupId: 'k2-iceberg' });
  consumer.watchTopics();
  return consumer;
}
