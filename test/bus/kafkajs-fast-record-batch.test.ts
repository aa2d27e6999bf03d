import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { prng } from '../support/prng.js';
import '../../src/bus/kafka-client.js';
import { crc32c, fastRecordBatchApplied, originalRecordEncoding, type RecordArgs, type RecordBatchArgs } from '../../src/bus/kafkajs-fast-record-batch.js';

const require = createRequire(import.meta.url);
const kafkajsCrc32C = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (b: Buffer) => number;
const patchedRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (a: RecordArgs) => unknown;
const patchedBatch = (require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: (a: RecordBatchArgs) => Promise<{ buffer: Buffer }> }).RecordBatch;
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (d: unknown) => Promise<{ records: Array<{ key: Buffer | null; value: Buffer | null; headers: Record<string, unknown>; offset: string; timestamp: string }> }>;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => object;


const POOL = ((): Buffer => {
  const rand = prng(1);
  return Buffer.from(Array.from({ length: 200_000 }, () => Math.floor(rand() * 256)));
})();

function randomBatchMessages(rand: () => number): { messages: Array<RecordArgs & { timestamp?: number }>; base: number } {
  const pick = <T,>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const bytes = (n: number): Buffer => {
    const at = Math.floor(rand() * (POOL.length - n));
    return Buffer.from(POOL.subarray(at, at + n));
  };
  const str = (n: number): string => Array.from({ length: n }, () => pick(['a', 'Z', '9', 'é', '€', '𝄞', ' ', '-'])).join('');
  const sizeOf = (): number => pick([0, 1, 5, 63, 64, 100, 127, 128, 300, 8191, 8192, 70_000]);
  const base = pick([0, 1_700_000_000_000, Date.now(), 2 ** 40]);
  const count = pick([0, 1, 2, 3, 17, 64, 150]);
  const messages = Array.from({ length: count }, () => {
    const m: RecordArgs & { timestamp?: number } = {
      key: pick<Buffer | string | null | undefined>([null, undefined, bytes(pick([0, 3, 16, 200])), str(pick([0, 4, 40]))]),
      value: pick<Buffer | string | null>([bytes(sizeOf()), bytes(sizeOf()), str(sizeOf()), null]),
    };
    if (rand() < 0.5) {
      const headers: Record<string, Buffer | string | Array<Buffer | string>> = {};
      const n = pick([0, 1, 3]);
      for (let i = 0; i < n; i++) headers[`${str(3)}${i}`] = pick<Buffer | string | Array<Buffer | string>>([str(5), bytes(pick([0, 10, 200])), [str(2), bytes(4)], []]);
      m.headers = headers;
    }
    const ts = pick([undefined, base, base + Math.floor(rand() * 100_000), base - Math.floor(rand() * 5_000), base + 2 ** 33]);
    if (ts !== undefined) m.timestamp = ts;
    return m;
  });
  return { messages, base };
}

/** What kafkajs's produce request does per partition (producer/v3 request.js), with a given record/batch encoder. */
async function encodePartition(Record: (a: RecordArgs) => unknown, RecordBatch: (a: RecordBatchArgs) => Promise<{ buffer: Buffer }>, messages: Array<RecordArgs & { timestamp?: number }>, now: number, extra: Partial<RecordBatchArgs>): Promise<Buffer> {
  const stamps = messages.map((m) => m.timestamp).filter((t): t is number => t != null).sort();
  const timestamps = stamps.length === 0 ? [now] : stamps;
  const firstTimestamp = timestamps[0]!;
  const records = messages.map((m, i) => Record({ ...m, offsetDelta: i, timestampDelta: (m.timestamp || now) - firstTimestamp }));
  const batch = await RecordBatch({ records, firstTimestamp, maxTimestamp: timestamps[timestamps.length - 1], lastOffsetDelta: records.length - 1, ...extra });
  return batch.buffer;
}

describe('kafkajs fast RecordBatch encoding', () => {
  const originals = originalRecordEncoding();

  it('is applied when the bus loads kafkajs', () => {
    expect(fastRecordBatchApplied).toBe(true);
    expect(originals).not.toBeNull();
    expect(patchedRecord).not.toBe(originals!.Record);
    expect(patchedBatch).not.toBe(originals!.RecordBatch);
    // the produce request module binds the patched functions
    const produce = require('kafkajs/src/protocol/requests/produce/v3/request.js') as unknown;
    expect(typeof produce).toBe('function');
  });

  it('computes CRC-32C exactly like kafkajs', () => {
    const rand = prng(7);
    for (let n = 0; n < 300; n++) {
      const len = n < 40 ? n : Math.floor(rand() * 5000);
      const b = randomBytes(len + 9);
      const start = Math.floor(rand() * 9);
      expect(crc32c(b, start, start + len)).toBe(kafkajsCrc32C(b.subarray(start, start + len)));
    }
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283); // the CRC-32C check value
  });

  it('encodes random batches byte-for-byte like kafkajs (no compression and gzip)', async () => {
    const rand = prng(42);
    for (let n = 0; n < 300; n++) {
      const { messages, base } = randomBatchMessages(rand);
      const gzip = n % 5 === 0;
      const extra: Partial<RecordBatchArgs> = {
        compression: gzip ? 1 : 0,
        producerId: n % 3 === 0 ? 12345 : -1,
        producerEpoch: n % 3 === 0 ? 7 : 0,
        firstSequence: n % 3 === 0 ? n * 1000 : 0,
        transactional: n % 7 === 0,
      };
      const expected = await encodePartition(originals!.Record, originals!.RecordBatch, messages, base, extra);
      const actual = await encodePartition(patchedRecord, patchedBatch, messages, base, extra);
      if (!gzip) expect(actual.equals(expected), `batch ${n}`).toBe(true);
      else {
        // gzip output carries no timestamp (level/OS fixed), so the bytes must match too
        expect(actual.equals(expected), `gzip batch ${n}`).toBe(true);
      }
    }
  });

  it('matches kafkajs for timestamp deltas beyond the plain-number range and odd inputs', async () => {
    const now = 1_700_000_000_000;
    const cases: Array<RecordArgs & { timestamp?: number }> = [
      { key: 'k', value: 'v', timestamp: 1 },
      { key: 'k', value: 'v', timestamp: 2 ** 53 - 1 }, // delta > 2^52: long.js path
      { key: 'k', value: 'v', timestamp: -(2 ** 52) - 5 },
    ];
    for (let i = 0; i < cases.length; i++) {
      for (let j = 0; j < cases.length; j++) {
        const messages = [cases[i]!, cases[j]!];
        const expected = await encodePartition(originals!.Record, originals!.RecordBatch, messages, now, {});
        const actual = await encodePartition(patchedRecord, patchedBatch, messages, now, {});
        expect(actual.equals(expected), `${i},${j}`).toBe(true);
      }
    }
    // a non-integer delta: kafkajs's long.js throws, and so must the patched path
    const half = [{ key: 'k', value: 'v', timestamp: now + 0.5 }, { value: 'v', timestamp: now }];
    await expect(encodePartition(originals!.Record, originals!.RecordBatch, half, now, {})).rejects.toThrow(RangeError);
    await expect(encodePartition(patchedRecord, patchedBatch, half, now, {})).rejects.toThrow(RangeError);
    // a number value: kafkajs's own Record decides (it throws); the patched one must too
    expect(() => originals!.Record({ value: 5 as unknown as string })).toThrow();
    expect(() => patchedRecord({ value: 5 as unknown as string })).toThrow();
  });

  it('produces batches kafkajs decodes back to the same records', async () => {
    const key = Buffer.from('key-1');
    const value = randomBytes(1000);
    const buf = await encodePartition(patchedRecord, patchedBatch, [{ key, value, headers: { h: ['a', 'b'] }, timestamp: 1000 }, { key: null, value: 'x', timestamp: 1005 }], 0, {});
    const decoded = await decodeBatch(new Decoder(buf));
    expect(decoded.records.map((r) => [r.key, r.value, r.offset, r.timestamp])).toEqual([
      [key, value, '0', '1000'],
      [null, Buffer.from('x'), '1', '1005'],
    ]);
    expect(decoded.records[0]!.headers).toEqual({ h: [Buffer.from('a'), Buffer.from('b')] });
  });
});
