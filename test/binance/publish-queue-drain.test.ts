/**
 * PublishQueue.drain(), used when the stream gives up publishing at its shutdown deadline:
 * every queued record comes back, oldest first (sealed ones through the sink's unseal,
 * the real bus producer's included), so that it can be dead-lettered instead of lost.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { RecordProducer } from '../../src/bus/record-producer.js';
import { startBus } from '../../src/bus/bus-session.js';
import { sealTagged, unsealTagged } from '../../src/bus/tagged-record-publisher.js';
import { silentLogger } from '../../src/log/logger.js';
import type { TaggedRecord } from '../../src/model/record-kind.js';
import { PublishQueue } from '../../src/sources/binance/publish-queue.js';
import type { SealingSink } from '../../src/sources/binance/record-sink.js';
import { quote, trade } from '../support/v2-records.js';
import { tempDir } from '../support/tmp.js';

const t = (id: number): TaggedRecord => ({ kind: 'trades', record: trade({ id }) });
const q = (id: number): TaggedRecord => ({ kind: 'quotes', record: quote(id) });
const idOf = (r: TaggedRecord): string => (r.kind === 'trades' ? r.record.trade_id : r.kind === 'quotes' ? r.record.quote_id : '?');

/** Seals a batch by keeping its records in a wrapper; unseals them back unless told not to. */
class WrappingSink implements SealingSink<{ wrapped: TaggedRecord[] }> {
  constructor(private readonly canUnseal = true) {}
  seal(batch: TaggedRecord[]): { wrapped: TaggedRecord[] } {
    return { wrapped: batch };
  }
  async publishSealed(): Promise<void> {
    throw new Error('broker unavailable');
  }
  async publish(): Promise<void> {
    throw new Error('broker unavailable');
  }
  get unseal(): ((s: { wrapped: TaggedRecord[] }) => TaggedRecord[]) | undefined {
    return this.canUnseal ? (s) => s.wrapped : undefined;
  }
}

const dir = tempDir('k2-drain-');
afterAll(() => dir.cleanup());

describe('PublishQueue.drain', () => {
  it('returns the batch put back, the sealed pieces and the unsealed records, oldest first, and empties the queue', () => {
    const queue = new PublishQueue(new WrappingSink(), 100, 3);
    for (const id of [1, 2, 3, 4]) queue.push(t(id));
    queue.seal(); // pieces [1,2,3] [4]
    const inFlight = queue.take()!; // [1,2,3] and [4] do not fit in 3: [1,2,3] goes out
    expect(inFlight.records).toBe(3);
    queue.push(q(5));
    queue.seal();
    queue.push(t(6)); // not sealed yet
    inFlight.putBack(); // the deadline passed while it was in flight
    const drained = queue.drain();
    expect(drained.unrecoverable).toBe(0);
    expect(drained.records.map(idOf)).toEqual(['BINANCE-1', 'BINANCE-2', 'BINANCE-3', 'BINANCE-4', 'BINANCE-5', 'BINANCE-6']);
    expect(queue.size).toBe(0);
    expect(queue.take()).toBeNull();
  });

  it('counts sealed records a sink cannot give back, and still returns the rest', () => {
    const queue = new PublishQueue(new WrappingSink(false), 100, 10);
    for (const id of [1, 2]) queue.push(t(id));
    queue.seal();
    queue.push(t(3));
    const drained = queue.drain();
    expect(drained.unrecoverable).toBe(2);
    expect(drained.records.map(idOf)).toEqual(['BINANCE-3']);
  });

  it("with the bus producer: unsealTagged gives back exactly the records that were sealed (decimals, micros, nulls, maps)", async () => {
    const bus = await startBus({ globals: { dataDir: dir.path, brokers: null, logLevel: 'silent', json: false }, logger: silentLogger });
    try {
      const producer = await RecordProducer.connect(bus.endpoints, { logger: silentLogger, embedded: true });
      try {
        const topics = { trades: 'market.crypto.trades.binance', quotes: 'market.crypto.quotes.binance' };
        await Promise.all([producer.prepare(topics.trades, 'trades'), producer.prepare(topics.quotes, 'quotes')]);
        const batch = [t(1), q(2), t(3), { kind: 'trades', record: trade({ id: 4, price: '-0.00000001', qty: '9999999999.99999999', vendor_data: null }) } as TaggedRecord];
        const sealed = sealTagged(producer, topics, batch);
        expect('packed' in sealed.trades && 'packed' in sealed.quotes).toBe(true); // really encoded
        // unsealed: trades, then quotes
        expect(unsealTagged(producer, sealed)).toEqual([batch[0], batch[2], batch[3], batch[1]]);
      } finally {
        await producer.close();
      }
    } finally {
      await bus.close();
    }
  });
});
