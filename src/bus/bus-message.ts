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

/**
 * A kafkajs message seen as a BusMessage. Offset and timestamp are parsed from
 * kafkajs's decimal strings only when read (a consumer of a large batch reads the
 * offsets of its ends, not of every record), which saves two BigInt parses per record.
 */
class KafkaBusMessage implements BusMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  constructor(private readonly m: KafkaMessage) {
    this.key = m.key;
    this.value = m.value;
  }
  get offset(): bigint {
    return BigInt(this.m.offset);
  }
  get timestamp(): bigint {
    return BigInt(this.m.timestamp);
  }
}

export function toBusMessage(m: KafkaMessage): BusMessage {
  return new KafkaBusMessage(m);
}
