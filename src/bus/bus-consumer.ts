/**
 * A thin typed wrapper over a kafkajs consumer group, for consumers that manage
 * their own offsets (e.g. exactly-once into Iceberg: offsets stored with the data).
 *
 *   BusConsumer.connect(endpoints: BusEndpoints, opts: BusConsumerOptions): Promise<BusConsumer>
 *   consumer.run(onBatch: (batch: BusBatch, ctl: BatchControl) => Promise<void>): Promise<void>  // resolves once running
 *   consumer.seek({ topic, partition, offset: bigint }): void
 *   consumer.commitOffsets(offsets: TopicPartitionOffset[]): Promise<void>    // offset = next to read
 *   consumer.pause(tps: TopicPartition[]) / consumer.resume(tps: TopicPartition[])
 *   consumer.assignment(): TopicPartition[]
 *   consumer.disconnect(): Promise<void>                                    // leaves the group cleanly
 *   consumer.disconnect(timeoutMs): Promise<boolean>                        // ... or gives up waiting (broker gone): false
 *
 * `onAssigned(assignment)` runs after every rebalance, before any batch of the new
 * generation is delivered; seeking inside it is safe: batches below a sought
 * offset are dropped by this wrapper. Nothing is auto-committed unless
 * `autoCommit: true`. Topics matching a RegExp are resolved when `run` subscribes;
 * topics created later need a new consumer (a kafkajs limitation).
 */
import type { Consumer } from 'kafkajs';
import type { Logger } from '../log/logger.js';
import { toBusMessage, type BusBatch, type TopicPartition, type TopicPartitionOffset } from './bus-message.js';
import type { BusEndpoints } from './endpoints.js';
import { BusError } from './errors.js';
import { RETRY_POLICY, createKafka } from './kafka-client.js';
import { settleWithin } from '../resilience/deadline.js';

export interface BusConsumerOptions {
  groupId: string;
  topics: RegExp | string[];
  logger: Logger;
  /** Where to start on partitions with no committed offset; default true (earliest). */
  fromBeginning?: boolean;
  onAssigned?: (assignment: TopicPartition[]) => Promise<void> | void;
  autoCommit?: boolean;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Fetch long-poll wait; default 500 ms. */
  maxWaitMs?: number;
  clientId?: string;
}

export interface BatchControl {
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  /** False once a rebalance made this batch stale: stop and do not commit. */
  isStale(): boolean;
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class BusConsumer {
  private assigned: TopicPartition[] = [];
  private assignmentReady: Promise<void> = Promise.resolve();
  /** Lowest offset to deliver per partition after a seek. */
  private readonly floors = new Map<string, bigint>();
  /** In the group and running: kafkajs skips a commit silently otherwise (e.g. crashed after the broker went away). */
  private inGroup = false;

  private constructor(
    private readonly consumer: Consumer,
    private readonly opts: BusConsumerOptions,
    private readonly markDisconnecting: () => void,
  ) {}

  static async connect(endpoints: BusEndpoints, opts: BusConsumerOptions): Promise<BusConsumer> {
    const kafka = createKafka(endpoints.brokers, opts.logger, opts.clientId ?? 'k2-consumer');
    // kafkajs restarts a crashed consumer forever; once we are disconnecting (say the broker went
    // away before SIGINT), a restart would keep the process alive, so it stops there.
    let disconnecting = false;
    const consumer = kafka.consumer({
      retry: { ...RETRY_POLICY, restartOnFailure: async () => !disconnecting },
      groupId: opts.groupId,
      sessionTimeout: opts.sessionTimeoutMs ?? 30000,
      heartbeatInterval: opts.heartbeatIntervalMs ?? 3000,
      maxWaitTimeInMs: opts.maxWaitMs ?? 500,
      allowAutoTopicCreation: false,
    });
    const bus = new BusConsumer(consumer, opts, () => (disconnecting = true));
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const assignment: TopicPartition[] = [];
      for (const [topic, partitions] of Object.entries(e.payload.memberAssignment)) for (const partition of partitions) assignment.push({ topic, partition });
      bus.assigned = assignment;
      bus.floors.clear();
      bus.inGroup = true;
      const hook = opts.onAssigned;
      bus.assignmentReady = hook
        ? Promise.resolve()
            .then(() => hook(assignment))
            .catch((err: unknown) => opts.logger.error('bus: onAssigned failed', { error: (err as Error).message }))
        : Promise.resolve();
    });
    consumer.on(consumer.events.CRASH, () => (bus.inGroup = false));
    consumer.on(consumer.events.STOP, () => (bus.inGroup = false));
    try {
      await consumer.connect();
    } catch (err) {
      await consumer.disconnect().catch(() => undefined); // or its sockets keep the process alive
      throw new BusError(`cannot connect to Kafka at ${endpoints.brokers.join(',')}: ${(err as Error).message}`, { brokers: endpoints.brokers.join(',') }, { cause: err });
    }
    return bus;
  }

  async run(onBatch: (batch: BusBatch, ctl: BatchControl) => Promise<void>): Promise<void> {
    await this.consumer.subscribe({ topics: this.opts.topics instanceof RegExp ? [this.opts.topics] : this.opts.topics, fromBeginning: this.opts.fromBeginning ?? true });
    await this.consumer.run({
      autoCommit: this.opts.autoCommit ?? false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
        await this.assignmentReady;
        const floor = this.floors.get(key(batch.topic, batch.partition));
        let messages = batch.messages.map(toBusMessage);
        // offsets ascend within a batch: filter only when the batch starts below the floor
        if (floor !== undefined && messages.length > 0 && messages[0]!.offset < floor) messages = messages.filter((m) => m.offset >= floor);
        if (messages.length === 0 || isStale()) return;
        await onBatch({ topic: batch.topic, partition: batch.partition, messages, highWatermark: BigInt(batch.highWatermark) }, { heartbeat, isRunning, isStale });
      },
    });
  }

  seek(tpo: TopicPartitionOffset): void {
    this.floors.set(key(tpo.topic, tpo.partition), tpo.offset);
    this.consumer.seek({ topic: tpo.topic, partition: tpo.partition, offset: tpo.offset.toString() });
  }

  /** Commits group offsets; throws when the consumer is not in its group (kafkajs would skip the commit without a word). */
  async commitOffsets(offsets: TopicPartitionOffset[]): Promise<void> {
    if (!this.inGroup) throw new BusError(`group offsets not committed: the consumer is not in group ${this.opts.groupId} (stopped, or crashed after losing the broker)`, { group: this.opts.groupId });
    await this.consumer.commitOffsets(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset.toString() })));
  }

  pause(tps: TopicPartition[]): void {
    this.consumer.pause(groupByTopic(tps));
  }

  resume(tps: TopicPartition[]): void {
    this.consumer.resume(groupByTopic(tps));
  }

  assignment(): TopicPartition[] {
    return [...this.assigned];
  }

  /**
   * Stops fetching, leaves the group and closes the connections. Against a broker that is
   * gone or hung, kafkajs waits for its fetch loop to give up reconnecting and for requests
   * in flight (~20 s with our retry policy); with `timeoutMs` this stops waiting after that
   * long and resolves false. kafkajs may then still be retrying in the background (it does
   * not restart the consumer once it is disconnecting): a command that is done exits anyway.
   */
  async disconnect(): Promise<void>;
  async disconnect(timeoutMs: number): Promise<boolean>;
  async disconnect(timeoutMs?: number): Promise<void | boolean> {
    this.markDisconnecting();
    if (timeoutMs === undefined) {
      await this.consumer.disconnect();
      return;
    }
    const left = this.consumer.disconnect();
    const done = await settleWithin(left, timeoutMs);
    if (done) await left; // a failed disconnect still throws, as without a timeout
    return done;
  }
}

function groupByTopic(tps: TopicPartition[]): Array<{ topic: string; partitions: number[] }> {
  const m = new Map<string, number[]>();
  for (const tp of tps) (m.get(tp.topic) ?? m.set(tp.topic, []).get(tp.topic)!).push(tp.partition);
  return [...m].map(([topic, partitions]) => ({ topic, partitions }));
}
