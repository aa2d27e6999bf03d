import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { prng } from '../support/prng.js';
import '../../src/bus/kafka-client.js';
import { createPartitioner, fastPartitionerApplied, murmur2, originalPartitioning } from '../../src/bus/kafkajs-fast-partitioner.js';
import { plainBatches } from '../../src/bus/kafkajs-fast-record-batch.js';
import { fastProduceRequestApplied, originalProduceRequest, type ProduceMessage, type ProduceRequestArgs, type ProduceRequestFn } from '../../src/bus/kafkajs-fast-produce-request.js';

const require = createRequire(import.meta.url);

describe('kafkajs murmur2 partitioner in 32-bit arithmetic', () => {
  const originals = originalPartitioning()!;

  it('is applied when the bus loads kafkajs', () => {
    expect(fastPartitionerApplied).toBe(true);
    expect(require('kafkajs/src/producer/partitioners/default/murmur2.js')).toBe(murmur2);
    expect(originals.murmur2).not.toBe(murmur2);
  });

  it('hashes random keys exactly like kafkajs', () => {
    const rand = prng(11);
    const keys: unknown[] = ['', 'a', 'ab', 'abc', 'abcd', 'key-1', '€𝄞', 12345, -7, Buffer.alloc(0), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x80])];
    for (let i = 0; i < 3000; i++) {
      const len = Math.floor(rand() * 70);
      const b = Buffer.from(Array.from({ length: len }, () => Math.floor(rand() * 256)));
      keys.push(i % 3 === 0 ? b.toString('latin1') : b);
    }
    for (const k of keys) expect(murmur2(k), String(k)).toBe(originals.murmur2(k));
    // Kafka's own test vectors (Utils.murmur2 in the Java client)
    expect(murmur2(Buffer.from('21'))).toBe(-973932308);
    expect(murmur2(Buffer.from('foobar'))).toBe(-790332482);
    expect(murmur2(Buffer.from('a-little-bit-long-string'))).toBe(-985981536);
  });

  it('partitions like kafkajs: explicit partition, key hash, then round robin over available leaders', () => {
    const rand = prng(12);
    const fast = createPartitioner(murmur2)();
    const orig = originals.createPartitioner(originals.murmur2)();
    const metadata = Array.from({ length: 7 }, (_, i) => ({ partitionId: i, leader: i % 3 === 0 ? -1 : 1 }));
    for (let i = 0; i < 2000; i++) {
      const message = rand() < 0.3 ? { partition: Math.floor(rand() * 7), key: 'x' } : { key: Buffer.from(String(rand())) };
      const args = { topic: 't', partitionMetadata: metadata, message };
      expect(fast(args)).toBe(orig(args));
    }
    // keyless: both walk the available partitions in the same cycle from a random start
    const seqFast = Array.from({ length: 20 }, () => fast({ topic: 'rr', partitionMetadata: metadata, message: { key: null } }));
    const seqOrig = Array.from({ length: 20 }, () => orig({ topic: 'rr', partitionMetadata: metadata, message: { key: null } }));
    const cycle = metadata.filter((p) => p.leader >= 0).map((p) => p.partitionId);
    const rotate = (seq: number[]): number[] => {
      const at = cycle.indexOf(seq[0]!);
      return seq.map((_, i) => cycle[(at + i) % cycle.length]!);
    };
    expect(seqFast).toEqual(rotate(seqFast));
    expect(seqOrig).toEqual(rotate(seqOrig));
    // no available leader: round robin over all partitions
    const down = metadata.map((p) => ({ ...p, leader: -1 }));
    const a = fast({ topic: 'down', partitionMetadata: down, message: {} });
    const b = fast({ topic: 'down', partitionMetadata: down, message: {} });
    expect((b - a + 7) % 7).toBe(1);
  });
});

class MessageWithPrototype {
  constructor(readonly value: string) {}
  get key(): string {
    return 'from-prototype';
  }
}

describe('kafkajs single-buffer Produce request', () => {
  const original = originalProduceRequest()!;
  const patched = require('kafkajs/src/protocol/requests/produce/v3/request.js') as ProduceRequestFn;
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('is applied when the bus loads kafkajs', () => {
    expect(fastProduceRequestApplied).toBe(true);
    expect(patched).not.toBe(original);
    const v7 = require('kafkajs/src/protocol/requests/produce/v7/request.js') as ProduceRequestFn;
    expect(v7({ acks: 1, timeout: 10, topicData: [] }).apiVersion).toBe(7);
  });

  it('encodes random requests byte for byte like kafkajs', async () => {
    vi.spyOn(Date, 'now').mockReturnValue(1_700_000_000_123);
    const rand = prng(13);
    const pick = <T,>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
    for (let n = 0; n < 150; n++) {
      const message = (): ProduceMessage => {
        const m: ProduceMessage = { key: pick([null, undefined, 'k', Buffer.from('kk'), '€']), value: pick([null, 'v', Buffer.alloc(Math.floor(rand() * 300), 7)]) };
        if (rand() < 0.3) m.headers = { h: pick(['x', ['a', Buffer.from('b')]]) };
        if (rand() < 0.5) m.timestamp = pick([1_600_000_000_000 + Math.floor(rand() * 1e6), 999, '1700000000000']);
        if (rand() < 0.05) return new MessageWithPrototype('p') as unknown as ProduceMessage;
        if (rand() < 0.05) return Object.assign(Object.create(null) as object, m) as ProduceMessage;
        return m;
      };
      const args: ProduceRequestArgs = {
        acks: pick([-1, 0, 1]),
        timeout: pick([30000, 5]),
        compression: pick([0, 0, 1]),
        topicData: Array.from({ length: pick([1, 2]) }, (_, t) => ({
          topic: pick([`topic-${t}`, `tøpic-${t}`]),
          partitions: Array.from({ length: pick([1, 3]) }, (_, p) => ({ partition: p, firstSequence: Math.floor(rand() * 100), messages: Array.from({ length: pick([0, 1, 10, 120]) }, message) })),
        })),
      };
      if (rand() < 0.3) args.transactionalId = pick(['tx', '', null]);
      if (rand() < 0.3) {
        args.producerId = 77;
        args.producerEpoch = 2;
      }
      const a = original(args);
      const b = patched(args);
      expect({ ...b, encode: null, expectResponse: b.expectResponse() }).toEqual({ ...a, encode: null, expectResponse: a.expectResponse() });
      const expected = (await a.encode()).buffer;
      const actual = (await b.encode()).buffer;
      expect(actual.equals(expected), `request ${n}`).toBe(true);
    }
  });

  it('writes partitions of plain messages (Buffer key and value, nothing else) without a record object, byte for byte like kafkajs', async () => {
    vi.spyOn(Date, 'now').mockReturnValue(1_700_000_000_456);
    const rand = prng(14);
    const pick = <T,>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
    // value sizes around every varint width, keys short and long
    const size = (): number => pick([0, 1, 63, 64, 127, 128, 200, 8191, 8192, 16383, 16384, Math.floor(rand() * 400)]);
    const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
    const before = plainBatches;
    let partitions = 0;
    for (let n = 0; n < 60; n++) {
      const args: ProduceRequestArgs = {
        acks: -1,
        timeout: 30000,
        compression: pick([0, 0, 1]),
        topicData: [
          {
            topic: 'market.crypto.trades.binance',
            partitions: Array.from({ length: pick([1, 2]) }, (_, p) => ({
              partition: p,
              firstSequence: pick([undefined, 0, Math.floor(rand() * 1e6)]),
              // 200 records: offset deltas past 63 take two varint bytes
              messages: Array.from({ length: pick([1, 5, 200]) }, () => (rand() < 0.1 ? { key: bytes(pick([0, 17, 40])), value: bytes(size()), partition: p } : { key: bytes(7), value: bytes(size()) })),
            })),
          },
        ],
      };
      partitions += args.topicData[0]!.partitions.length;
      if (rand() < 0.5) {
        args.producerId = 77;
        args.producerEpoch = 2;
      }
      const expected = (await original(args).encode()).buffer;
      const actual = (await patched(args).encode()).buffer;
      expect(actual.equals(expected), `request ${n}`).toBe(true);
    }
    expect(plainBatches - before).toBe(partitions);
    // one message that is not plain (a header, a timestamp, a string key) sends its partition the usual way
    for (const odd of [{ headers: { h: 'x' } }, { timestamp: 1_600_000_000_000 }, { key: 'k' }]) {
      const messages = [{ key: Buffer.from('BTCUSDT'), value: Buffer.from('v') }, { key: Buffer.from('ETHUSDT'), value: Buffer.from('w'), ...odd }];
      const args: ProduceRequestArgs = { acks: -1, timeout: 100, topicData: [{ topic: 't', partitions: [{ partition: 0, messages }] }] };
      const at = plainBatches;
      expect((await patched(args).encode()).buffer.equals((await original(args).encode()).buffer)).toBe(true);
      expect(plainBatches).toBe(at);
    }
  });

  it('fails like kafkajs on values kafkajs rejects', async () => {
    const args: ProduceRequestArgs = { acks: -1, timeout: 100, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: 'k', value: 5 }] }] }] };
    await expect(original(args).encode()).rejects.toThrow();
    await expect(patched(args).encode()).rejects.toThrow();
  });
});
