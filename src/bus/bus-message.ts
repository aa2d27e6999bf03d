/** Messages and batches as the bus hands them out: offsets and timestamps are bigint, values raw bytes. */
import type { KafkaMessage } from 'kafkajs';

export interface BusMessage {
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
  /** Kafka record timestamp, epoch milliseconds. */
  timestamp: bigint;
}

export interface BusBatch {
  topic: string;
  partition: number;
  messages: BusMessage[];
  /** Log end offset of the partition when the batch was fetched. */
  highWatermark: bigint;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  /** The next offset to read (Kafka commit semantics). */
  offset: bigint;
}

export function toBusMessage(m: KafkaMessage): BusMessage {
  return { offset: BigInt(m.offset), key: m.key, value: m.value, timestamp: BigInt(m.timestamp) };
}
