import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from './support/broker-fixture.js';
import { testKafka } from './support/kafka.js';

let tb: TestBroker;
beforeAll(async () => {
  tb = await startTestBroker({ defaultPartitions: 3 });
});
afterAll(async () => {
  await tb.stop();
});

describe('kafkajs against the embedded broker over TCP', () => {
  it('produces and consumes 100k keyed records with per-key order and no loss or duplicates', async () => {
    const kafka = testKafka(tb.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic: 'keyed', numPartitions: 3 }] })).toBe(true);
    expect(await admin.createTopics({ topics: [{ topic: 'keyed', numPartitions: 3 }] })).toBe(false);

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const total = 100_000;
    const keys = 50;
    for (let start = 0; start < total; start += 1000) {
      const messages = Array.from({ length: 1000 }, (_, i) => {
        const n = start + i;
        return { key: `sym-${n % keys}`, value: `${n}` };
      });
      await producer.send({ topic: 'keyed', acks: -1, messages });
    }
    await producer.disconnect();

    const offsets = await admin.fetchTopicOffsets('keyed');
    expect(offsets.reduce((s, o) => s + Number(o.high) - Number(o.low), 0)).toBe(total);

    const consumer = kafka.consumer({ groupId: 'reader', maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'keyed', fromBeginning: true });
    const seen = new Set<number>();
    const lastPerKey = new Map<string, number>();
    const partitionOfKey = new Map<string, number>();
    let duplicates = 0;
    let outOfOrder = 0;
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            const n = Number(m.value!.toString());
            const key = m.key!.toString();
            if (seen.has(n)) duplicates++;
            seen.add(n);
            if ((lastPerKey.get(key) ?? -1) > n) outOfOrder++;
            lastPerKey.set(key, n);
            expect(partitionOfKey.get(key) ?? batch.partition).toBe(batch.partition);
            partitionOfKey.set(key, batch.partition);
          }
          if (seen.size >= total) resolve();
        },
      });
    });
    await consumer.disconnect();
    expect(seen.size).toBe(total);
    expect(duplicates).toBe(0);
    expect(outOfOrder).toBe(0);
    expect(new Set(partitionOfKey.values()).size).toBe(3);

    const groups = await admin.listGroups();
    expect(groups.groups.map((g) => g.groupId)).toContain('reader');
    const committed = await admin.fetchOffsets({ groupId: 'reader', topics: ['keyed'] });
    const byPartition = new Map(offsets.map((o) => [o.partition, o.high]));
    for (const p of committed[0]!.partitions) expect(p.offset).toBe(byPartition.get(p.partition));
    await admin.deleteTopics({ topics: ['keyed'] });
    expect(await admin.listTopics()).not.toContain('keyed');
    await admin.disconnect();
  }, 120_000);

  it('serves gzip-compressed batches unchanged', async () => {
    const { CompressionTypes } = await import('kafkajs');
    const kafka = testKafka(tb.bootstrap);
    const producer = kafka.producer();
    await producer.connect();
    const messages = Array.from({ length: 500 }, (_, i) => ({ key: `k${i % 7}`, value: `gz-${i}-${'abc'.repeat(20)}` }));
    await producer.send({ topic: 'gz', compression: CompressionTypes.GZIP, messages });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'gz-reader', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'gz', fromBeginning: true });
    const got: string[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          got.push(message.value!.toString());
          if (got.length === 500) resolve();
        },
      });
    });
    await consumer.disconnect();
    expect(got.sort()).toEqual(messages.map((m) => m.value).sort());
  });

  it('answers ListOffsets earliest/latest and describes groups', async () => {
    const kafka = testKafka(tb.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    const offs = await admin.fetchTopicOffsets('gz');
    expect(offs.map((o) => o.partition).sort()).toEqual([0, 1, 2]); // auto-created with the default 3 partitions
    expect(offs.reduce((s, o) => s + Number(o.high), 0)).toBe(500);
    expect(offs.every((o) => o.low === '0')).toBe(true);
    const described = await admin.describeGroups(['gz-reader', 'no-such-group']);
    expect(described.groups.find((g) => g.groupId === 'gz-reader')!.state).toBe('Empty');
    expect(described.groups.find((g) => g.groupId === 'no-such-group')!.state).toBe('Dead');
    await admin.disconnect();
  });

  it('rejects illegal topics, supports simple (generation -1) commits and offsets by timestamp', async () => {
    const kafka = testKafka(tb.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await expect(admin.createTopics({ topics: [{ topic: 'bad/name' }] })).rejects.toThrow();
    await expect(admin.createTopics({ topics: [{ topic: 'zero', numPartitions: 0 }] })).rejects.toThrow();
    await admin.createTopics({ topics: [{ topic: 'ts', numPartitions: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'ts', messages: [{ value: 'a', timestamp: '1000' }] });
    await producer.send({ topic: 'ts', messages: [{ value: 'b', timestamp: '2000' }, { value: 'c', timestamp: '3000' }] });
    await producer.disconnect();
    expect(await admin.fetchTopicOffsetsByTimestamp('ts', 1500)).toEqual([{ partition: 0, offset: '1' }]);
    expect(await admin.fetchTopicOffsetsByTimestamp('ts', 9999)).toEqual([{ partition: 0, offset: '3' }]); // none: kafkajs falls back to the high watermark
    await admin.setOffsets({ groupId: 'manual', topic: 'ts', partitions: [{ partition: 0, offset: '2' }] });
    const [fetched] = await admin.fetchOffsets({ groupId: 'manual', topics: ['ts'] });
    expect(fetched!.partitions).toEqual([{ partition: 0, offset: '2', metadata: null }]);
    await admin.disconnect();
  });
});
