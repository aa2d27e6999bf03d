/**
 * Cluster administration through kafkajs admin.
 *
 *   BusAdmin.connect(endpoints: BusEndpoints, logger: Logger): Promise<BusAdmin>
 *   admin.listTopics(): Promise<string[]>
 *   admin.createTopics(topics: Array<{ topic: string; partitions?: number }>): Promise<boolean>   // false if all existed
 *   admin.deleteTopics(topics: string[]): Promise<void>
 *   admin.partitionOffsets(topic: string): Promise<PartitionOffsets[]>   // earliest + high watermark per partition
 *   admin.groupLag(groupId: string, topics: string[]): Promise<PartitionLag[]>
 *   admin.close(): Promise<void>
 *   admin.close(timeoutMs): Promise<boolean>   // ... or gives up waiting (broker gone or hung): false
 */
import type { Admin } from 'kafkajs';
import type { Logger } from '../log/logger.js';
import type { BusEndpoints } from './endpoints.js';
import { BusError } from './errors.js';
import { createKafka } from './kafka-client.js';
import { settleWithin } from '../resilience/deadline.js';

export interface PartitionOffsets {
  partition: number;
  earliest: bigint;
  /** High watermark: the next offset to be written. */
  latest: bigint;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** Next offset the group will read, or null if it never committed. */
  committed: bigint | null;
  latest: bigint;
  lag: bigint;
}

export class BusAdmin {
  private constructor(private readonly admin: Admin) {}

  static async connect(endpoints: BusEndpoints, logger: Logger): Promise<BusAdmin> {
    const admin = createKafka(endpoints.brokers, logger, 'k2-admin').admin();
    try {
      await admin.connect();
    } catch (err) {
      await admin.disconnect().catch(() => undefined); // or its sockets keep the process alive
      throw new BusError(`cannot connect to Kafka at ${endpoints.brokers.join(',')}: ${(err as Error).message}`, { brokers: endpoints.brokers.join(',') }, { cause: err });
    }
    return new BusAdmin(admin);
  }

  async listTopics(): Promise<string[]> {
    return (await this.admin.listTopics()).sort();
  }

  async createTopics(topics: Array<{ topic: string; partitions?: number }>): Promise<boolean> {
    // Only the missing ones: kafkajs logs a CreateTopics response that reports existing
    // topics as an ERROR before it treats them as fine (a second load would show one).
    const existing = new Set(await this.admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length === 0) return false;
    return this.admin.createTopics({ topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.partitions ?? -1 })), waitForLeaders: true });
  }

  async deleteTopics(topics: string[]): Promise<void> {
    await this.admin.deleteTopics({ topics });
  }

  async partitionOffsets(topic: string): Promise<PartitionOffsets[]> {
    const offs = await this.admin.fetchTopicOffsets(topic);
    return offs
      .map((o) => ({ partition: o.partition, earliest: BigInt(o.low), latest: BigInt(o.high) }))
      .sort((a, b) => a.partition - b.partition);
  }

  async groupLag(groupId: string, topics: string[]): Promise<PartitionLag[]> {
    const out: PartitionLag[] = [];
    const committed = await this.admin.fetchOffsets({ groupId, topics });
    for (const t of committed) {
      const ends = new Map((await this.partitionOffsets(t.topic)).map((p) => [p.partition, p]));
      for (const p of t.partitions) {
        const end = ends.get(p.partition);
        const latest = end?.latest ?? 0n;
        const c = BigInt(p.offset);
        const committedOffset = c < 0n ? null : c;
        const from = committedOffset ?? end?.earliest ?? 0n;
        out.push({ topic: t.topic, partition: p.partition, committed: committedOffset, latest, lag: latest > from ? latest - from : 0n });
      }
    }
    return out.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  }

  /** Disconnects; with `timeoutMs`, stops waiting after that long (requests in flight to a hung broker) and resolves false. */
  async close(): Promise<void>;
  async close(timeoutMs: number): Promise<boolean>;
  async close(timeoutMs?: number): Promise<void | boolean> {
    if (timeoutMs === undefined) {
      await this.admin.disconnect();
      return;
    }
    const closing = this.admin.disconnect();
    const done = await settleWithin(closing, timeoutMs);
    if (done) await closing;
    return done;
  }
}
