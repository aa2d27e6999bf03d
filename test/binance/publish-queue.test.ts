import { describe, expect, it } from 'vitest';
import type { TaggedRecord } from '../../src/model/record-kind.js';
import { PublishQueue } from '../../src/sources/binance/publish-queue.js';
import type { AvroBodyWriter } from '../../src/schema/packed-wire-builder.js';
import type { RecordSink, SealingSink, TradeBodySealer } from '../../src/sources/binance/record-sink.js';
import { quote, trade } from '../support/v2-records.js';

const t = (id: number): TaggedRecord => ({ kind: 'trades', record: trade({ id }) });
const q = (id: number): TaggedRecord => ({ kind: 'quotes', record: quote(id) });
const idOf = (r: TaggedRecord): string => (r.kind === 'trades' ? r.record.trade_id : r.kind === 'quotes' ? r.record.quote_id : '?');

/** Seals a batch into its ids; refuses to seal a batch holding a given id. */
class IdSealingSink implements SealingSink<string[]> {
  readonly published: string[][] = [];
  sealCalls = 0;
  constructor(private readonly unsealable = new Set<string>()) {}
  seal(batch: TaggedRecord[]): string[] {
    this.sealCalls++;
    const ids = batch.map(idOf);
    if (ids.some((id) => this.unsealable.has(id))) throw new Error('cannot encode');
    return ids;
  }
  async publishSealed(batches: string[][]): Promise<void> {
    this.published.push(batches.flat());
  }
  async publish(batch: TaggedRecord[]): Promise<void> {
    this.published.push(batch.map((r) => `raw:${idOf(r)}`));
  }
}

async function drain(queue: PublishQueue): Promise<void> {
  for (let b = queue.take(); b !== null; b = queue.take()) await b.publish();
}

describe('PublishQueue', () => {
  it('with a sealing sink: seals what is queued at once, then publishes consecutive pieces as one batch of at most maxBatch', async () => {
    const sink = new IdSealingSink();
    const queue = new PublishQueue(sink, 100, 5);
    for (const id of [1, 2, 3]) queue.push(t(id));
    queue.seal();
    queue.push(q(4));
    queue.seal();
    for (const id of [5, 6, 7]) queue.push(t(id));
    queue.seal();
    expect(sink.sealCalls).toBe(3);
    expect(queue.size).toBe(7);
    const first = queue.take()!;
    // 3 + 1 fit in 5; the next piece of 3 would not
    expect([first.records, first.trades]).toEqual([4, 3]);
    expect(queue.size).toBe(3);
    await first.publish();
    await drain(queue);
    expect(sink.published).toEqual([['BINANCE-1', 'BINANCE-2', 'BINANCE-3', 'BINANCE-4'], ['BINANCE-5', 'BINANCE-6', 'BINANCE-7']]);
    expect(queue.size).toBe(0);
  });

  it('cuts a large read into pieces of maxBatch', async () => {
    const sink = new IdSealingSink();
    const queue = new PublishQueue(sink, 100, 4);
    for (let id = 1; id <= 10; id++) queue.push(t(id));
    queue.seal();
    await drain(queue);
    expect(sink.published.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(sink.published.flat()).toEqual(Array.from({ length: 10 }, (_, i) => `BINANCE-${i + 1}`));
  });

  it('publishes a batch it could not seal through publish, alone and in its place', async () => {
    const sink = new IdSealingSink(new Set(['BINANCE-3']));
    const queue = new PublishQueue(sink, 100, 10);
    for (const id of [1, 2]) queue.push(t(id));
    queue.seal();
    for (const id of [3, 4]) queue.push(t(id));
    queue.seal();
    queue.push(t(5));
    queue.seal();
    await drain(queue);
    expect(sink.published).toEqual([['BINANCE-1', 'BINANCE-2'], ['raw:BINANCE-3', 'raw:BINANCE-4'], ['BINANCE-5']]);
  });

  it('puts a failed batch back at the front, before anything queued since', async () => {
    const sink = new IdSealingSink();
    const queue = new PublishQueue(sink, 100, 10);
    for (const id of [1, 2]) queue.push(t(id));
    const failed = queue.take()!;
    queue.push(t(3));
    failed.putBack();
    expect(queue.size).toBe(3);
    await drain(queue);
    expect(sink.published.flat()).toEqual(['BINANCE-1', 'BINANCE-2', 'BINANCE-3']);
  });

  it('with a plain sink: records wait as they are and go out maxBatch at a time', async () => {
    const got: string[][] = [];
    const sink: RecordSink = { publish: async (batch) => void got.push(batch.map(idOf)) };
    const queue = new PublishQueue(sink, 100, 2);
    for (const id of [1, 2, 3]) queue.push(t(id));
    queue.seal(); // no-op
    expect(queue.size).toBe(3);
    const b = queue.take()!;
    b.putBack();
    await drain(queue);
    expect(got).toEqual([['BINANCE-1', 'BINANCE-2'], ['BINANCE-3']]);
  });
});

/** An IdSealingSink whose trade sealer takes bodies that write "D<id>" (an id the test gives each body). */
class DirectIdSink extends IdSealingSink {
  available = true;
  private open: string[] = [];
  tradeSealer(): TradeBodySealer<string[]> | null {
    if (!this.available) return null;
    const self = this;
    return {
      get count() {
        return self.open.length;
      },
      append(_symbol: string, body: AvroBodyWriter) {
        const buf = Buffer.alloc(32);
        const end = body.writeBody(buf, 0);
        self.open.push(buf.toString('latin1', 0, end));
      },
      finish() {
        const done = self.open;
        self.open = [];
        return done;
      },
    };
  }
}

/** A body writing "D<id>". */
const body = (id: number): AvroBodyWriter => ({ writeBody: (buf, pos) => pos + buf.write(`D${id}`, pos, 'latin1') });

describe('PublishQueue with trades written straight from frames (pushTrade)', () => {
  it('keeps the order of records and direct trades, cuts direct batches at maxBatch, and counts them in size', async () => {
    const sink = new DirectIdSink();
    const queue = new PublishQueue(sink, 100, 3);
    queue.push(t(1));
    expect(queue.pushTrade('BTCUSDT', body(2))).toBe(true);
    expect(queue.pushTrade('BTCUSDT', body(3))).toBe(true);
    expect(queue.size).toBe(3);
    queue.push(q(4)); // closes the direct batch: it stays behind 2 and 3
    for (const id of [5, 6, 7, 8]) expect(queue.pushTrade('BTCUSDT', body(id))).toBe(true);
    expect(queue.size).toBe(8);
    const first = queue.take()!;
    expect([first.records, first.trades]).toEqual([3, 3]);
    await first.publish();
    await drain(queue);
    // pieces [1] [D2 D3] [4] [D5 D6 D7] (full at maxBatch) [D8], merged up to maxBatch records
    expect(sink.published).toEqual([['BINANCE-1', 'D2', 'D3'], ['BINANCE-4'], ['D5', 'D6', 'D7'], ['D8']]);
    expect(queue.size).toBe(0);
  });

  it('says no when the sink cannot take them now, and queues nothing', async () => {
    const sink = new DirectIdSink();
    sink.available = false;
    const queue = new PublishQueue(sink, 100, 10);
    expect(queue.pushTrade('BTCUSDT', body(1))).toBe(false);
    expect(queue.size).toBe(0);
    const plain = new PublishQueue(new IdSealingSink(), 100, 10);
    expect(plain.pushTrade('BTCUSDT', body(1))).toBe(false);
    const recordSink: RecordSink = { publish: async () => undefined };
    expect(new PublishQueue(recordSink, 100, 10).pushTrade('BTCUSDT', body(1))).toBe(false);
  });

  it('drains an open direct batch in its place (unsealed through the sink)', () => {
    class UnsealingDirectSink extends DirectIdSink {
      unseal(sealed: string[]): TaggedRecord[] {
        return sealed.map((id) => t(Number(id.replace(/\D/g, ''))));
      }
    }
    const queue = new PublishQueue(new UnsealingDirectSink(), 100, 10);
    queue.push(t(1));
    queue.pushTrade('BTCUSDT', body(2));
    queue.pushTrade('BTCUSDT', body(3));
    const { records, unrecoverable } = queue.drain();
    expect(records.map(idOf)).toEqual(['BINANCE-1', 'BINANCE-2', 'BINANCE-3']);
    expect(unrecoverable).toBe(0);
    expect(queue.size).toBe(0);
  });
});
