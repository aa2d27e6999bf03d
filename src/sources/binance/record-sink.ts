/**
 * Where the stream client delivers v2 records. The CLI plugs in the bus producer;
 * tests and benches use an in-memory sink. `publish` resolving means the batch is
 * durable as far as the sink is concerned; a rejection makes the client retry the
 * same batch (it never drops records).
 */
import type { TaggedRecord } from '../../model/record-kind.js';
import type { AvroBodyWriter } from '../../schema/packed-wire-builder.js';

export interface RecordSink {
  publish(batch: TaggedRecord[]): Promise<void>;
  /** Flushes anything the sink itself buffers (called on shutdown). */
  flush?(): Promise<void>;
}

/**
 * A sink that can turn records into its own compact form at once (the bus: Avro wire
 * messages). The client seals what each socket read produced right away, so the record
 * objects die young instead of waiting (and being promoted) until the sink is free, and
 * later publishes several sealed batches as one, in order. `seal` may throw (a record the
 * sink cannot encode): the client then publishes that batch through `publish`, as before.
 * `unseal` gives a sealed batch's records back, for a client that gives up publishing (the
 * shutdown deadline) and must still account for every record; without it such records can
 * only be counted.
 */
export interface SealingSink<S> extends RecordSink {
  seal(batch: TaggedRecord[]): S;
  publishSealed(batches: S[]): Promise<void>;
  unseal?(sealed: S): TaggedRecord[];
  /**
   * A sealer for trades whose trade_v2 Avro bodies the client writes itself, straight from
   * the frame (no record object), or null when the sink cannot take them now (the client
   * then queues records, as for any sink). Its batches are sealed batches like seal()'s.
   */
  tradeSealer?(): TradeBodySealer<S> | null;
}

/** Seals trades from their Avro bodies (see SealingSink.tradeSealer); reusable: finish() starts the next batch. */
export interface TradeBodySealer<S> {
  /** Trades appended since the last finish(). */
  readonly count: number;
  /** Appends one trade of `symbol`; `body` writes its trade_v2 Avro body. */
  append(symbol: string, body: AvroBodyWriter): void;
  finish(): S;
}

export function isSealingSink(sink: RecordSink): sink is SealingSink<unknown> {
  const s = sink as Partial<SealingSink<unknown>>;
  return typeof s.seal === 'function' && typeof s.publishSealed === 'function';
}

/** Keeps every record in memory, in arrival order. */
export class MemorySink implements RecordSink {
  readonly records: TaggedRecord[] = [];
  batches = 0;

  async publish(batch: TaggedRecord[]): Promise<void> {
    this.batches++;
    for (const r of batch) this.records.push(r);
  }
}

/** Counts records without keeping them (benchmarks, dry runs). */
export class CountingSink implements RecordSink {
  trades = 0;
  quotes = 0;
  batches = 0;

  async publish(batch: TaggedRecord[]): Promise<void> {
    this.batches++;
    for (const r of batch) {
      if (r.kind === 'trades') this.trades++;
      else if (r.kind === 'quotes') this.quotes++;
    }
  }
}
