import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/broker/protocol/error-codes.js';
import { startTestBroker, type TestBroker } from './support/broker-fixture.js';
import { buildBatch, parseProduceResponse, produceBody } from './support/batch-builder.js';
import { testKafka } from './support/kafka.js';
import { RawClient } from './support/raw-client.js';

let tb: TestBroker;
afterAll(async () => {
  await tb.stop();
});

/**
 * A TCP proxy in front of the broker that, for the Nth Produce request it sees,
 * forwards the request but swallows the response by cutting the connection:
 * exactly the "request applied, acknowledgement lost" case that makes an
 * idempotent producer retry.
 */
class ResponseDroppingProxy {
  produceSeen = 0;
  dropped = 0;
  constructor(readonly server: Server, readonly port: number) {}

  static async start(target: () => number, dropProduceNumbers: Set<number>): Promise<ResponseDroppingProxy> {
    let proxy!: ResponseDroppingProxy;
    const server = createServer((client: Socket) => {
      const upstream = connect(target(), '127.0.0.1');
      let pending = Buffer.alloc(0);
      let cutting = false;
      client.on('data', (d: Buffer) => {
        pending = Buffer.concat([pending, d]);
        while (pending.length >= 8 && pending.length >= 4 + pending.readInt32BE(0)) {
          const size = pending.readInt32BE(0);
          const apiKey = pending.readInt16BE(4);
          const frameBytes = pending.subarray(0, 4 + size);
          pending = pending.subarray(4 + size);
          upstream.write(frameBytes);
          if (apiKey === 0 && dropProduceNumbers.has(++proxy.produceSeen)) {
            cutting = true;
            proxy.dropped++;
            setTimeout(() => {
              client.destroy();
              upstream.destroy();
            }, 150);
          }
        }
      });
      upstream.on('data', (d: Buffer) => {
        if (!cutting) client.write(d);
      });
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const addr = server.address();
    proxy = new ResponseDroppingProxy(server, typeof addr === 'object' && addr ? addr.port : 0);
    return proxy;
  }
}

let proxy: ResponseDroppingProxy;
beforeAll(async () => {
  proxy = await ResponseDroppingProxy.start(() => tb.broker.listenPort, new Set([3, 7]));
  tb = await startTestBroker({ defaultPartitions: 1, advertisedPort: proxy.port });
});
afterAll(() => proxy.server.close());

describe('idempotent producer', () => {
  it('leaves no duplicates when kafkajs retries after a lost acknowledgement', async () => {
    const kafka = testKafka(`127.0.0.1:${proxy.port}`, 'idem');
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent: string[] = [];
    for (let i = 0; i < 10; i++) {
      const messages = Array.from({ length: 100 }, (_, j) => ({ key: 'k', value: `${i}-${j}` }));
      await producer.send({ topic: 'idem', acks: -1, messages });
      sent.push(...messages.map((m) => m.value));
    }
    await producer.disconnect();
    expect(proxy.dropped).toBe(2);
    expect(proxy.produceSeen).toBeGreaterThanOrEqual(12); // 10 sends + 2 retries

    const admin = testKafka(`127.0.0.1:${tb.broker.listenPort}`).admin();
    await admin.connect();
    const [offs] = await admin.fetchTopicOffsets('idem');
    await admin.disconnect();
    expect(offs!.high).toBe('1000');

    const consumer = testKafka(`127.0.0.1:${proxy.port}`).consumer({ groupId: 'idem-check', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'idem', fromBeginning: true });
    const got: string[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachBatch: async ({ batch }) => {
          got.push(...batch.messages.map((m) => m.value!.toString()));
          if (got.length >= 1000) resolve();
        },
      });
    });
    await consumer.disconnect();
    expect(got).toEqual(sent);
  }, 90_000);

  it('answers a resent batch with its original offset and rejects sequence gaps (raw protocol)', async () => {
    const raw = await RawClient.open(tb.broker.listenPort);
    const init = await raw.request(22, 1, 1, Buffer.from([0xff, 0xff, 0, 0, 0xea, 0x60]));
    expect(init.readInt16BE(8)).toBe(0);
    const pid = init.readBigInt64BE(10);
    const batch = (seq: number, n: number): Buffer =>
      buildBatch({ producerId: pid, epoch: 0, baseSequence: seq, records: Array.from({ length: n }, (_, i) => ({ key: 'r', value: `s${seq + i}` })) });
    const send = async (b: Buffer, corr: number) => parseProduceResponse(await raw.request(0, 7, corr, produceBody('raw-idem', 0, b)));

    expect(await send(batch(0, 3), 2)).toEqual({ error: 0, baseOffset: 0n });
    expect(await send(batch(0, 3), 3)).toEqual({ error: 0, baseOffset: 0n }); // duplicate: success, same offset
    expect((await send(batch(5, 1), 4)).error).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(await send(batch(3, 2), 5)).toEqual({ error: 0, baseOffset: 3n });
    expect(await send(batch(0, 3), 6)).toEqual({ error: 0, baseOffset: 0n }); // still within the last 5 batches
    const bumped = buildBatch({ producerId: pid, epoch: 1, baseSequence: 0, records: [{ key: 'r', value: 'e1' }] });
    expect(await send(bumped, 7)).toEqual({ error: 0, baseOffset: 5n });
    const fenced = buildBatch({ producerId: pid, epoch: 0, baseSequence: 5, records: [{ key: 'r', value: 'old' }] });
    expect((await send(fenced, 8)).error).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    raw.close();
  });
});
