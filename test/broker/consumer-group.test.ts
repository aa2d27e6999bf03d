import type { Consumer, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from './support/broker-fixture.js';
import { testKafka } from './support/kafka.js';

let tb: TestBroker;
beforeAll(async () => {
  tb = await startTestBroker({ defaultPartitions: 4 });
});
afterAll(async () => {
  await tb.stop();
});

async function until(cond: () => boolean, what: string, timeoutMs = 45_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Member {
  consumer: Consumer;
  seen: number[];
  joins: Array<Record<string, number[]>>;
}

async function member(kafka: Kafka, group: string, topic: string, slow: boolean): Promise<Member> {
  const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 200, heartbeatInterval: 300, sessionTimeout: 10_000, maxBytesPerPartition: 16 * 1024 });
  const m: Member = { consumer, seen: [], joins: [] };
  consumer.on(consumer.events.GROUP_JOIN, (e) => m.joins.push(e.payload.memberAssignment));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      for (const msg of batch.messages) {
        m.seen.push(Number(msg.value!.toString()));
        resolveOffset(msg.offset);
      }
      await heartbeat();
      if (slow) await new Promise((r) => setTimeout(r, 20));
    },
  });
  return m;
}

describe('consumer group coordinator', () => {
  it('rebalances a group of 2 while consuming, loses nothing and honours commits', async () => {
    const kafka = testKafka(tb.bootstrap);
    const producer = kafka.producer();
    await producer.connect();
    let next = 0;
    const produce = async (n: number): Promise<void> => {
      const messages = Array.from({ length: n }, () => {
        const v = next++;
        return { key: `k${v % 97}`, value: String(v) };
      });
      for (let i = 0; i < messages.length; i += 500) await producer.send({ topic: 'rb', messages: messages.slice(i, i + 500) });
    };
    await produce(20_000);

    const a = await member(kafka, 'rb-group', 'rb', true);
    await until(() => a.seen.length > 2000, 'member A to consume');
    const b = await member(kafka, 'rb-group', 'rb', true);
    await produce(20_000); // while the group rebalances
    await until(() => b.seen.length > 0 && a.joins.length >= 2, 'the rebalance to give B partitions');
    const lastA = a.joins.at(-1)!;
    const lastB = b.joins.at(-1)!;
    expect(Object.values(lastA).flat().length + Object.values(lastB).flat().length).toBe(4);
    expect(Object.values(lastA).flat().length).toBe(2);

    const union = (): Set<number> => new Set([...a.seen, ...b.seen]);
    await until(() => union().size >= 40_000, 'all 40k messages');

    // A leaves: B takes over every partition and keeps going.
    await a.consumer.disconnect();
    await produce(5_000);
    await until(() => union().size >= 45_000, 'messages after A left');
    expect(Object.values(b.joins.at(-1)!).flat().length).toBe(4);
    await b.consumer.disconnect();

    const all = union();
    for (let v = 0; v < next; v++) if (!all.has(v)) throw new Error(`message ${v} was never delivered`);

    // Commits were honoured: committed offsets equal the log end, so a new member starts after them.
    const admin = kafka.admin();
    await admin.connect();
    const ends = new Map((await admin.fetchTopicOffsets('rb')).map((o) => [o.partition, o.high]));
    const committed = await admin.fetchOffsets({ groupId: 'rb-group', topics: ['rb'] });
    for (const p of committed[0]!.partitions) expect(p.offset).toBe(ends.get(p.partition));
    await admin.disconnect();

    await producer.send({ topic: 'rb', messages: [{ key: 'k0', value: 'sentinel' }] });
    const c = kafka.consumer({ groupId: 'rb-group', maxWaitTimeInMs: 200 });
    const firstValues: string[] = [];
    await c.connect();
    await c.subscribe({ topic: 'rb', fromBeginning: true });
    await c.run({ eachMessage: async ({ message }) => void firstValues.push(message.value!.toString()) });
    await until(() => firstValues.length > 0, 'the sentinel');
    await new Promise((r) => setTimeout(r, 300));
    await c.disconnect();
    await producer.disconnect();
    expect(firstValues).toEqual(['sentinel']);
  }, 120_000);
});
