import { appendFileSync, readdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readBatchHeader } from '../../src/broker/protocol/record-batch.js';
import { PartitionLog } from '../../src/broker/storage/partition-log.js';
import { silentLogger } from '../../src/log/logger.js';
import { tempDir } from '../support/tmp.js';
import { captureLogger } from './support/broker-fixture.js';
import { buildBatch } from './support/batch-builder.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function dir(): string {
  const d = tempDir('k2-log-');
  cleanups.push(d.cleanup);
  return d.path;
}

function batchOf(n: number, tag: string): Buffer {
  return buildBatch({ records: Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `${tag}-${i}-${'x'.repeat(200)}` })) });
}

function append(log: PartitionLog, b: Buffer): bigint {
  return log.append(b, readBatchHeader(b));
}

function offsetsOf(batches: Buffer[]): bigint[] {
  return batches.map((b) => readBatchHeader(b).baseOffset);
}

describe('PartitionLog', () => {
  it('assigns consecutive offsets and reads whole batches from any offset, across segments', () => {
    const d = dir();
    const { log } = PartitionLog.open('t', 0, d, { segmentBytes: 8 * 1024 }, silentLogger);
    const bases: bigint[] = [];
    for (let i = 0; i < 60; i++) bases.push(append(log, batchOf(5, `b${i}`)));
    expect(bases[0]).toBe(0n);
    expect(bases[59]).toBe(295n);
    expect(log.highWatermark).toBe(300n);
    expect(readdirSync(d).filter((f) => f.endsWith('.log')).length).toBeGreaterThan(3);
    // offset 123 lies inside the batch starting at 120
    const got = log.read(123n, 1 << 20);
    expect(offsetsOf(got)[0]).toBe(120n);
    expect(offsetsOf(got).at(-1)).toBe(295n);
    expect(offsetsOf(got)).toEqual(bases.slice(24));
    // a tiny limit still returns one whole batch
    expect(offsetsOf(log.read(7n, 10))).toEqual([5n]);
    expect(log.read(300n, 1 << 20)).toEqual([]);
    log.close();
  });

  it('recovers offsets, index and contents after a restart', () => {
    const d = dir();
    const { log } = PartitionLog.open('t', 0, d, { segmentBytes: 16 * 1024 }, silentLogger);
    for (let i = 0; i < 40; i++) append(log, batchOf(3, `r${i}`));
    const before = log.read(0n, 1 << 30).map((b) => b.toString('hex'));
    log.close();
    const { log: again } = PartitionLog.open('t', 0, d, { segmentBytes: 16 * 1024 }, silentLogger);
    expect(again.highWatermark).toBe(120n);
    expect(again.read(0n, 1 << 30).map((b) => b.toString('hex'))).toEqual(before);
    expect(append(again, batchOf(1, 'after'))).toBe(120n);
    again.close();
  });

  it('truncates a torn last batch to the last whole batch, with a log line', () => {
    const d = dir();
    const { log } = PartitionLog.open('t', 0, d, { segmentBytes: 1 << 20 }, silentLogger);
    for (let i = 0; i < 10; i++) append(log, batchOf(2, `w${i}`));
    log.close();
    const seg = join(d, readdirSync(d).find((f) => f.endsWith('.log'))!);
    const whole = statSync(seg).size;
    const torn = batchOf(4, 'torn');
    appendFileSync(seg, torn.subarray(0, torn.length - 7));
    const cap = captureLogger('warn');
    const { log: again } = PartitionLog.open('t', 0, d, { segmentBytes: 1 << 20 }, cap.logger);
    expect(again.highWatermark).toBe(20n);
    expect(statSync(seg).size).toBe(whole);
    expect(cap.lines.join('\n')).toMatch(/truncated torn tail/);
    again.close();
  });

  it('drops a last batch whose bytes are corrupt (CRC mismatch)', () => {
    const d = dir();
    const { log } = PartitionLog.open('t', 0, d, { segmentBytes: 1 << 20 }, silentLogger);
    append(log, batchOf(2, 'ok'));
    const bad = batchOf(2, 'bad');
    append(log, bad);
    log.close();
    const seg = join(d, readdirSync(d).find((f) => f.endsWith('.log'))!);
    const size = statSync(seg).size;
    truncateSync(seg, size - 1);
    appendFileSync(seg, Buffer.from([0x5a]));
    const { log: again } = PartitionLog.open('t', 0, d, { segmentBytes: 1 << 20 }, silentLogger);
    expect(again.highWatermark).toBe(2n);
    again.close();
  });
});
