import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { prng } from '../support/prng.js';
import '../../src/bus/kafka-client.js';
import { createFastBatch, fastConsumerBatchApplied, originalBatch, safeOffset, type BatchClass } from '../../src/bus/kafkajs-fast-consumer-batch.js';

const require = createRequire(import.meta.url);

/** Everything observable about a Batch: its fields in order and what its methods answer (or throw). */
function observe(B: BatchClass, topic: string, fetchedOffset: unknown, data: ConstructorParameters<BatchClass>[2]): unknown {
  let b: Record<string, unknown>;
  try {
    b = new B(topic, fetchedOffset, data) as unknown as Record<string, unknown>;
  } catch (e) {
    return { threw: `${(e as Error).name}: ${(e as Error).message}` };
  }
  const call = (m: string): unknown => {
    try {
      return (b[m] as () => unknown).call(b);
    } catch (e) {
      return `threw ${(e as Error).name}`;
    }
  };
  return {
    keys: Object.keys(b),
    fields: Object.keys(b).map((k) => b[k]),
    methods: ['isEmpty', 'isEmptyIncludingFiltered', 'isEmptyDueToFiltering', 'isEmptyControlRecord', 'isEmptyDueToLogCompactedMessages', 'firstOffset', 'lastOffset', 'offsetLag', 'offsetLagLow'].map(call),
  };
}

describe('kafkajs consumer Batch with numeric offset filtering', () => {
  const Original = originalBatch()!;
  const Fast = createFastBatch(Original);

  it('is applied when the bus loads kafkajs', () => {
    expect(fastConsumerBatchApplied).toBe(true);
    expect(require('kafkajs/src/consumer/batch.js')).not.toBe(Original);
    expect(new Fast('t', '0', { partition: 0, highWatermark: '0', messages: [] })).toBeInstanceOf(Original);
  });

  it('reads offsets exactly as long.js would', () => {
    expect(safeOffset('0')).toBe(0);
    expect(safeOffset('-1')).toBe(-1);
    expect(safeOffset('9007199254740991')).toBe(2 ** 53 - 1);
    for (const odd of ['', '-', ' 5', '5 ', '1e3', '1.0', '0x10', '+5', '9007199254740993', 'NaN', null, undefined, 1.5, 2 ** 60, {}]) expect(safeOffset(odd)).toBeNaN();
    expect(safeOffset(42)).toBe(42);
  });

  it('builds the same batches as kafkajs for random fetches, aborted transactions and odd offsets', () => {
    const rand = prng(5);
    const pick = <T,>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
    for (let n = 0; n < 400; n++) {
      const base = pick([0, 1000, 2 ** 53 - 50, 2 ** 60]);
      const count = pick([0, 1, 3, 20]);
      const producerId = pick(['7', '8']);
      const messages = Array.from({ length: count }, (_, i) => {
        const off = BigInt(base) + BigInt(i);
        return {
          offset: pick([off.toString(), off.toString(), ` ${off}`, `${off}.0`].slice(0, n % 10 === 0 ? 4 : 2)),
          key: pick([null, Buffer.from([0, 0, 0, 0]), Buffer.from('k')]),
          value: Buffer.from('v'),
          isControlRecord: rand() < 0.1,
          batchContext: { producerId, inTransaction: rand() < 0.3 },
        };
      });
      const fetched = pick<unknown>([String(BigInt(base) + BigInt(Math.floor(count / 2))), String(base), base + 1, '0', '-1', n % 7 === 0 ? '1e3' : '5', n % 13 === 0 ? '' : '2']);
      const aborted = rand() < 0.2 ? [{ producerId, firstOffset: String(BigInt(base) + 1n) }] : [];
      const data = { partition: 3, highWatermark: String(BigInt(base) + BigInt(count)), abortedTransactions: aborted, messages };
      expect(observe(Fast, 'topic', fetched, data), `case ${n}`).toStrictEqual(observe(Original, 'topic', fetched, data));
    }
  });
});
