/**
 * Reads the not-yet-committed tail of a topic: every message of each partition
 * from a given start offset up to the high watermark as of the call, then stops.
 * Used by the query engine to include fresh rows not yet in Iceberg.
 *
 *   readTopicTail(endpoints: BusEndpoints, opts: TopicTailOptions): Promise<PartitionTail[]>
 *
 * Partitions missing from `startOffsets` start at their earliest offset. It uses a
 * throwaway consumer group that never commits, so it does not disturb real groups.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log/logger.js';
import { BusAdmin } from './bus-admin.js';
import { BusConsumer } from './bus-consumer.js';
import type { BusMessage } from './bus-message.js';
import type { BusEndpoints } from './endpoints.js';
import { BusError } from './errors.js';

export interface TopicTailOptions {
  topic: string;
  /** partition -> first offset to read. */
  startOffsets?: ReadonlyMap<number, bigint>;
  logger: Logger;
  /** Give up after this long; default 30 s. */
  timeoutMs?: number;
  /** Refuse (TopicTailTooLargeError, before fetching anything) a tail of more records than this. */
  maxRecords?: number;
}

/** The tail holds more records than the caller wants to read. */
export class TopicTailTooLargeError extends BusError {
  constructor(
    readonly topic: string,
    readonly records: bigint,
    readonly maxRecords: number,
  ) {
    super(`the tail of ${topic} holds ${records} records, more than ${maxRecords}`, { topic, records: records.toString(), max: maxRecords });
  }
}

export interface PartitionTail {
  partition: number;
  /** High watermark captured at the call; messages are < this offset. */
  highWatermark: bigint;
  messages: BusMessage[];
}

export async function readTopicTail(endpoints: BusEndpoints, opts: TopicTailOptions): Promise<PartitionTail[]> {
  const admin = await BusAdmin.connect(endpoints, opts.logger);
  let offsets;
  try {
    if (!(await admin.listTopics()).includes(opts.topic)) return [];
    offsets = await admin.partitionOffsets(opts.topic);
  } finally {
    await admin.close();
  }
  const tails = new Map<number, PartitionTail & { start: bigint }>();
  for (const o of offsets) {
    const requested = opts.startOffsets?.get(o.partition) ?? o.earliest;
    const start = requested < o.earliest ? o.earliest : requested;
    tails.set(o.partition, { partition: o.partition, highWatermark: o.latest, messages: [], start });
  }
  if (opts.maxRecords !== undefined) {
    let records = 0n;
    for (const t of tails.values()) if (t.start < t.highWatermark) records += t.highWatermark - t.start;
    if (records > BigInt(opts.maxRecords)) throw new TopicTailTooLargeError(opts.topic, records, opts.maxRecords);
  }
  const pending = new Set([...tails.values()].filter((t) => t.start < t.highWatermark).map((t) => t.partition));
  const result = (): PartitionTail[] => [...tails.values()].map(({ partition, highWatermark, messages }) => ({ partition, highWatermark, messages }));
  if (pending.size === 0) return result();

  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const consumer: BusConsumer = await BusConsumer.connect(endpoints, {
    groupId: `k2-tail-${randomUUID()}`,
    topics: [opts.topic],
    logger: opts.logger,
    clientId: 'k2-tail-reader',
    maxWaitMs: 100,
    onAssigned: (assignment) => {
      for (const tp of assignment) {
        const t = tails.get(tp.partition);
        if (t) consumer.seek({ topic: opts.topic, partition: tp.partition, offset: t.start });
      }
    },
  });
  const timer = setTimeout(done, opts.timeoutMs ?? 30000);
  try {
    await consumer.run(async (batch) => {
      const t = tails.get(batch.partition);
      if (!t || !pending.has(batch.partition)) return;
      for (const m of batch.messages) {
        if (m.offset >= t.highWatermark) break;
        if (m.offset >= t.start && (t.messages.length === 0 || m.offset > t.messages[t.messages.length - 1]!.offset)) t.messages.push(m);
      }
      const last = t.messages.length > 0 ? t.messages[t.messages.length - 1]!.offset : t.start - 1n;
      const lastInBatch = batch.messages.length > 0 ? batch.messages[batch.messages.length - 1]!.offset : -1n;
      if (last + 1n >= t.highWatermark || lastInBatch + 1n >= t.highWatermark) pending.delete(batch.partition);
      if (pending.size === 0) done();
    });
    await finished;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  if (pending.size > 0) {
    throw new BusError(`timed out reading the tail of ${opts.topic}`, { topic: opts.topic, partitions: [...pending].join(',') });
  }
  return result();
}
