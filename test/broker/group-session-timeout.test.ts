import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writer } from '../../src/broker/protocol/primitives.js';
import { startTestBroker, type TestBroker } from './support/broker-fixture.js';
import { testKafka } from './support/kafka.js';
import { RawClient } from './support/raw-client.js';

let tb: TestBroker;
beforeAll(async () => {
  tb = await startTestBroker({ defaultPartitions: 2 });
});
afterAll(async () => {
  await tb.stop();
});

/** Consumer-protocol subscription metadata (version 0, one topic, no user data), as kafkajs decodes it. */
function subscription(topic: string): Buffer {
  return new Writer().int16(0).int32(1).string(topic).int32(0).finish();
}

describe('group coordinator session timeouts', () => {
  it('drops a member that stops heartbeating and completes the rebalance without it', async () => {
    const kafka = testKafka(tb.bootstrap);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'st', messages: Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: String(i) })) });
    await producer.disconnect();

    // A raw member joins with a 1.5 s session timeout, syncs, then goes silent (as if its process froze).
    const raw = await RawClient.open(tb.broker.listenPort);
    const join = new Writer().string('st-group').int32(1500).int32(1500).string('').string('consumer');
    join.int32(1).string('RoundRobinAssigner').bytes(subscription('st'));
    const joined = await raw.request(11, 3, 1, Buffer.from(join.finish()));
    // throttle(4) error(2) generation(4) protocol(2+n) leader(2+n) member(2+n)
    expect(joined.readInt16BE(8)).toBe(0);
    const generation = joined.readInt32BE(10);
    let o = 14;
    const protocolLen = joined.readInt16BE(o);
    o += 2 + protocolLen;
    const leaderLen = joined.readInt16BE(o);
    o += 2 + leaderLen;
    const memberLen = joined.readInt16BE(o);
    const memberId = joined.toString('utf8', o + 2, o + 2 + memberLen);
    const sync = new Writer().string('st-group').int32(generation).string(memberId).int32(0);
    const synced = await raw.request(14, 2, 2, Buffer.from(sync.finish()));
    expect(synced.readInt16BE(8)).toBe(0);

    // A kafkajs member joins; the group waits for the silent member until its session expires.
    const consumer = kafka.consumer({ groupId: 'st-group', maxWaitTimeInMs: 100, rebalanceTimeout: 60_000 });
    const assignments: Array<Record<string, number[]>> = [];
    consumer.on(consumer.events.GROUP_JOIN, (e) => assignments.push(e.payload.memberAssignment));
    await consumer.connect();
    await consumer.subscribe({ topic: 'st', fromBeginning: true });
    const seen = new Set<string>();
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.add(message.value!.toString());
          if (seen.size === 100) resolve();
        },
      });
    });
    await consumer.disconnect();
    raw.close();
    expect(assignments.at(-1)).toEqual({ st: [0, 1] });
    expect(tb.logs.join('\n')).toMatch(/member removed group=st-group .*reason="session timeout 1500 ms expired"/);
  }, 60_000);
});
