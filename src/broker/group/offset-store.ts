/**
 * Committed consumer-group offsets, kept per (group, topic, partition) and
 * persisted as an append-only JSON-lines log `<dir>/offsets.log` (written with
 * writeSync, so a commit survives kill -9 of the broker). On startup the log is
 * replayed and rewritten compacted.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../../log/logger.js';

export interface CommittedOffset {
  offset: bigint;
  metadata: string;
}

const Line = z.object({ g: z.string(), t: z.string(), p: z.number().int(), o: z.string().nullable(), m: z.string().optional() });

export class OffsetStore {
  private readonly groups = new Map<string, Map<string, Map<number, CommittedOffset>>>();
  private fd: number;
  private readonly path: string;

  constructor(dir: string, logger: Logger) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, 'offsets.log');
    if (existsSync(this.path)) {
      const lines = readFileSync(this.path, 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (line.trim() === '') return;
        try {
          const v = Line.parse(JSON.parse(line));
          if (v.o === null) this.remove(v.g, v.t, v.p);
          else this.put(v.g, v.t, v.p, { offset: BigInt(v.o), metadata: v.m ?? '' });
        } catch {
          // A torn last line after kill -9 is expected; anything else is worth a warning.
          if (i < lines.length - 1) logger.warn('broker: skipped unreadable offset commit line', { file: this.path, line: i + 1 });
        }
      });
    }
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    for (const [g, topics] of this.groups) {
      for (const [t, parts] of topics) {
        for (const [p, c] of parts) writeSync(fd, `${JSON.stringify({ g, t, p, o: c.offset.toString(), m: c.metadata })}\n`);
      }
    }
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.path);
    this.fd = openSync(this.path, 'a');
  }

  private put(g: string, t: string, p: number, c: CommittedOffset): void {
    let topics = this.groups.get(g);
    if (!topics) this.groups.set(g, (topics = new Map()));
    let parts = topics.get(t);
    if (!parts) topics.set(t, (parts = new Map()));
    parts.set(p, c);
  }

  private remove(g: string, t: string, p: number): void {
    this.groups.get(g)?.get(t)?.delete(p);
  }

  commit(group: string, topic: string, partition: number, offset: bigint, metadata: string | null): void {
    const m = metadata ?? '';
    writeSync(this.fd, `${JSON.stringify({ g: group, t: topic, p: partition, o: offset.toString(), m })}\n`);
    this.put(group, topic, partition, { offset, metadata: m });
  }

  get(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.groups.get(group)?.get(topic)?.get(partition);
  }

  /** Every committed (topic, partition) of a group. */
  all(group: string): Array<{ topic: string; partition: number; committed: CommittedOffset }> {
    const out: Array<{ topic: string; partition: number; committed: CommittedOffset }> = [];
    for (const [topic, parts] of this.groups.get(group) ?? []) for (const [partition, committed] of parts) out.push({ topic, partition, committed });
    return out;
  }

  groupIds(): string[] {
    return [...this.groups.keys()].filter((g) => this.all(g).length > 0);
  }

  dropTopic(topic: string): void {
    for (const [g, topics] of this.groups) {
      for (const p of topics.get(topic)?.keys() ?? []) writeSync(this.fd, `${JSON.stringify({ g, t: topic, p, o: null })}\n`);
      topics.delete(topic);
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}
