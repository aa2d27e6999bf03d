/** Messages and batches as the bus hands them out: offsets and timestamps are bigint, values raw bytes. */
import type { KafkaMessage } from 'kafkajs';
import { PackedRecord } from './kafkajs-fast-record-batch-decoder.js';

export interface BusMessage {
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
  /**
   * Where the value's bytes sit, `valueBuffer[valueStart, valueEnd)`, in a buffer that may hold
   * other messages' bytes too: a reader of every value reads them there, without a Buffer made
   * per message (as `value` may). null for a null value.
   */
  readonly valueBuffer: Buffer | null;
  readonly valueStart: number;
  readonly valueEnd: number;
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
 * offsets of its ends, not of every record), which saves two BigInt parses per record;
 * key and value are read from the message when read too (records of the fast fetch
 * decoder make them then).
 */
class KafkaBusMessage implements BusMessage {
  constructor(private readonly m: KafkaMessage & { offsetNumber?: number }) {}
  get key(): Buffer | null {
    return this.m.key;
  }
  get value(): Buffer | null {
    return this.m.value;
  }
  get valueBuffer(): Buffer | null {
    const m = this.m;
    if (m instanceof PackedRecord) return m.valueStart < 0 ? null : m.bytes;
    return m.value;
  }
  get valueStart(): number {
    const m = this.m;
    return m instanceof PackedRecord ? Math.max(m.valueStart, 0) : 0;
  }
  get valueEnd(): number {
    const m = this.m;
    return m instanceof PackedRecord ? Math.max(m.valueEnd, 0) : (m.value?.length ?? 0);
  }
  get offset(): bigint {
    const n = this.m.offsetNumber;
    return n !== undefined ? BigInt(n) : BigInt(this.m.offset);
  }
  get timestamp(): bigint {
    return BigInt(this.m.timestamp);
  }
}

export function toBusMessage(m: KafkaMessage): BusMessage {
  return new KafkaBusMessage(m);
}
