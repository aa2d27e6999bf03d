/**
 * All topics of the broker: `<root>/<topic>/<partition>/` directories of
 * PartitionLogs, loaded at startup, created on demand (auto-create with the
 * default partition count) and deleted with their files.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../log/logger.js';
import type { BatchHeader } from '../protocol/record-batch.js';
import { PartitionLog, type PartitionLogOptions } from './partition-log.js';

const LEGAL_TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

export function isLegalTopicName(name: string): boolean {
  return LEGAL_TOPIC.test(name) && name !== '.' && name !== '..';
}

export interface RecoveredPartition {
  topic: string;
  partition: number;
  headers: BatchHeader[];
}

export class TopicManager {
  private readonly topics = new Map<string, PartitionLog[]>();

  constructor(private readonly root: string, private readonly opts: PartitionLogOptions, private readonly logger: Logger) {
    mkdirSync(root, { recursive: true });
  }

  /** Loads every topic found on disk; returns what was scanned per partition. */
  load(): RecoveredPartition[] {
    const recovered: RecoveredPartition[] = [];
    for (const topic of readdirSync(root(this.root))) {
      if (!isLegalTopicName(topic)) continue;
      const parts = readdirSync(join(this.root, topic))
        .filter((p) => /^\d+$/.test(p))
        .map(Number)
        .sort((a, b) => a - b);
      if (parts.length === 0) continue;
      const logs: PartitionLog[] = [];
      for (let p = 0; p < parts.length; p++) {
        const { log, recovered: headers } = PartitionLog.open(topic, p, join(this.root, topic, String(p)), this.opts, this.logger);
        logs.push(log);
        recovered.push({ topic, partition: p, headers });
      }
      this.topics.set(topic, logs);
    }
    return recovered;
  }

  names(): string[] {
    return [...this.topics.keys()].sort();
  }

  has(topic: string): boolean {
    return this.topics.has(topic);
  }

  partitions(topic: string): PartitionLog[] | undefined {
    return this.topics.get(topic);
  }

  partition(topic: string, partition: number): PartitionLog | undefined {
    return this.topics.get(topic)?.[partition];
  }

  create(topic: string, partitions: number): PartitionLog[] {
    const existing = this.topics.get(topic);
    if (existing) return existing;
    const logs: PartitionLog[] = [];
    for (let p = 0; p < partitions; p++) {
      logs.push(PartitionLog.open(topic, p, join(this.root, topic, String(p)), this.opts, this.logger).log);
    }
    this.topics.set(topic, logs);
    this.logger.info('broker: created topic', { topic, partitions });
    return logs;
  }

  delete(topic: string): boolean {
    const logs = this.topics.get(topic);
    if (!logs) return false;
    this.topics.delete(topic);
    for (const l of logs) l.close();
    rmSync(join(this.root, topic), { recursive: true, force: true });
    this.logger.info('broker: deleted topic', { topic });
    return true;
  }

  close(): void {
    for (const logs of this.topics.values()) for (const l of logs) l.close();
    this.topics.clear();
  }
}

function root(dir: string): string {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  return dir;
}
