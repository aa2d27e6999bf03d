import { afterAll, describe, expect, it } from 'vitest';
import { startBus } from '../../src/bus/bus-session.js';
import { silentLogger } from '../../src/log/logger.js';
import { tempDir } from '../support/tmp.js';
import { testKafka } from './support/kafka.js';
import { freePort, startBrokerProcess } from './support/k2-broker-process.js';

const dir = tempDir('k2-crash-');
afterAll(() => dir.cleanup());

describe('k2 broker durability', () => {
  it('loses no acknowledged (acks=-1) record when killed with SIGKILL mid-load', async () => {
    const port = await freePort();
    const first = await startBrokerProcess(dir.path, port, ['--partitions', '2']);
    const kafka = testKafka(first.bootstrap, 'crash-producer');
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 100 } });
    await producer.connect();

    const acked: number[] = [];
    let next = 0;
    let stop = false;
    const load = (async () => {
      while (!stop) {
        const messages = Array.from({ length: 200 }, () => {
          const v = next++;
          return { key: `k${v % 13}`, value: String(v) };
        });
        try {
          await producer.send({ topic: 'durable', acks: -1, messages });
          for (const m of messages) acked.push(Number(m.value));
        } catch {
          return; // the broker died under us: these were not acknowledged
        }
      }
    })();
    while (acked.length < 20_000) await new Promise((r) => setTimeout(r, 20));
    await first.stop('SIGKILL'); // mid-load: the loop is still sending
    stop = true;
    await load;
    await producer.disconnect().catch(() => undefined);
    expect(first.child.signalCode).toBe('SIGKILL');

    const second = await startBrokerProcess(dir.path, port);
    try {
      const k2 = testKafka(second.bootstrap, 'crash-reader');
      const admin = k2.admin();
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets('durable');
      await admin.disconnect();
      const total = offsets.reduce((s, o) => s + Number(o.high), 0);
      expect(total).toBeGreaterThanOrEqual(acked.length);

      const consumer = k2.consumer({ groupId: 'crash-check', maxWaitTimeInMs: 200 });
      await consumer.connect();
      await consumer.subscribe({ topic: 'durable', fromBeginning: true });
      const seen = new Set<number>();
      await new Promise<void>((resolve) => {
        void consumer.run({
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) seen.add(Number(m.value!.toString()));
            if (seen.size >= total) resolve();
          },
        });
      });
      await consumer.disconnect();
      const missing = acked.filter((v) => !seen.has(v));
      expect(missing).toEqual([]);

      // The restarted broker keeps accepting writes after the recovered tail.
      const p2 = k2.producer({ idempotent: true, maxInFlightRequests: 1 });
      await p2.connect();
      const [res] = await p2.send({ topic: 'durable', acks: -1, messages: [{ key: 'k0', value: 'after-restart' }] });
      await p2.disconnect();
      expect(BigInt(res!.baseOffset!)).toBeGreaterThanOrEqual(0n);

      // The SIGKILLed broker left a stale lock that the restart replaced; a bus session
      // on the same data dir now finds the running `k2 broker` and uses it.
      const session = await startBus({ globals: { dataDir: dir.path, brokers: null, logLevel: 'silent', json: false }, logger: silentLogger });
      expect(session.mode).toBe('k2-broker');
      expect(session.endpoints).toEqual({ brokers: [second.bootstrap], registryUrl: second.registryUrl });
      await session.close();
    } finally {
      await second.stop();
    }
  }, 150_000);
});
